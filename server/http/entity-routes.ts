import express, { type Router } from 'express';
import {
  EntitiesQuerySchema,
  HistoryParamsSchema,
  HistoryQuerySchema,
  type Basemap,
  type CameraInfo,
  type ConsoleConfig,
  type HistoryResponse,
} from '../../contract/index.js';
import type { Config } from '../../config/schema.js';
import type { ClusterEntities } from '../live/cluster-snapshot.js';
import type { EntityQuery } from '../live/snapshot-merge.js';
import type { TelemetryStore } from '../store/types.js';
import { createBuildId } from './build-id.js';
import { badRequest, HttpError } from './errors.js';

const DEFAULT_HISTORY_WINDOW = 3_600_000;
/** Raw history answers hold at most this many points; beyond it the caller must downsample with `every`. */
const MAX_RAW_POINTS = 50_000;

export interface EntityRoutesDeps {
  config: Config;
  /** The basemap the console draws (resolved once at start-up). */
  basemap: Basemap;
  store: TelemetryStore;
  /** The live entities matching a query, across the cluster when there is one. */
  liveEntities: (query: EntityQuery) => Promise<ClusterEntities>;
  /** Cameras the console draws (config plus the demo city's). */
  cameras: CameraInfo[];
  /** Where the built console lives: its index.html identifies the build. */
  clientDir: string;
}

/** Entities now, one entity's history, and the console's map configuration. */
export function createEntityRouter({ config, basemap, store, liveEntities, cameras, clientDir }: EntityRoutesDeps): Router {
  const router = express.Router();
  const buildId = createBuildId(clientDir);

  router.get('/entities', async (req, res) => {
    const query = EntitiesQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    const { domain, bbox } = query.data;
    if (domain && !(domain in config.domains)) {
      throw new HttpError(404, 'not_found', `Unknown domain "${domain}": known domains are ${Object.keys(config.domains).join(', ')}.`);
    }
    // Every node's entities in a cluster (each node holds only what it ingested); `partial` names a silent node.
    const { entities, partial } = await liveEntities({ ...(domain ? { layers: [domain] } : {}), ...(bbox ? { bbox } : {}) });
    res.json({ ts: Date.now(), entities, ...(partial ? { partial } : {}) });
  });

  router.get('/entities/:domain/:id/history', async (req, res) => {
    const params = HistoryParamsSchema.safeParse(req.params);
    if (!params.success) throw badRequest(params.error, 'path');
    const query = HistoryQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    const to = query.data.to ?? Date.now();
    const from = query.data.from ?? to - DEFAULT_HISTORY_WINDOW;
    if (from > to) throw new HttpError(400, 'bad_request', `from (${from}) must not be after to (${to}).`);
    if (to - from > config.limits.historyRange) {
      throw new HttpError(
        400,
        'bad_request',
        `from: the range of ${to - from} ms is longer than the ${config.limits.historyRange} ms allowed (limits.historyRange); ask for a shorter one.`,
      );
    }
    const every = query.data.every;
    if (every !== undefined && every < 1000) throw new HttpError(400, 'bad_request', 'every: must be at least 1s.');
    if (every !== undefined && (to - from) / every > MAX_RAW_POINTS) {
      throw new HttpError(400, 'bad_request', `every: ${every} ms over this range gives more than ${MAX_RAW_POINTS} buckets; use a larger bucket.`);
    }
    const points = await store.history({
      domain: params.data.domain,
      id: params.data.id,
      from,
      to,
      ...(query.data.fields ? { fields: query.data.fields } : {}),
      ...(every !== undefined ? { every } : {}),
    });
    const body: HistoryResponse = {
      domain: params.data.domain,
      id: params.data.id,
      from,
      to,
      ...(every !== undefined ? { every } : {}),
      points: points.slice(-MAX_RAW_POINTS),
    };
    res.json(body);
  });

  router.get('/console-config', (_req, res) => {
    const body: ConsoleConfig = {
      map: {
        center: [config.map.center[0], config.map.center[1]],
        zoom: config.map.zoom,
        ...(basemap.kind === 'style' ? { styleUrl: basemap.url } : {}),
        ...(basemap.kind === 'pmtiles' ? { pmtilesUrl: basemap.url } : {}),
        basemap,
        zones: config.map.zones.map((z) => ({ id: z.id, name: z.name, geometry: z.geometry })),
      },
      domains: config.domains,
      wall: { scenes: config.wall.scenes },
      cameras,
    };
    const build = buildId();
    if (build !== undefined) body.build = build;
    if (config.store.retention.enabled) body.retention = { raw: config.store.retention.raw, downsampled: config.store.retention.downsampled };
    res.json(body);
  });

  return router;
}

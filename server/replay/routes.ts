import express, { type Response, type Router } from 'express';
import {
  ReplayAlertsQuerySchema,
  ReplayAlertsSchema,
  ReplayFramesQuerySchema,
  ReplayStateQuerySchema,
  ReplayStateSchema,
  type ReplayAlerts,
} from '../../contract/index.js';
import { silentLogger, type Logger } from '../../config/logger.js';
import type { RouteSpec } from '../http/route-catalog.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { StateStore } from '../state/types.js';
import type { TelemetryStore } from '../store/types.js';
import { createReplayService, type ReplayScope } from './replay-service.js';

export interface ReplayRoutesDeps {
  telemetry: Pick<TelemetryStore, 'latest' | 'scan'>;
  state: Pick<StateStore, 'loadAlerts' | 'loadAlertsOpenAt'>;
  config: { domains: Record<string, { staleAfter: number }> };
  /** Where a stream that fails after its first line is reported (the answer is then cut short). */
  logger?: Logger;
}

/** The replay routes for the catalog (server/http/route-catalog.ts); mounted under /api/v1. */
export const REPLAY_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/replay/state',
    access: 'history.read',
    tag: 'replay',
    summary:
      'Every entity as it was at `at` (fields, position, status then) and the alerts open then, each as it was then.',
    query: ReplayStateQuerySchema,
    response: ReplayStateSchema,
  },
  {
    method: 'get',
    path: '/api/v1/replay/frames',
    access: 'history.read',
    tag: 'replay',
    summary:
      'NDJSON stream: the full state at `from`, then one line per `step` up to `to` with only what changed ({ts, upserts, removes, alerts}). At most 100 000 steps and 31 days.',
    query: ReplayFramesQuerySchema,
    produces: 'application/x-ndjson',
  },
  {
    method: 'get',
    path: '/api/v1/replay/alerts',
    access: 'history.read',
    tag: 'replay',
    summary:
      'Alert lifecycle events between `from` and `to`, oldest first, each with the severity and state it left (the timeline track).',
    query: ReplayAlertsQuerySchema,
    response: ReplayAlertsSchema,
  },
];

/** The city at a past time, its changes over a window, and the alert timeline. */
export function createReplayRouter({ telemetry, state, config, logger = silentLogger }: ReplayRoutesDeps): Router {
  const router = express.Router();
  const service = createReplayService({ telemetry, state, domains: config.domains });
  const known = Object.keys(config.domains);

  const scopeOf = (layers: string[] | undefined, bbox: ReplayScope['bbox']): ReplayScope => {
    const unknown = (layers ?? []).filter((d) => !known.includes(d));
    if (unknown.length > 0) {
      const message = `unknown domain ${unknown.map((d) => `"${d}"`).join(', ')}: known domains are ${known.join(', ')}`;
      throw new HttpError(400, 'bad_request', `layers: ${message}`, [{ path: 'layers', message }]);
    }
    return { layers: layers ?? known, ...(bbox ? { bbox } : {}) };
  };

  router.get('/replay/state', async (req, res) => {
    const query = ReplayStateQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    const scope = scopeOf(query.data.layers, query.data.bbox);
    res.json(await service.stateAt(query.data.at, scope));
  });

  router.get('/replay/frames', async (req, res) => {
    const query = ReplayFramesQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    const { from, to, step, layers, bbox } = query.data;
    const frames = service.frames(from, to, step, scopeOf(layers, bbox));
    // The first line is read before answering, so a store that fails shows as a JSON error.
    const first = await frames.next();
    res.status(200).type('application/x-ndjson').setHeader('Cache-Control', 'no-store');
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    try {
      if (!first.done) await writeLine(res, first.value);
      while (!closed) {
        const next = await frames.next();
        if (next.done) break;
        await writeLine(res, next.value);
      }
      res.end();
    } catch (err) {
      // Headers are out: the one error handler cannot answer any more, so the stream is cut short.
      logger.error('replay frames failed', { error: (err as Error)?.stack ?? String(err) });
      res.destroy();
    } finally {
      await frames.return(undefined);
    }
  });

  router.get('/replay/alerts', async (req, res) => {
    const query = ReplayAlertsQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    const body: ReplayAlerts = { events: await service.alertEvents(query.data.from, query.data.to) };
    res.json(body);
  });

  return router;
}

/** Writes one NDJSON line, waiting for the socket to drain when its buffer is full (or for the client to leave). */
async function writeLine(res: Response, value: unknown): Promise<void> {
  if (res.write(`${JSON.stringify(value)}\n`) || res.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

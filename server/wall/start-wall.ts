import path from 'node:path';
import type { CameraEvent, Entity, Rule } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import { staleAfterOf, type Config } from '../../config/schema.js';
import type { CameraConfig } from '../../config/wall-schema.js';
import { decodeFrigateEvent } from '../../ingest/adapters/frigate.js';
import type { MqttAdapter } from '../../ingest/mqtt/subscriber.js';
import type { IngestCounters } from '../../ingest/sink.js';
import { createZoneLookup } from '../alerts/start-alerts.js';
import { createCameraBook, type CameraBook } from '../cameras/camera-book.js';
import { CAMERA_FILE_SAVE_MS, createCameraEventFile } from '../cameras/camera-file.js';
import { createKpiService, type KpiService } from '../kpis/kpi-service.js';
import type { Pipeline } from '../pipeline.js';
import { createQualityTracker, type QualityTracker } from '../quality/quality-tracker.js';
import { BUILT_IN_RANGES } from '../quality/sensor-lies.js';
import type { TelemetryStore } from '../store/types.js';
import { createReceiveClock, type ReceiveClock } from './heartbeat.js';
import { createWallRouter } from './routes.js';

/** Recent camera events in the data dir, without plates (they never leave memory). */
const CAMERA_EVENTS_FILE = 'camera-events.json';

export interface WallParts {
  kpis: KpiService;
  quality: QualityTracker;
  cameras: CameraBook;
  /** Frigate's topic, taken unchanged by MQTT ingest. */
  frigate: MqttAdapter;
  router: ReturnType<typeof createWallRouter>;
  /** When each domain last received data: the /live heartbeat carries it. */
  receiveClock: ReceiveClock;
  /** Names the rules `GET /rule-names` lists; the alert service starts after the wall (it needs the live server). */
  useRules(rules: () => readonly Rule[]): void;
  /** Stops the timers and saves the camera events kept. */
  stop(): Promise<void>;
}

/**
 * What the wall reads besides the live map: the KPI board, the data-quality tracker (fed by the
 * pipeline and by ingest refusals) and the camera book (fed by Frigate's events).
 */
export function startWall(deps: {
  config: Config;
  cameras: readonly CameraConfig[];
  store: TelemetryStore;
  pipeline: Pipeline;
  counters: IngestCounters;
  entities: () => Iterable<Entity>;
  logger: Logger;
}): WallParts {
  const { config, logger } = deps;
  const cameraFile = createCameraEventFile(path.join(config.dataDir, CAMERA_EVENTS_FILE), logger.child({ module: 'cameras' }));
  const cameras = createCameraBook({
    cameras: deps.cameras,
    keep: config.cameraEvents.keep,
    maxKept: config.cameraEvents.maxKept,
    restored: keptEvents(cameraFile.load(), config.cameraEvents.keep, config.cameraEvents.maxKept, Date.now()),
  });
  let savedVersion = cameras.version();
  const saveCameras = () => {
    if (cameras.version() === savedVersion) return Promise.resolve();
    savedVersion = cameras.version();
    return cameraFile.save(cameras.all());
  };
  const cameraSaver = setInterval(() => void saveCameras(), CAMERA_FILE_SAVE_MS);
  cameraSaver.unref();
  const zoneOf = createZoneLookup(config);
  const { stuckAfter, ranges, neighbourFields, neighbourRadius, ...window } = config.quality;
  const quality = createQualityTracker({
    ...window,
    staleAfter: staleAfterOf(config.domains),
    zoneOf,
    lies: { stuckAfter, neighbourFields, neighbourRadius, ranges: mergeRanges(BUILT_IN_RANGES, ranges) },
  });
  deps.pipeline.addObserver({ observe: (batch) => quality.observe(batch) });
  const receiveClock = createReceiveClock();
  deps.pipeline.addObserver(receiveClock);
  deps.counters.onRejected = (rejection) => quality.rejected(rejection);

  const zoneNames = new Map(config.map.zones.map((zone) => [zone.id, zone.name.vi]));
  const kpis = createKpiService({
    store: deps.store,
    entities: deps.entities,
    zoneName: (lat, lon) => {
      const zone = zoneOf(lat, lon);
      return zoneNames.get(zone) ?? (zone === 'city' ? 'toàn thành phố' : zone);
    },
    dossierWindow: config.kpis.dossierWindow,
    trendStep: config.kpis.trendStep,
    trendSteps: config.kpis.trendSteps,
    targets: config.kpis.targets,
    logger: logger.child({ module: 'kpis' }),
  });
  kpis.start();
  deps.pipeline.addObserver(kpis);

  const frigate: MqttAdapter = {
    topic: config.cameraEvents.topic,
    domain: 'camera',
    handle(payload, now) {
      const decoded = decodeFrigateEvent(payload);
      if (!decoded.ok) return { observations: [], rejected: [{ index: 0, error: decoded.error }] };
      if (!cameras.isKnown(decoded.change.camera)) {
        const known = cameras.cameras().map((c) => c.id).join(', ') || 'none';
        return { observations: [], rejected: [{ index: 0, error: `camera "${decoded.change.camera}" is not in the cameras list of the config (known: ${known})` }] };
      }
      return { observations: [cameras.record(decoded.change, now)], rejected: [] };
    },
  };

  let rules: () => readonly Rule[] = () => [];
  const router = createWallRouter({ kpis, quality, cameras, entities: deps.entities, domains: Object.keys(config.domains), rules: () => rules() });
  return {
    kpis,
    quality,
    cameras,
    frigate,
    router,
    receiveClock,
    useRules: (source) => {
      rules = source;
    },
    stop: async () => {
      kpis.stop();
      clearInterval(cameraSaver);
      await saveCameras();
    },
  };
}

/** The built-in physical ranges with the config's added or replaced, field by field. */
function mergeRanges(
  builtIn: Record<string, Record<string, readonly [number, number]>>,
  extra: Record<string, Record<string, readonly [number, number]>>,
): Record<string, Record<string, readonly [number, number]>> {
  const merged: Record<string, Record<string, readonly [number, number]>> = {};
  for (const domain of new Set([...Object.keys(builtIn), ...Object.keys(extra)])) merged[domain] = { ...builtIn[domain], ...extra[domain] };
  return merged;
}

/** The saved events still within `keep` (ended ones) and `maxKept` (the newest), oldest first. */
function keptEvents(events: readonly CameraEvent[], keep: number, maxKept: number, now: number): CameraEvent[] {
  return events.filter((event) => event.end === null || event.end >= now - keep).slice(-maxKept);
}

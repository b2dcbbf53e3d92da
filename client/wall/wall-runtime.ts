import { staleAfterIn } from '../../contract/domain-defaults.js';
import type { ConsoleConfig } from '../../contract/api.js';
import type { CameraEventsResponse, KpisResponse, QualityResponse, WallScene } from '../../contract/wall.js';
import { startAlertsRuntime, type AlertsRuntime } from '../features/alerts/alerts-runtime.js';
import type { LiveClient } from '../live/live-client.js';
import { EntityStore } from '../state/entity-store.js';
import { observable, type ReadonlyObservable } from '../state/observable.js';
import { connectWallLive } from './wall-live.js';
import { judgeHealth, sameHealth, type HeardBeat, type WallHealth } from './wall-health.js';
import { pollResource, type Resource } from './wall-resource.js';
import { fetchConsoleConfig } from './wall-config.js';

const SWEEP_INTERVAL_MS = 2_000;
const HEALTH_INTERVAL_MS = 1_000;
/** How often the wall asks whether a new console build is served. */
const CONFIG_POLL_MS = 60_000;
const KPIS_POLL_MS = 30_000;
const QUALITY_POLL_MS = 30_000;
const CAMERAS_POLL_MS = 15_000;
const CAMERA_EVENTS_SHOWN = 24;
const QUALITY_ENTITIES_PER_DOMAIN = 5;

/** The rotation used when the server sends none: the whole city, then each board. */
export const DEFAULT_SCENES: WallScene[] = [
  { kind: 'map', duration: 60_000 },
  { kind: 'kpis', duration: 30_000 },
  { kind: 'alerts', duration: 30_000 },
  { kind: 'cameras', duration: 20_000 },
  { kind: 'quality', duration: 20_000 },
];

/** The long-lived, non-React parts of the wall: entity store, live feed, alerts, REST boards, health. */
export interface WallRuntime {
  config: ConsoleConfig;
  scenes: WallScene[];
  store: EntityStore;
  live: LiveClient;
  alerts: AlertsRuntime;
  /** Each board's data, polled only when its scene is in the rotation. */
  kpis: Resource<KpisResponse> | null;
  quality: Resource<QualityResponse> | null;
  cameras: Resource<CameraEventsResponse> | null;
  health: ReadonlyObservable<WallHealth>;
  stop(): void;
}

/** Wall-clock time of the store's last snapshot or delta, to the second (the store keeps it on the performance clock). */
function lastDataWallClock(store: EntityStore): number {
  const last = store.lastUpdate;
  return last === 0 ? 0 : Math.round((Date.now() - (performance.now() - last)) / 1000) * 1000;
}

/** Starts the wall for a loaded configuration; `reload` is called when the server serves another build. */
export function startWallRuntime(config: ConsoleConfig, reload: () => void): WallRuntime {
  const scenes = config.wall?.scenes && config.wall.scenes.length > 0 ? config.wall.scenes : DEFAULT_SCENES;
  const kinds = new Set(scenes.map((scene) => scene.kind));
  const store = new EntityStore({ staleAfter: staleAfterIn(config.domains) });
  const domains = Object.keys(config.domains);
  const layers = domains.length > 0 ? domains : ['sensor', 'traffic', 'health', 'queue'];
  const live = connectWallLive(store, layers);
  const staleAfter = staleAfterIn(config.domains);
  // Rule names only: a display may read alerts and what their rules are called, not the rules.
  const alerts = startAlertsRuntime(live, Date.now, { withRules: false });
  const bootAt = Date.now();

  const kpis = kinds.has('kpis') ? pollResource<KpisResponse>(() => '/kpis', KPIS_POLL_MS) : null;
  const quality = kinds.has('quality')
    ? pollResource<QualityResponse>(() => `/quality?limit=${QUALITY_ENTITIES_PER_DOMAIN}`, QUALITY_POLL_MS)
    : null;
  const cameras = kinds.has('cameras')
    ? pollResource<CameraEventsResponse>(() => `/cameras/events?limit=${CAMERA_EVENTS_SHOWN}`, CAMERAS_POLL_MS)
    : null;
  const resources = [kpis, quality, cameras].filter((r): r is NonNullable<typeof r> => r !== null);

  // A new console build: reload to run it. Asked every minute and whenever the socket comes back
  // (a new build is usually served by a restarted server).
  let configLost = false;
  const checkBuild = async () => {
    try {
      const served = await fetchConsoleConfig();
      configLost = false;
      if (served.build !== undefined && config.build !== undefined && served.build !== config.build) reload();
    } catch {
      configLost = true;
    }
  };
  const configPoll = setInterval(() => void checkBuild(), CONFIG_POLL_MS);
  let wasLive = false;
  const offLive = live.status.subscribe(() => {
    const isLive = live.status.get().state === 'live';
    if (isLive && !wasLive) {
      void checkBuild();
      for (const resource of resources) resource.refresh();
    }
    wasLive = isLive;
  });

  const health = observable<WallHealth>({ stale: false, lost: false, since: bootAt });
  let heard: HeardBeat | undefined;
  const judge = () => {
    const next = judgeHealth({
      now: Date.now(),
      bootAt,
      live: live.status.get().state,
      lastData: lastDataWallClock(store),
      ...(heard ? { heard } : {}),
      domains: layers,
      staleAfter,
      restLost: configLost || resources.some((r) => r.state.get().failure === 'lost'),
    });
    if (!sameHealth(health.get(), next)) health.set(next);
  };
  const offBeat = live.onHeartbeat((beat) => {
    heard = { beat, at: Date.now() };
    judge();
  });
  const healthTimer = setInterval(judge, HEALTH_INTERVAL_MS);
  const offJudge = [live.status.subscribe(judge), ...resources.map((r) => r.state.subscribe(judge))];
  const sweep = setInterval(() => store.sweepStale(performance.now()), SWEEP_INTERVAL_MS);

  return {
    config,
    scenes,
    store,
    live,
    alerts,
    kpis,
    quality,
    cameras,
    health,
    stop() {
      clearInterval(configPoll);
      clearInterval(healthTimer);
      clearInterval(sweep);
      offLive();
      offBeat();
      for (const off of offJudge) off();
      for (const resource of resources) resource.stop();
      alerts.stop();
      live.close();
    },
  };
}

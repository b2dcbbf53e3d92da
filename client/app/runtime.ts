import { staleAfterIn } from '../../contract/domain-defaults.js';
import type { ConsoleConfig } from '../../contract/api.js';
import { startAlertsRuntime, type AlertsRuntime } from '../features/alerts/alerts-runtime.js';
import { connectLive, type LiveClient } from '../live/live-client.js';
import { liveWorkerPort } from '../live/live-worker-port.js';
import { sessionEnded } from '../session/session.js';
import type { ReplayController } from '../features/replay/replay-controller.js';
import { EntityStore } from '../state/entity-store.js';
import { observable, type Observable } from '../state/observable.js';
import { visibility, parseVisibility } from '../state/ui-state.js';

const SWEEP_INTERVAL_MS = 2_000;
const VISIBILITY_KEY = 'ioc.layers';

/** The long-lived, non-React parts of the console: entity store, live connection, periodic stale sweep. */
export interface Runtime {
  config: ConsoleConfig;
  store: EntityStore;
  live: LiveClient;
  alerts: AlertsRuntime;
  /** The replay being shown instead of live, or null (client/features/replay/replay-mode.ts). */
  replay: Observable<ReplayController | null>;
  stop(): void;
}

/** Starts the store and the live feed for every domain the server configures. */
export function startRuntime(config: ConsoleConfig): Runtime {
  const store = new EntityStore({
    staleAfter: staleAfterIn(config.domains),
  });
  const domains = Object.keys(config.domains);
  const live = connectLive(store, domains.length > 0 ? domains : ['sensor', 'traffic', 'health', 'queue'], {
    onUnauthorized: sessionEnded,
    port: liveWorkerPort(),
  });
  const alerts = startAlertsRuntime(live);
  const replay = observable<ReplayController | null>(null);
  const sweep = setInterval(() => store.sweepStale(performance.now()), SWEEP_INTERVAL_MS);

  try {
    visibility.set(parseVisibility(window.localStorage.getItem(VISIBILITY_KEY)));
  } catch {
    // No storage: every layer starts visible.
  }
  const unsubscribe = visibility.subscribe(() => {
    try {
      window.localStorage.setItem(VISIBILITY_KEY, JSON.stringify(visibility.get()));
    } catch {
      // Not persisted; the toggle still applies.
    }
  });

  return {
    config,
    store,
    live,
    alerts,
    replay,
    stop() {
      replay.get()?.stop();
      clearInterval(sweep);
      alerts.stop();
      unsubscribe();
      live.close();
    },
  };
}

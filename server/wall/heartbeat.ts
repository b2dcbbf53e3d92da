import { HEARTBEAT_INTERVAL_MS, type Heartbeat, type Observation } from '../../contract/index.js';

/** The part of socket.io's /live namespace the heartbeat uses: emit to this node's own sockets. */
export interface HeartbeatTarget {
  local: { emit(event: 'heartbeat', beat: Heartbeat): unknown };
}

/** Newest receive time per domain, fed by the pipeline (server clock, ms). */
export interface ReceiveClock {
  observe(batch: readonly Observation[]): void;
  received(): Record<string, number>;
}

/** Remembers when each domain last received an observation. */
export function createReceiveClock(clock: () => number = Date.now): ReceiveClock {
  const latest = new Map<string, number>();
  return {
    observe(batch) {
      const now = clock();
      let domain: string | undefined;
      for (const observation of batch) {
        // Batches come grouped by source: skip the map write while the domain repeats.
        if (observation.domain === domain) continue;
        domain = observation.domain;
        latest.set(domain, now);
      }
    },
    received: () => Object.fromEntries(latest),
  };
}

/**
 * Sends a heartbeat to every /live socket of this node each HEARTBEAT_INTERVAL_MS. `local`: with the
 * Redis adapter every node beats for its own sockets only, so a socket hears one beat per interval.
 */
export function startHeartbeat(deps: {
  nsp: HeartbeatTarget;
  received: () => Record<string, number>;
  deltaInterval: number;
  clock?: () => number;
  interval?: number;
}): () => void {
  const clock = deps.clock ?? Date.now;
  const timer = setInterval(() => {
    deps.nsp.local.emit('heartbeat', { ts: clock(), deltaInterval: deps.deltaInterval, received: deps.received() });
  }, deps.interval ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

import type { ConnectionState } from '../live/live-client.js';

/** How long a just-opened wall may stay "connecting" before it says the connection is lost, ms. */
export const BOOT_GRACE_MS = 10_000;
/**
 * No live update for this long while the socket says it is connected reads as "data stale". The
 * server sends deltas only when something changed (at most every `live.deltaInterval`, 100 ms by
 * default) and no heartbeat, and the console config does not say the interval: a floor well above
 * any busy city's gap between deltas keeps a quiet minute from looking like an outage.
 */
export const DATA_SILENCE_MS = 20_000;

/** What the banner says: nothing, "data stale since", or "connection lost — data stale since". */
export interface WallHealth {
  stale: boolean;
  /** The socket or the REST routes are unreachable or refuse us. */
  lost: boolean;
  /** Wall-clock ms of the newest data on screen (page start when none came yet). */
  since: number;
}

export interface HealthInputs {
  now: number;
  bootAt: number;
  live: ConnectionState;
  /** Wall-clock ms of the last snapshot or delta, 0 when none came yet. */
  lastData: number;
  /** Some REST poll's latest request found the server gone (network, 401, 5xx). */
  restLost: boolean;
}

/** Judges whether the picture on the wall is live. */
export function judgeHealth(input: HealthInputs): WallHealth {
  const booting = input.live === 'connecting' && input.lastData === 0 && input.now - input.bootAt < BOOT_GRACE_MS;
  const lost = input.restLost || (input.live !== 'live' && !booting);
  const silent = input.live === 'live' && input.lastData > 0 && input.now - input.lastData > DATA_SILENCE_MS;
  return { stale: lost || silent, lost, since: input.lastData > 0 ? input.lastData : input.bootAt };
}

/** Same banner: whether two judgements show the same thing. */
export function sameHealth(a: WallHealth, b: WallHealth): boolean {
  return a.stale === b.stale && a.lost === b.lost && (!a.stale || a.since === b.since);
}

import { HEARTBEAT_INTERVAL_MS, type Heartbeat } from '../../contract/live-events.js';
import type { ConnectionState } from '../live/live-client.js';

/** How long a just-opened wall may stay "connecting" before it says the connection is lost, ms. */
export const BOOT_GRACE_MS = 10_000;

/** What the banner says: nothing, "data stale since", or "connection lost — data stale since". */
export interface WallHealth {
  stale: boolean;
  /** The socket or the REST routes are unreachable or refuse us, or the socket carries nothing any more. */
  lost: boolean;
  /** Wall-clock ms of the newest data on screen (page start when none came yet). */
  since: number;
}

/** The last heartbeat and when it arrived. */
export interface HeardBeat {
  beat: Heartbeat;
  /** Wall-clock ms at arrival: maps the server's times onto this screen's clock. */
  at: number;
}

export interface HealthInputs {
  now: number;
  bootAt: number;
  live: ConnectionState;
  /** Wall-clock ms of the last snapshot or delta, 0 when none came yet. */
  lastData: number;
  /** The last heartbeat, undefined before the first. */
  heard?: HeardBeat;
  /** The domains the wall shows. */
  domains: readonly string[];
  /** Each domain's silence limit (the console config's `staleAfter`), ms. */
  staleAfter: (domain: string) => number;
  /** Some REST poll's latest request found the server gone (network, 401, 5xx). */
  restLost: boolean;
}

/**
 * The longest a live socket may carry nothing: a heartbeat is due every HEARTBEAT_INTERVAL_MS; one
 * beat may be missed (a busy event loop, a delta queued ahead of it) and may wait one delta interval.
 */
export function linkSilenceLimit(deltaInterval: number): number {
  return 2 * HEARTBEAT_INTERVAL_MS + deltaInterval;
}

/**
 * The oldest newest-receive time (server clock) among shown domains whose feed has been silent past
 * their `staleAfter` at the beat, or undefined when every feed that ever reported is current. A
 * domain the server has not heard since it started is not judged: nothing of it is on screen.
 */
export function stalledSince(beat: Heartbeat, domains: readonly string[], staleAfter: (domain: string) => number): number | undefined {
  let since: number | undefined;
  for (const domain of domains) {
    const received = beat.received[domain];
    if (received === undefined || beat.ts - received <= staleAfter(domain)) continue;
    since = since === undefined ? received : Math.min(since, received);
  }
  return since;
}

/**
 * Judges whether the picture on the wall is live. The heartbeat makes it exact: the link is dead
 * when neither data nor a beat came within `linkSilenceLimit`; a feed stalled when the server
 * itself received nothing of a shown domain for that domain's `staleAfter`. A quiet city, whose
 * deltas pause while its sensors still report, is neither.
 */
export function judgeHealth(input: HealthInputs): WallHealth {
  const booting = input.live === 'connecting' && input.lastData === 0 && input.now - input.bootAt < BOOT_GRACE_MS;
  const lastHeard = Math.max(input.lastData, input.heard?.at ?? 0);
  const linkSilent =
    input.live === 'live' && lastHeard > 0 && input.now - lastHeard > linkSilenceLimit(input.heard?.beat.deltaInterval ?? 0);
  const lost = input.restLost || linkSilent || (input.live !== 'live' && !booting);
  const dataSince = input.lastData > 0 ? input.lastData : input.bootAt;
  if (lost) return { stale: true, lost, since: dataSince };
  const stalled = input.heard ? stalledSince(input.heard.beat, input.domains, input.staleAfter) : undefined;
  if (stalled === undefined || !input.heard) return { stale: false, lost: false, since: dataSince };
  // Server time onto the wall's clock, so a skewed wall still names the right minute.
  return { stale: true, lost: false, since: stalled + (input.heard.at - input.heard.beat.ts) };
}

/** Same banner: whether two judgements show the same thing. */
export function sameHealth(a: WallHealth, b: WallHealth): boolean {
  return a.stale === b.stale && a.lost === b.lost && (!a.stale || a.since === b.since);
}

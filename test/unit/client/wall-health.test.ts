import { describe, expect, it } from 'vitest';
import { HEARTBEAT_INTERVAL_MS } from '../../../contract/live-events.js';
import { judgeHealth, linkSilenceLimit, type HealthInputs } from '../../../client/wall/wall-health.js';

const T0 = 1_750_000_000_000;
const STALE_AFTER: Record<string, number> = { sensor: 120_000, traffic: 60_000 };

function inputs(over: Partial<HealthInputs> = {}): HealthInputs {
  return {
    now: T0,
    bootAt: T0 - 600_000,
    live: 'live',
    lastData: T0 - 1_000,
    domains: ['sensor', 'traffic'],
    staleAfter: (domain) => STALE_AFTER[domain] ?? 120_000,
    restLost: false,
    ...over,
  };
}

describe('wall health from the heartbeat', () => {
  it('calls a quiet city live: no delta for minutes, but beats keep coming and every feed received within its limit', () => {
    const beat = { ts: T0 - 2_000, deltaInterval: 100, received: { sensor: T0 - 100_000, traffic: T0 - 50_000 } };
    const health = judgeHealth(inputs({ lastData: T0 - 600_000, heard: { beat, at: T0 - 2_000 } }));
    expect(health).toEqual({ stale: false, lost: false, since: T0 - 600_000 });
  });

  it('says since when a feed stopped: the oldest receive time past its own limit, on the wall clock', () => {
    // The server clock runs 30 s ahead of the wall's.
    const beat = { ts: T0 + 30_000, deltaInterval: 100, received: { sensor: T0 + 30_000 - 119_000, traffic: T0 + 30_000 - 61_000 } };
    expect(judgeHealth(inputs({ heard: { beat, at: T0 } }))).toEqual({ stale: true, lost: false, since: T0 - 61_000 });
    // A domain the server never heard since it started is not judged.
    const fresh = { ts: T0, deltaInterval: 100, received: { sensor: T0 - 1_000 } };
    expect(judgeHealth(inputs({ heard: { beat: fresh, at: T0 } })).stale).toBe(false);
  });

  it('calls the link lost exactly when neither data nor a beat came for two beats and a delta interval', () => {
    const limit = linkSilenceLimit(250);
    expect(limit).toBe(2 * HEARTBEAT_INTERVAL_MS + 250);
    const beat = { ts: T0, deltaInterval: 250, received: {} };
    const at = (silence: number) =>
      judgeHealth(inputs({ now: T0 + silence, lastData: T0 - 60_000, heard: { beat, at: T0 } }));
    expect(at(limit)).toEqual({ stale: false, lost: false, since: T0 - 60_000 });
    expect(at(limit + 1)).toEqual({ stale: true, lost: true, since: T0 - 60_000 });
  });

  it('gives a new wall its boot grace, then says the connection is lost', () => {
    expect(judgeHealth(inputs({ live: 'connecting', lastData: 0, bootAt: T0 - 5_000 })).stale).toBe(false);
    expect(judgeHealth(inputs({ live: 'connecting', lastData: 0, bootAt: T0 - 11_000 }))).toEqual({ stale: true, lost: true, since: T0 - 11_000 });
    expect(judgeHealth(inputs({ restLost: true })).lost).toBe(true);
  });
});

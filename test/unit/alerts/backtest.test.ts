import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../server/alerts/backtest.js';
import { FakeAlertsStore } from './fake-store.js';
import { obs, rule } from './harness.js';

const MIN = 60_000;

describe('backtest', () => {
  it('replays the scan through the rule alone and lists each alert with its start and end', async () => {
    const store = new FakeAlertsStore();
    for (let m = 0; m < 60; m++) {
      const spike = m >= 10 && m < 20;
      store.observations.push(obs('S1', m * MIN, { pm25: spike ? 180 : 40 }));
      store.observations.push(obs('S2', m * MIN + 1, { pm25: m >= 50 ? 200 : 40 }));
      store.observations.push(obs('T1', m * MIN, { pm25: 500 }, { domain: 'traffic' }));
    }
    const progress: number[] = [];
    const r = rule({ domain: 'sensor', for: '5m', condition: { field: 'pm25', op: '>', value: 150 } });
    const result = await runBacktest(store, r, { from: 0, to: 60 * MIN, onProgress: (f) => progress.push(f) });
    expect(store.scans[0]).toMatchObject({ from: 0, to: 60 * MIN, domains: ['sensor'] });
    expect(result).toEqual({
      ruleId: 'r1',
      from: 0,
      to: 60 * MIN,
      observations: 120,
      count: 2,
      alerts: [
        { entityId: 'S1', startedAt: 15 * MIN, endedAt: 20 * MIN, value: 180 },
        // Above 150 from 50 min (+1 ms) on: `for` 5m completes with the sample at 55 min.
        { entityId: 'S2', startedAt: 55 * MIN + 1, endedAt: null, value: 200 },
      ],
    });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('detects absence on data time, including at the end of the range', async () => {
    const store = new FakeAlertsStore();
    for (let m = 0; m <= 30; m++) {
      store.observations.push(obs('S1', m * MIN, { pm25: 1 }));
      if (m < 10 || m > 20) store.observations.push(obs('S2', m * MIN, { pm25: 1 }));
    }
    store.observations.push(obs('S3', 0, { pm25: 1 }));
    const r = rule({ domain: 'sensor', condition: { absent: '5m' } });
    const result = await runBacktest(store, r, { from: 0, to: 30 * MIN });
    expect(result.alerts).toEqual([
      { entityId: 'S3', startedAt: 5 * MIN, endedAt: null, value: 5 * MIN },
      { entityId: 'S2', startedAt: 14 * MIN, endedAt: 21 * MIN, value: 5 * MIN },
    ]);
  });

  it('caps the listed alerts but counts them all', async () => {
    const store = new FakeAlertsStore();
    for (let i = 0; i < 50; i++) store.observations.push(obs(`S${i}`, i, { pm25: 500 }));
    const r = rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 150 } });
    const result = await runBacktest(store, r, { from: 0, to: 100, maxAlerts: 10 });
    expect(result.alerts).toHaveLength(10);
    expect(result.count).toBe(50);
  });
});

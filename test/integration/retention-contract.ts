import { expect } from 'vitest';
import type { Observation } from '../../contract/index.js';
import { createReplayService, REPLAY_LOOKBACK_MS } from '../../server/replay/replay-service.js';
import { DOWNSAMPLE_BUCKET_MS } from '../../server/store/retention.js';
import type { TelemetryStore } from '../../server/store/types.js';

/*
 * What retention with downsampling must keep, whichever store: the fixture below is written, the
 * store downsamples what is older than its raw retention, and these checks read it back.
 */

export const A = { lat: 21.273, lon: 106.194 };
export const B = { lat: 21.281, lon: 106.201 };

/**
 * Two old minutes of S1 (three readings each; values of three kinds; it moves in the first), one of
 * T1, and a recent reading of S1. Tags stay the same within a minute: InfluxDB downsamples per
 * series (entity and tag set), so a tag changing inside a minute would split it.
 */
export function retentionFixture(old: number, recent: number): Observation[] {
  const zone = { tags: { zone: 'z1' } };
  return [
    { domain: 'sensor', id: 'S1', ts: old, fields: { pm25: 10, note: 'a', ok: true }, ...A, ...zone },
    { domain: 'sensor', id: 'S1', ts: old + 20_000, fields: { pm25: 20, note: 'b' }, ...A, ...zone },
    { domain: 'sensor', id: 'S1', ts: old + 40_000, fields: { pm25: 30, note: 'c', ok: false }, ...B, ...zone },
    { domain: 'sensor', id: 'S1', ts: old + 60_000, fields: { pm25: 40 }, ...zone },
    { domain: 'sensor', id: 'S1', ts: old + 80_000, fields: { pm25: 50 }, ...zone },
    { domain: 'sensor', id: 'S1', ts: old + 100_000, fields: { pm25: 60 }, ...zone },
    { domain: 'traffic', id: 'T1', ts: old + 10_000, fields: { speed: 30 }, ...A },
    { domain: 'traffic', id: 'T1', ts: old + 30_000, fields: { speed: 50 }, ...A },
    { domain: 'sensor', id: 'S1', ts: recent, fields: { pm25: 99 }, ...A, ...zone },
  ];
}

/** An old moment `age` ms ago, on a 10-minute edge (so 2-minute history buckets start at it). */
export function oldMinute(age: number): number {
  return Math.floor((Date.now() - age) / 600_000) * 600_000;
}

async function all(iterable: AsyncIterable<Observation[]>): Promise<Observation[]> {
  const out: Observation[] = [];
  for await (const chunk of iterable) out.push(...chunk);
  return out;
}

/**
 * The old minutes answer as documented in server/store/retention.ts: numbers averaged, other
 * values and the position the last of the minute, stamped at the minute's start; the recent
 * reading stays raw. Latest-at-t, replay state, history (raw and bucketed), scan and the field
 * catalogue all answer for the old moments.
 */
export async function expectOldMomentsAnswer(store: TelemetryStore, old: number, recent: number): Promise<void> {
  const s1Old = { pm25: 20, note: 'c', ok: false };
  // History, raw: one point per old minute, then the raw recent reading.
  const history = await store.history({ domain: 'sensor', id: 'S1', from: old - DOWNSAMPLE_BUCKET_MS, to: recent });
  expect(history).toEqual([
    { ts: old, fields: s1Old },
    { ts: old + 60_000, fields: { pm25: 50 } },
    { ts: recent, fields: { pm25: 99 } },
  ]);
  // History bucketed over both old minutes: the mean of the six readings, as if they were raw (each
  // minute holds three, so InfluxDB's mean of means and the embedded store's weighted mean agree).
  const bucketed = await store.history({
    domain: 'sensor',
    id: 'S1',
    from: old,
    to: old + 119_999,
    every: 120_000,
    fields: ['pm25'],
  });
  expect(bucketed).toHaveLength(1);
  expect(bucketed[0]!.fields.pm25).toBeCloseTo(35, 9);

  // Latest at a moment inside the old minute: the minute's row, its last position and tags.
  const at = old + 45_000;
  const latest = await store.latest({ at, lookback: REPLAY_LOOKBACK_MS, domains: ['sensor', 'traffic'] });
  const byId = Object.fromEntries(latest.map((o) => [o.id, o]));
  expect(byId.S1).toMatchObject({ ts: old, fields: s1Old, ...B, tags: { zone: 'z1' } });
  expect(byId.T1).toMatchObject({ ts: old, fields: { speed: 40 }, ...A });

  // Latest now still merges the old minutes under the raw reading.
  const now = await store.latest({ domains: ['sensor'] });
  expect(now.find((o) => o.id === 'S1')).toMatchObject({ ts: recent, fields: { pm25: 99, note: 'c', ok: false } });

  // Replay state at the old moment, through the replay service.
  const replay = createReplayService({
    telemetry: store,
    state: { loadAlerts: () => Promise.resolve([]), loadAlertsOpenAt: () => Promise.resolve([]) },
    domains: { sensor: { staleAfter: 3_600_000 }, traffic: { staleAfter: 3_600_000 } },
  });
  const state = await replay.stateAt(at, { layers: ['sensor', 'traffic'] });
  expect(state.entities.map((e) => [e.id, e.status, e.fields])).toEqual([
    ['S1', 'ok', s1Old],
    ['T1', 'ok', { speed: 40 }],
  ]);

  // Scan (replay frames, export): the minutes first, oldest first, then raw rows.
  const scanned = await all(store.scan({ from: old, to: recent, chunkSize: 2 }));
  expect(scanned.map((o) => [o.domain, o.id, o.ts])).toEqual([
    ['sensor', 'S1', old],
    ['traffic', 'T1', old],
    ['sensor', 'S1', old + 60_000],
    ['sensor', 'S1', recent],
  ]);
  expect(scanned[0]).toMatchObject({ fields: s1Old, ...B });

  // The field catalogue knows the old fields without reading rows.
  const keys = await store.fieldKeys({ from: old, to: old + 59_999, domains: ['sensor'] });
  expect(keys).toEqual(
    expect.arrayContaining([
      { domain: 'sensor', field: 'pm25', kind: 'number' },
      { domain: 'sensor', field: 'note', kind: 'string' },
      { domain: 'sensor', field: 'ok', kind: 'boolean' },
    ]),
  );
  expect(keys.some((k) => k.field === 'lat' || k.field === 'lon')).toBe(false);
}

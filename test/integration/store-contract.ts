import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../contract/index.js';
import type { TelemetryStore } from '../../server/store/types.js';

/** A fresh, initialised store with its own database, and how to dispose of it. */
export interface StoreUnderTest {
  store: TelemetryStore;
  cleanup(): Promise<void>;
}

// Aligned to the minute so downsampling buckets start at T0.
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const A = { lat: 21.273, lon: 106.194 };
const B = { lat: 21.281, lon: 106.201 };

function obs(domain: string, id: string, dt: number, fields: Observation['fields'], extra: Partial<Observation> = {}) {
  return { domain, id, ts: T0 + dt, fields, ...extra } satisfies Observation;
}

function byKey(list: Observation[]): Record<string, Observation> {
  return Object.fromEntries(list.map((o) => [`${o.domain}/${o.id}`, o]));
}

async function collect(iterable: AsyncIterable<Observation[]>): Promise<Observation[][]> {
  const chunks: Observation[][] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

// Three entities in two domains; S1 reports twice (merged fields, moved), S2 never has a position.
const BASIC: Observation[] = [
  obs('sensor', 'S1', 0, { pm25: 10, noise: 50 }, A),
  obs('traffic', 'T1', 200, { speed: 40 }, B),
  obs('sensor', 'S2', 500, { pm25: 5 }),
  obs('sensor', 'S1', 1000, { pm25: 12 }, B),
];

/**
 * The store contract: every TelemetryStore implementation must pass these tests. Rules and alerts
 * are the state store's (test/integration/state-contract.ts).
 */
export function describeStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`${name} store contract`, () => {
    let subject: StoreUnderTest;
    let store: TelemetryStore;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });
    afterEach(async () => {
      await subject?.cleanup();
    });

    it('merges fields across observations and keeps the last position', async () => {
      store.write(BASIC);
      await store.flush();
      const sensors = await store.latest({ domains: ['sensor'] });
      expect(sensors.map((o) => o.id).sort()).toEqual(['S1', 'S2']);
      const all = byKey(await store.latest());
      expect(Object.keys(all).sort()).toEqual(['sensor/S1', 'sensor/S2', 'traffic/T1']);
      expect(all['sensor/S1']).toMatchObject({ ts: T0 + 1000, fields: { pm25: 12, noise: 50 }, ...B });
      expect(all['sensor/S2']).toMatchObject({ ts: T0 + 500, fields: { pm25: 5 } });
      expect(all['sensor/S2']?.lat).toBeUndefined();
      expect(all['traffic/T1']).toMatchObject({ ts: T0 + 200, fields: { speed: 40 }, ...B });
    });

    it('answers the state at a past time, honouring the lookback', async () => {
      store.write(BASIC);
      await store.flush();
      const at700 = byKey(await store.latest({ at: T0 + 700 }));
      expect(Object.keys(at700).sort()).toEqual(['sensor/S1', 'sensor/S2', 'traffic/T1']);
      expect(at700['sensor/S1']).toMatchObject({ ts: T0, fields: { pm25: 10, noise: 50 }, ...A });
      const at100 = await store.latest({ at: T0 + 100 });
      expect(at100.map((o) => `${o.domain}/${o.id}`)).toEqual(['sensor/S1']);
      const recent = await store.latest({ at: T0 + 1000, lookback: 400 });
      expect(recent.map((o) => o.id)).toEqual(['S1']);
      expect(recent[0]?.fields.pm25).toBe(12);
      expect(await store.latest({ at: T0 - 1 })).toEqual([]);
      expect(await store.latest({ domains: ['health'] })).toEqual([]);
    });

    it('returns raw history oldest first, with field filtering', async () => {
      store.write(BASIC);
      store.write([obs('sensor', 'S1', 2000, { noise: 55, status: 'ok' })]);
      await store.flush();
      const range = { domain: 'sensor', id: 'S1', from: T0, to: T0 + 2000 };
      expect(await store.history(range)).toEqual([
        { ts: T0, fields: { pm25: 10, noise: 50 } },
        { ts: T0 + 1000, fields: { pm25: 12 } },
        { ts: T0 + 2000, fields: { noise: 55, status: 'ok' } },
      ]);
      expect(await store.history({ ...range, fields: ['pm25'] })).toEqual([
        { ts: T0, fields: { pm25: 10 } },
        { ts: T0 + 1000, fields: { pm25: 12 } },
      ]);
      expect(await store.history({ ...range, fields: ['lat', 'lon'] })).toEqual([
        { ts: T0, fields: A },
        { ts: T0 + 1000, fields: B },
      ]);
      expect(await store.history({ ...range, from: T0 + 1, to: T0 + 1999 })).toEqual([
        { ts: T0 + 1000, fields: { pm25: 12 } },
      ]);
      expect(await store.history({ ...range, id: 'nobody' })).toEqual([]);
      expect(await store.history({ ...range, fields: ['missing'] })).toEqual([]);
    });

    it('downsamples: numbers averaged, other values the last in each bucket', async () => {
      const states = ['free', 'busy', 'full', 'busy', 'free', 'full'];
      store.write(states.map((state, k) => obs('queue', 'Q1', k * 10_000, { waiting: k, state, open: k % 2 === 0 })));
      await store.flush();
      const points = await store.history({ domain: 'queue', id: 'Q1', from: T0, to: T0 + 60_000, every: 30_000 });
      expect(points.map((p) => p.ts)).toEqual([T0, T0 + 30_000]);
      expect(points[0]?.fields.waiting).toBeCloseTo(1, 9);
      expect(points[1]?.fields.waiting).toBeCloseTo(4, 9);
      expect(points[0]?.fields).toMatchObject({ state: 'full', open: true });
      expect(points[1]?.fields).toMatchObject({ state: 'full', open: false });
      const only = await store.history({
        domain: 'queue',
        id: 'Q1',
        from: T0 + 10_000,
        to: T0 + 60_000,
        every: 60_000,
        fields: ['waiting'],
      });
      expect(only).toEqual([{ ts: T0, fields: { waiting: 3 } }]);
    });

    it('scans across domains in time order, in chunks, within [from, to]', async () => {
      const domains = ['sensor', 'traffic', 'health'];
      const written = Array.from({ length: 30 }, (_, k) =>
        obs(domains[k % 3]!, `E${k % 4}`, k * 100, { k }, k % 2 === 0 ? A : {}),
      );
      // Written out of time order: the store must order them.
      store.write([...written].reverse());
      await store.flush();
      const chunks = await collect(store.scan({ from: T0, to: T0 + 2900, chunkSize: 7 }));
      expect(chunks.map((c) => c.length)).toEqual([7, 7, 7, 7, 2]);
      const flat = chunks.flat();
      expect(flat.map((o) => o.fields.k)).toEqual(written.map((o) => o.fields.k));
      expect(flat[0]).toMatchObject({ domain: 'sensor', id: 'E0', ts: T0, ...A });
      expect(flat[1]?.lat).toBeUndefined();

      const window = (
        await collect(store.scan({ from: T0 + 1000, to: T0 + 2000, domains: ['traffic', 'health'] }))
      ).flat();
      const expected = written.filter((o) => o.ts >= T0 + 1000 && o.ts <= T0 + 2000 && o.domain !== 'sensor');
      expect(window.map((o) => [o.domain, o.id, o.ts])).toEqual(expected.map((o) => [o.domain, o.id, o.ts]));
      expect(await collect(store.scan({ from: T0 + 5000, to: T0 + 9000 }))).toEqual([]);
    });

    it('scans observations that share a timestamp without losing or repeating any', async () => {
      // Five entities reporting at each of five instants, read 3 at a time: pages end mid-instant.
      const written = Array.from({ length: 25 }, (_, k) =>
        obs('traffic', `J${k % 5}`, Math.floor(k / 5) * 1000, { k }),
      );
      store.write(written);
      await store.flush();
      const chunks = await collect(store.scan({ from: T0, to: T0 + 4000, chunkSize: 3 }));
      const flat = chunks.flat();
      expect(chunks.every((c) => c.length <= 3)).toBe(true);
      expect(flat.map((o) => o.fields.k).sort((a, b) => Number(a) - Number(b))).toEqual(written.map((o) => o.fields.k));
      expect(flat.map((o) => o.ts)).toEqual(written.map((o) => o.ts));
    });

    it('takes time and tags from the newest observation when an entity’s tags changed, fields from all', async () => {
      store.write([
        obs('sensor', 'S7', 0, { pm25: 10, noise: 40 }, { ...A, tags: { district: 'old' } }),
        obs('sensor', 'S7', 500, { pm25: 20 }, { ...B, tags: { district: 'new' } }),
        obs('sensor', 'S7', 800, { rain: 1 }, { tags: { district: 'new', kind: 'gauge' } }),
      ]);
      await store.flush();
      const [now] = await store.latest({ domains: ['sensor'] });
      expect(now).toEqual({
        domain: 'sensor',
        id: 'S7',
        ts: T0 + 800,
        ...B,
        fields: { pm25: 20, noise: 40, rain: 1 },
        tags: { district: 'new', kind: 'gauge' },
      });
      const [before] = await store.latest({ domains: ['sensor'], at: T0 + 600, lookback: 60_000 });
      expect(before).toEqual({
        domain: 'sensor',
        id: 'S7',
        ts: T0 + 500,
        ...B,
        fields: { pm25: 20, noise: 40 },
        tags: { district: 'new' },
      });
    });

    it('round-trips tags, strings and booleans', async () => {
      const tags = { district: 'Trần Phú, "North"', kind: 'pm=2.5 sensor' };
      const fields = {
        status: 'ok, "quoted" = x\\y',
        note: 'hai dòng\nline two',
        on: true,
        off: false,
        zero: 0,
        neg: -1.5,
      };
      store.write([obs('sensor', 'S9', 0, fields, { ...A, tags })]);
      await store.flush();
      const [latest] = await store.latest({ domains: ['sensor'] });
      expect(latest).toEqual({ domain: 'sensor', id: 'S9', ts: T0, ...A, fields, tags });
      const [scanned] = (await collect(store.scan({ from: T0, to: T0 }))).flat();
      expect(scanned).toEqual({ domain: 'sensor', id: 'S9', ts: T0, ...A, fields, tags });
      expect(await store.history({ domain: 'sensor', id: 'S9', from: T0, to: T0 })).toEqual([{ ts: T0, fields }]);
    });

    it('reports honest counters', async () => {
      expect(store.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 0 });
      const batch = Array.from({ length: 1200 }, (_, k) => obs('sensor', `S${k % 50}`, k, { v: k }));
      store.write(batch);
      expect(store.stats().written + store.stats().buffered).toBe(1200);
      await store.flush();
      expect(store.stats()).toMatchObject({ written: 1200, buffered: 0, dropped: 0, failedWrites: 0 });
      await expect(store.ping()).resolves.toBeUndefined();
      const scanned = (await collect(store.scan({ from: T0, to: T0 + 5000, chunkSize: 500 }))).flat();
      expect(scanned).toHaveLength(1200);
    });
  });
}

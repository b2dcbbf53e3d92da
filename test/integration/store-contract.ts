import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, Observation, Rule } from '../../contract/index.js';
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

function rule(id: string, value: number): Rule {
  return {
    id,
    name: `PM2.5 above ${value}`,
    domain: 'sensor',
    match: { tags: { district: 'Trần Phú' } },
    condition: { field: 'pm25', op: '>', value, clear: value - 10 },
    for: 30_000,
    severity: 'warning',
    enabled: true,
  };
}

function alert(id: string, startedAt: number, updatedAt: number, state: Alert['state']): Alert {
  return {
    id,
    ruleId: 'pm25-high',
    domain: 'sensor',
    entityId: 'S1',
    severity: 'critical',
    state,
    startedAt,
    updatedAt,
    value: 180.5,
    message: 'PM2.5 "high", 180.5 µg/m³',
    lat: A.lat,
    lon: A.lon,
    history: [{ at: startedAt, by: 'engine', action: 'fire' }],
  };
}

const STATES: Alert['state'][] = ['firing', 'acknowledged', 'snoozed', 'resolved'];
const VALUES: Alert['value'][] = [180.5, true, 'level "high", 3\\4', null, -0.25];

/** `count` alerts with every optional field in play, over the hour before `now`. */
function storm(count: number, now: number): Alert[] {
  return Array.from({ length: count }, (_, k) => {
    const startedAt = now - 3_600_000 + k * 1000;
    const state = STATES[k % STATES.length]!;
    const stormAlert: Alert = {
      ...alert(`storm-${String(k).padStart(4, '0')}`, startedAt, startedAt + 500 + (k % 7), state),
      ruleId: `rule-${k % 13}`,
      entityId: `E ${k}, "north"`,
      severity: k % 3 === 0 ? 'critical' : 'warning',
      value: VALUES[k % VALUES.length]!,
      message: `alert ${k}: ngập nước, line one\nline two = "x"`,
      lat: k % 5 === 0 ? null : A.lat + k / 1e6,
      lon: k % 5 === 0 ? null : A.lon - k / 1e6,
      history: [
        { at: startedAt, by: 'engine', action: 'fire' },
        { at: startedAt + 200, by: 'operator-1', action: 'note', note: `team ${k}, gate "B"\\2` },
      ],
    };
    if (state === 'acknowledged') stormAlert.assignee = `team-${k % 4}`;
    if (state === 'snoozed') stormAlert.snoozedUntil = startedAt + 900_000;
    if (k % 11 === 0) delete stormAlert.history;
    return stormAlert;
  });
}

// Three entities in two domains; S1 reports twice (merged fields, moved), S2 never has a position.
const BASIC: Observation[] = [
  obs('sensor', 'S1', 0, { pm25: 10, noise: 50 }, A),
  obs('traffic', 'T1', 200, { speed: 40 }, B),
  obs('sensor', 'S2', 500, { pm25: 5 }),
  obs('sensor', 'S1', 1000, { pm25: 12 }, B),
];

/** The store contract: every TelemetryStore implementation must pass these tests. */
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

    it('saves, replaces, loads and deletes rules', async () => {
      expect(await store.loadRules()).toEqual([]);
      await store.saveRule(rule('r2', 100));
      await store.saveRule(rule('r1', 80));
      expect(await store.loadRules()).toEqual([rule('r1', 80), rule('r2', 100)]);
      await store.saveRule(rule('r1', 90));
      await store.deleteRule('r2');
      await store.deleteRule('never-existed');
      expect(await store.loadRules()).toEqual([rule('r1', 90)]);
      await store.saveRule(rule('r2', 120));
      expect(await store.loadRules()).toEqual([rule('r1', 90), rule('r2', 120)]);
    });

    it('keeps the newest version of each alert and loads those started since a time', async () => {
      const now = Date.now();
      await store.saveAlert(alert('a1', now - 60_000, now - 60_000, 'firing'));
      await store.saveAlert({ ...alert('a1', now - 60_000, now - 30_000, 'acknowledged'), assignee: 'team-3' });
      // An older version saved late must not win.
      await store.saveAlert(alert('a1', now - 60_000, now - 45_000, 'firing'));
      await store.saveAlert(alert('a2', now - 10_000, now - 10_000, 'firing'));
      const all = await store.loadAlerts();
      expect(all.map((a) => [a.id, a.state])).toEqual([
        ['a1', 'acknowledged'],
        ['a2', 'firing'],
      ]);
      expect(all[0]).toEqual({ ...alert('a1', now - 60_000, now - 30_000, 'acknowledged'), assignee: 'team-3' });
      expect((await store.loadAlerts(now - 20_000)).map((a) => a.id)).toEqual(['a2']);
      expect(await store.loadAlerts(now)).toEqual([]);
      // Rules and alerts never show up as telemetry.
      await store.saveRule(rule('r1', 80));
      expect(await store.latest()).toEqual([]);
      expect(await collect(store.scan({ from: 0, to: now + 60_000 }))).toEqual([]);
    });

    it('saves a storm of 2 000 alerts in one call and loads every one back unchanged', async () => {
      const now = Date.now();
      const alerts = storm(2000, now);
      await store.saveAlerts(alerts);
      const loaded = await store.loadAlerts();
      expect(loaded).toHaveLength(2000);
      expect(loaded).toEqual(alerts);
      // A later batch: newer versions win, an older version saved late does not, new alerts join.
      const newer = alerts
        .slice(0, 10)
        .map((a) => ({ ...a, state: 'resolved' as const, updatedAt: a.updatedAt + 60_000 }));
      const older = alerts.slice(10, 20).map((a) => ({ ...a, state: 'firing' as const, updatedAt: a.updatedAt - 1 }));
      const fresh = storm(2001, now).slice(2000);
      await store.saveAlerts([...newer, ...older, ...fresh]);
      const again = await store.loadAlerts();
      expect(again).toHaveLength(2001);
      expect(again.slice(0, 20)).toEqual([...newer, ...alerts.slice(10, 20)]);
      expect(again.at(-1)).toEqual(fresh[0]);
      expect(await store.loadAlerts(alerts[1990]!.startedAt)).toEqual([...alerts.slice(1990), ...fresh]);
      await store.saveAlerts([]);
      expect(await store.loadAlerts()).toHaveLength(2001);
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

import { describe, expect, it } from 'vitest';
import type { Observation } from '../../contract/index.js';
import { decodeFrigateEvent } from '../../ingest/adapters/frigate.js';
import { kpiStatus } from '../../server/kpis/kpi-definitions.js';
import { tallyDossiers } from '../../server/kpis/kpi-service.js';
import { createQualityTracker, reasonClass } from '../../server/quality/quality-tracker.js';
import { BUILT_IN_RANGES, findLies, type LieOptions } from '../../server/quality/sensor-lies.js';
import { createEventStreams, SIMULATED_CAMERAS } from '../../simulator/index.js';

const HOUR = 3_600_000;
const LIES: LieOptions = { stuckAfter: 6 * HOUR, ranges: BUILT_IN_RANGES, neighbourFields: ['pm25'], neighbourRadius: 3000 };
const dossier = (id: string, event: 'received' | 'completed', ts: number, due: number, extra: Record<string, unknown> = {}): Observation => ({
  domain: 'dossier',
  id,
  ts,
  fields: { event, due, online: false, agency: 'UBND', procedure: 'p', ...extra },
});

describe('dossier tally (Decision 766 measures)', () => {
  it('pairs received and completed, counts on time against the due time, ratings of 4–5 as satisfied', () => {
    const now = 100 * HOUR;
    const tally = tallyDossiers(
      [
        dossier('a', 'received', 1 * HOUR, 5 * HOUR, { online: true }),
        dossier('b', 'received', 2 * HOUR, 3 * HOUR),
        dossier('c', 'received', 3 * HOUR, 50 * HOUR, { online: true }),
        dossier('d', 'received', 4 * HOUR, 200 * HOUR),
        dossier('a', 'completed', 4 * HOUR, 5 * HOUR, { rating: 5 }),
        dossier('b', 'completed', 9 * HOUR, 3 * HOUR, { rating: 2 }),
        // Repeated by a retrying sender: counted once.
        dossier('a', 'completed', 4 * HOUR, 5 * HOUR, { rating: 5 }),
        dossier('a', 'received', 1 * HOUR, 5 * HOUR, { online: true }),
      ],
      now,
    );
    expect(tally).toEqual({ received: 4, receivedOnline: 2, completed: 2, completedOnTime: 1, rated: 2, satisfied: 1, overdueOpen: 1 });
  });

  it('takes the due time from the received event when the completion lacks it, and ignores ratings out of range', () => {
    const tally = tallyDossiers(
      [
        dossier('a', 'received', 0, 10 * HOUR),
        { ...dossier('a', 'completed', 9 * HOUR, 0, { rating: 9 }), fields: { event: 'completed', rating: 9 } },
      ],
      20 * HOUR,
    );
    expect(tally).toMatchObject({ completed: 1, completedOnTime: 1, rated: 0 });
  });
});

describe('KPI status', () => {
  it('is ok at the target, warn within 10 % (at least one unit), bad beyond, in the direction that is better', () => {
    expect(kpiStatus(95, 95, 'higher')).toBe('ok');
    expect(kpiStatus(86, 95, 'higher')).toBe('warn');
    expect(kpiStatus(85, 95, 'higher')).toBe('bad');
    expect(kpiStatus(15, 15, 'lower')).toBe('ok');
    expect(kpiStatus(16, 15, 'lower')).toBe('warn');
    expect(kpiStatus(16.6, 15, 'lower')).toBe('bad');
    expect(kpiStatus(1, 0, 'lower')).toBe('warn');
    expect(kpiStatus(2, 0, 'lower')).toBe('bad');
    expect(kpiStatus(null, 90, 'higher')).toBe('warn');
    expect(kpiStatus(3, undefined, 'higher')).toBe('ok');
  });
});

describe('Frigate events', () => {
  const event = (after: Record<string, unknown>, type = 'new') =>
    JSON.stringify({ type, before: {}, after: { id: 'e1', camera: 'gate', label: 'car', score: 0.8, start_time: 1700000000.5, ...after } });

  it('reads a new event in ms, keeping the best score and the current zones', () => {
    const decoded = decodeFrigateEvent(event({ top_score: 0.93, frame_time: 1700000001.25, current_zones: ['yard'] }));
    expect(decoded).toEqual({
      ok: true,
      change: { type: 'new', id: 'e1', camera: 'gate', label: 'car', score: 0.93, at: 1700000001250, start: 1700000000500, end: null, zones: ['yard'], hasSnapshot: false, hasClip: false },
    });
  });

  it('dates an end event at its end time, and reads plates from LPR or from an older sub_label', () => {
    const ended = decodeFrigateEvent(event({ end_time: 1700000009, recognized_license_plate: '98A-123.45' }, 'end'));
    expect(ended.ok && ended.change).toMatchObject({ type: 'end', at: 1700000009000, end: 1700000009000, plate: '98A-123.45' });
    const older = decodeFrigateEvent(event({ label: 'license_plate', sub_label: ['98B-555.55', 0.9] }));
    expect(older.ok && older.change.plate).toBe('98B-555.55');
    const person = decodeFrigateEvent(event({ label: 'person', sub_label: 'Nguyễn Văn A' }));
    expect(person.ok && person.change.plate).toBeUndefined();
  });

  it('refuses what is not a Frigate event with the reason', () => {
    expect(decodeFrigateEvent('{')).toMatchObject({ ok: false, error: expect.stringMatching(/^not JSON: /) as unknown });
    expect(decodeFrigateEvent(JSON.stringify({ type: 'moved', after: {} }))).toMatchObject({ ok: false, error: expect.stringMatching(/type: .*after\.id/) as unknown });
    expect(decodeFrigateEvent(event({ score: 7 }))).toMatchObject({ ok: false, error: expect.stringMatching(/after\.score/) as unknown });
  });
});

describe('data-quality tracker', () => {
  it('groups refusals that differ only in numbers, keeps the latest examples first, and caps them', () => {
    expect(reasonClass('payload of 1200 bytes exceeds the limit of 1024 bytes')).toBe('payload of N bytes exceeds the limit of N bytes');
    expect(reasonClass('fields.pm25: expected number')).toBe('fields.pm25: expected number');
    const tracker = createQualityTracker({ window: 300_000, silentAfter: 600_000, examples: 2, staleAfter: () => 120_000, zoneOf: () => 'city', lies: LIES });
    for (let i = 0; i < 3; i++) {
      tracker.rejected({ at: i, transport: 'mqtt', domain: 'sensor', source: `city/sensor/s${i}`, errors: [{ index: 0, error: `payload of ${1000 + i} bytes exceeds` }], example: `p${i}` });
    }
    const report = tracker.report({ limit: 10, domain: 'sensor' }, [], ['sensor'], 1000);
    expect(report.domains[0]?.rejects).toEqual([
      {
        reason: 'payload of N bytes exceeds',
        count: 3,
        latest: [
          { at: 2, source: 'city/sensor/s2', example: 'payload of 1002 bytes exceeds — p2' },
          { at: 1, source: 'city/sensor/s1', example: 'payload of 1001 bytes exceeds — p1' },
        ],
      },
    ]);
  });

  it('rates entities per minute over the window, p95 of their lag, and orders silent, stale, then lagging first', () => {
    const tracker = createQualityTracker({ window: 300_000, silentAfter: 600_000, examples: 2, staleAfter: () => 120_000, zoneOf: () => 'city', lies: LIES });
    const t0 = 1_000_000_000;
    for (let i = 0; i < 60; i++) tracker.observe([{ domain: 'sensor', id: 'fresh', ts: t0 + i * 5000 - 200, fields: {} }], t0 + i * 5000);
    tracker.observe([{ domain: 'sensor', id: 'quiet', ts: t0 - 10, fields: {} }], t0);
    const now = t0 + 300_000;
    const entities = [
      { domain: 'sensor', id: 'fresh', ts: now - 5000, lat: null, lon: null, fields: {}, status: 'ok' as const },
      { domain: 'sensor', id: 'quiet', ts: t0, lat: null, lon: null, fields: {}, status: 'stale' as const },
      { domain: 'sensor', id: 'seeded', ts: now - 3_600_000, lat: null, lon: null, fields: {}, status: 'stale' as const },
    ];
    const sensor = tracker.report({ limit: 10 }, entities, ['sensor', 'traffic'], now).domains.find((d) => d.domain === 'sensor')!;
    expect(sensor.entities.map((e) => [e.id, e.status])).toEqual([
      ['seeded', 'silent'],
      ['quiet', 'stale'],
      ['fresh', 'reporting'],
    ]);
    expect(sensor).toMatchObject({ reporting: 1, stale: 1, silent: 1 });
    const fresh = sensor.entities.find((e) => e.id === 'fresh')!;
    expect(fresh.lagP95Ms).toBe(200);
    expect(fresh.receivedPerMinute).toBeGreaterThan(10);
    expect(fresh.receivedPerMinute).toBeLessThanOrEqual(12);
  });

  it('keeps domains apart in a batch that mixes them, even for entities with the same id', () => {
    const tracker = createQualityTracker({ window: 60_000, silentAfter: 600_000, examples: 2, staleAfter: () => 120_000, zoneOf: () => 'city', lies: LIES });
    const now = 2_000_000_000;
    const obs = (domain: string, id: string, lag: number) => ({ domain, id, ts: now - lag, fields: { v: 1 } });
    // Runs of one domain, then another, then the first again: each run's count goes to its own domain.
    tracker.observe([obs('sensor', 'x', 100), obs('sensor', 'x', 100), obs('traffic', 'x', 900), obs('sensor', 'y', 100), obs('traffic', 'x', 900)], now);
    const entity = (domain: string, id: string) => ({ domain, id, ts: now, lat: null, lon: null, fields: {}, status: 'ok' as const });
    const report = tracker.report({ limit: 10 }, [entity('sensor', 'x'), entity('sensor', 'y'), entity('traffic', 'x')], ['sensor', 'traffic'], now);
    const sensor = report.domains.find((d) => d.domain === 'sensor')!;
    const traffic = report.domains.find((d) => d.domain === 'traffic')!;
    expect(sensor.receivedPerMinute).toBe(3);
    expect(traffic.receivedPerMinute).toBe(2);
    expect(sensor.lagP95Ms).toBe(100);
    expect(traffic.lagP95Ms).toBe(900);
    expect(Object.fromEntries(sensor.entities.map((e) => [e.id, e.receivedPerMinute]))).toEqual({ x: 2, y: 1 });
    expect(traffic.entities.map((e) => [e.id, e.receivedPerMinute, e.lagP95Ms])).toEqual([['x', 2, 900]]);
  });
});

describe('sensors that lie', () => {
  const at = (i: number) => ({ lat: 21.27 + i * 0.001, lon: 106.19 });
  const sensor = (id: string, i: number, pm25: number, status: 'ok' | 'stale' = 'ok') => ({ domain: 'sensor', id, ts: 10 * HOUR, ...at(i), fields: { pm25 }, status });

  it('flags a value stuck for hours, a value outside the physical range, and one far from its neighbours', () => {
    const entities = [sensor('a', 0, 30), sensor('b', 1, 34), sensor('c', 2, 31), sensor('d', 3, 180), sensor('e', 4, -3), sensor('f', 5, 33), sensor('far', 900, 500)];
    const held = new Map([['a', new Map([['pm25', { value: 30, since: 2 * HOUR }]])], ['b', new Map([['pm25', { value: 34, since: 9 * HOUR }]])]]);
    const flags = findLies(entities, (e) => held.get(e.id), LIES, 10 * HOUR);
    expect(flags.get('sensor/a')).toEqual([{ kind: 'stuck', field: 'pm25', value: 30, since: 2 * HOUR, detail: 'unchanged for 8 h', reason: { vi: 'không đổi trong 8 giờ', en: 'unchanged for 8 h' } }]);
    expect(flags.get('sensor/b')).toBeUndefined();
    expect(flags.get('sensor/e')?.map((f) => f.kind)).toContain('out_of_range');
    expect(flags.get('sensor/e')?.find((f) => f.kind === 'out_of_range')?.detail).toBe('outside 0..1000');
    const d = flags.get('sensor/d')?.find((f) => f.kind === 'far_from_neighbours');
    expect(d?.value).toBe(180);
    expect(d?.detail).toMatch(/^neighbours' median 3\d(\.\d)? \(\d within 3000 m\)$/);
    expect(d?.reason.vi).toMatch(/^trung vị các điểm lân cận 3\d(,\d)? \(\d điểm trong bán kính 3000 m\)$/);
    // A sensor ~100 km away has no neighbours to be judged against.
    expect(flags.get('sensor/far')).toBeUndefined();
    for (const id of ['c', 'f']) expect(flags.get(`sensor/${id}`)).toBeUndefined();
  });

  it('does not call a silent sensor stuck', () => {
    const held = new Map([['pm25', { value: 30, since: 0 }]]);
    expect(findLies([sensor('s', 0, 30, 'stale')], () => held, LIES, 10 * HOUR).size).toBe(0);
  });
});

describe('demo city event streams', () => {
  const day = Date.UTC(2026, 10, 30, 0, 0); // a Monday in local time (UTC+7)

  it('is deterministic by seed, and publishes dossiers in office hours only, with about one in ten completed late', () => {
    const a = createEventStreams(42, 'city').between(day, day + 5 * 86_400_000, true);
    const b = createEventStreams(42, 'city').between(day, day + 5 * 86_400_000, true);
    expect(a).toEqual(b);
    const received = a.map((m) => JSON.parse(m.payload) as Record<string, unknown>).filter((p) => p.event === 'received');
    const completed = a.map((m) => JSON.parse(m.payload) as { event: string; ts: number; due: number }).filter((p) => p.event === 'completed');
    expect(received.length).toBeGreaterThan(1000);
    for (const m of a) expect(m.topic).toMatch(/^city\/dossier\/hs-/);
    const late = completed.filter((p) => p.ts > p.due).length / completed.length;
    expect(late).toBeGreaterThan(0.06);
    expect(late).toBeLessThan(0.14);
    const online = received.filter((p) => p.online === true).length / received.length;
    expect(online).toBeGreaterThan(0.45);
    expect(online).toBeLessThan(0.65);
  });

  it('publishes Frigate events the product decodes, for its own cameras, each object ending after it began', () => {
    const messages = createEventStreams(7, 'city').between(day + 3 * HOUR, day + 4 * HOUR);
    const frigate = messages.filter((m) => m.topic === 'frigate/events');
    expect(frigate.length).toBeGreaterThan(20);
    const ids = new Set(SIMULATED_CAMERAS.map((c) => c.id));
    const starts = new Map<string, number>();
    for (const m of frigate) {
      const decoded = decodeFrigateEvent(m.payload);
      if (!decoded.ok) throw new Error(decoded.error);
      expect(ids.has(decoded.change.camera)).toBe(true);
      if (decoded.change.type === 'new') starts.set(decoded.change.id, decoded.change.at);
      else expect(decoded.change.at).toBeGreaterThan(starts.get(decoded.change.id) ?? decoded.change.at - 1);
    }
    for (let i = 1; i < messages.length; i++) expect(messages[i]!.ts).toBeGreaterThanOrEqual(messages[i - 1]!.ts);
  });
});

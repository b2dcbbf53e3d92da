import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReportsConfigSchema } from '../../config/field-schema.js';
import { silentLogger } from '../../config/logger.js';
import type { Report } from '../../contract/index.js';
import { createAttachmentStore } from '../../server/attachments/attachment-store.js';
import { createReportService } from '../../server/reports/report-service.js';
import { CODE_ALPHABET, newTrackingCode, normalizeTrackingCode } from '../../server/reports/tracking-code.js';
import type { ReportChange, ReportService } from '../../server/reports/types.js';
import { PostgresStateStore } from '../../server/state/postgres-state.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import type { StateStore } from '../../server/state/types.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

/*
 * The report service on real state stores (SQLite and PostgreSQL) with a test clock: deadlines and
 * the overdue mark without waiting, the changes it publishes, and compare-and-set under a forced race.
 */

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-02T08:00:00+07:00');
const config = ReportsConfigSchema.parse({
  categories: [
    { id: 'flooding', name: { vi: 'Ngập úng', en: 'Flooding' }, deadline: '4h' },
    { id: 'rubbish', name: { vi: 'Rác thải', en: 'Rubbish' }, deadline: '24h' },
  ],
});
const INPUT = {
  category: 'flooding',
  description: 'Ngập sâu trước chợ',
  lat: 21.275,
  lon: 106.195,
  contact: { name: 'Trần Thị B', phone: '0912 345 678' },
};

let postgres: RunningPostgres | undefined;
let databases = 0;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const STORES: [string, () => Promise<StateStore>][] = [
  ['sqlite', () => Promise.resolve(new SqliteStateStore({ file: ':memory:' }))],
  [
    'postgres',
    async () => {
      if (postgres === undefined) throw new Error('PostgreSQL did not start');
      return new PostgresStateStore({ url: await postgres.createDatabase(`reports_${++databases}`) });
    },
  ],
];

describe.each(STORES)('report service on %s', (_name, openStore) => {
  let state: StateStore;
  let now: number;
  let service: ReportService;
  let published: Report[];
  let changes: ReportChange[];

  const make = (store: StateStore) =>
    createReportService({
      state: store,
      config,
      attachments: createAttachmentStore({ state: store, clock: () => now }),
      zoneOf: (lat) => (lat !== null && lat > 21.27 ? 'ward-a' : 'city'),
      logger: silentLogger,
      clock: () => now,
      publish: (report) => published.push(report),
    });

  beforeEach(async () => {
    state = await openStore();
    await state.init();
    now = T0;
    published = [];
    changes = [];
    service = make(state);
    service.onChange((change) => changes.push(change));
  });
  afterEach(async () => {
    await service.close();
    await state.close();
  });

  it('sets the zone from the place and the deadline from the category, and marks it overdue once past it', async () => {
    const report = await service.create(INPUT, []);
    expect(report).toMatchObject({
      zone: 'ward-a',
      status: 'received',
      createdAt: T0,
      deadline: T0 + 4 * HOUR,
      overdue: false,
    });
    now = T0 + 4 * HOUR;
    expect(await service.checkOverdue()).toEqual([]);
    now = T0 + 4 * HOUR + 1;
    const marked = await service.checkOverdue();
    expect(marked.map((r) => r.id)).toEqual([report.id]);
    expect(marked[0]?.overdue).toBe(true);
    expect(await service.checkOverdue(now + HOUR)).toEqual([]);
    const stored = await service.get(report.id);
    expect(stored?.history.map((e) => [e.action, e.by, e.at])).toEqual([
      ['create', 'citizen', T0],
      ['overdue', 'system', T0 + 4 * HOUR + 1],
    ]);
    expect(changes.map((c) => c.action)).toEqual(['create', 'overdue']);
    // A report closed late is no longer overdue, and a closed one is never marked.
    await service.assign(report.id, 'field-a', 'op');
    const resolved = await service.resolve(report.id, 'field-a', 'Đã hút nước');
    expect(resolved.overdue).toBe(false);
    expect(resolved.resolvedAt).toBe(now);
  });

  it('publishes every change without the contact; listeners get it whole', async () => {
    const report = await service.create(INPUT, []);
    await service.assign(report.id, 'field-a', 'op');
    await service.start(report.id, 'field-a');
    expect(published.map((r) => r.status)).toEqual(['received', 'assigned', 'in_progress']);
    expect(published.every((r) => r.contact === undefined)).toBe(true);
    expect(changes.map((c) => [c.action, c.by, c.report.contact?.phone])).toEqual([
      ['create', 'citizen', '0912 345 678'],
      ['assign', 'op', '0912 345 678'],
      ['start', 'field-a', '0912 345 678'],
    ]);
  });

  it('lets exactly one of two moves made from the same version be stored', async () => {
    const report = await service.create(INPUT, []);
    // Both moves read the report before either writes: a real race, forced.
    let readers = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const racing: StateStore = Object.create(state) as StateStore;
    racing.getRecord = async (kind, id) => {
      const record = await state.getRecord(kind, id);
      if (++readers === 2) release();
      await bothRead;
      return record;
    };
    const raced = make(racing);
    const results = await Promise.allSettled([raced.note(report.id, 'a', 'một'), raced.note(report.id, 'b', 'hai')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected');
    expect((lost as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'conflict' });
    expect((await service.get(report.id))?.history.filter((e) => e.action === 'note')).toHaveLength(1);
  });

  it('allows only the moves the status allows, rating once after it is closed', async () => {
    const report = await service.create(INPUT, []);
    await expect(service.rate(report.code, { score: 5 })).rejects.toMatchObject({ status: 409 });
    const rejected = await service.reject(report.id, 'op', 'Trùng phản ánh BG-…');
    expect(rejected).toMatchObject({ status: 'rejected', result: 'Trùng phản ánh BG-…' });
    await expect(service.assign(report.id, 'field-a', 'op')).rejects.toMatchObject({ status: 409 });
    await expect(service.recordEscalation(report.id, 1, ['zone:field'])).rejects.toMatchObject({ status: 409 });
    const rated = await service.rate(report.code.toLowerCase(), { score: 2, comment: 'Chưa rõ lý do' });
    expect(rated.rating).toEqual({ score: 2, comment: 'Chưa rõ lý do', at: T0 });
    await expect(service.rate(report.code, { score: 5 })).rejects.toMatchObject({ status: 409 });
    await expect(service.assign('rep-missing', 'a', 'b')).rejects.toMatchObject({ status: 404 });
  });

  it('lets an officer resolve a report at once, becoming its assignee; a closed report moves no more', async () => {
    const report = await service.create(INPUT, []);
    const resolved = await service.resolve(report.id, 'field-a', 'Đã khơi thông cống');
    expect(resolved).toMatchObject({ status: 'resolved', assignee: 'field-a', resolvedAt: T0 });
    await expect(service.resolve(report.id, 'field-a', 'lần nữa')).rejects.toMatchObject({ status: 409 });
    await expect(service.start(report.id, 'field-a')).rejects.toMatchObject({ status: 409 });
    await expect(service.reject(report.id, 'op', 'muộn')).rejects.toMatchObject({ status: 409 });
  });

  it('records escalation steps, lists open reports and counts the KPIs', async () => {
    const a = await service.create(INPUT, []);
    const escalated = await service.recordEscalation(a.id, 2, ['role:supervisor', 'webhook:city']);
    expect(escalated.history.at(-1)).toEqual({
      at: T0,
      by: 'system',
      action: 'escalate',
      step: 2,
      targets: ['role:supervisor', 'webhook:city'],
    });
    now += 1000;
    const b = await service.create({ ...INPUT, category: 'rubbish' }, []);
    await service.assign(b.id, 'field-a', 'op');
    now = T0 + HOUR;
    await service.resolve(b.id, 'field-a', 'Xong');
    await service.rate(b.code, { score: 4 });
    now += 1000;
    const c = await service.create(INPUT, []);
    now = T0 + 6 * HOUR;
    expect((await service.open()).map((r) => [r.id, r.overdue])).toEqual([
      [c.id, true],
      [a.id, true],
    ]);
    expect(await service.stats(T0, now)).toEqual({
      resolved: 1,
      resolvedOnTime: 1,
      open: 2,
      overdue: 2,
      rated: 1,
      ratingSum: 4,
    });
    expect((await service.query({ status: ['resolved'], limit: 10 })).map((r) => r.id)).toEqual([b.id]);
    expect((await service.query({ assignee: 'field-a', limit: 10 })).map((r) => r.id)).toEqual([b.id]);
    expect((await service.query({ overdue: true, category: 'flooding', limit: 1 })).map((r) => r.id)).toEqual([c.id]);
    expect((await service.query({ zone: 'city', limit: 10 })).length).toBe(0);
  });

  it('refuses an unknown category, naming the known ones', async () => {
    await expect(service.create({ ...INPUT, category: 'noise' }, [])).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('flooding, rubbish') as unknown,
    });
    expect(published).toEqual([]);
  });
});

describe('tracking codes', () => {
  it('are drawn from an alphabet without look-alikes and read back however they are typed', () => {
    const codes = new Set(Array.from({ length: 2000 }, () => newTrackingCode()));
    expect(codes.size).toBe(2000);
    for (const code of codes) expect(code).toMatch(/^BG-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    for (const ch of '01ILO') expect(CODE_ALPHABET).not.toContain(ch);
    expect(normalizeTrackingCode(' bg 7k3q-9xpm ')).toBe('BG-7K3Q-9XPM');
    expect(normalizeTrackingCode('7K3Q9XPM')).toBe('BG-7K3Q-9XPM');
    expect(normalizeTrackingCode('BG-7K3Q-9XP0')).toBeUndefined();
    expect(normalizeTrackingCode('BG-7K3Q')).toBeUndefined();
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EscalationPolicyInputSchema,
  type Alert,
  type Delivery,
  type EscalationPolicyInput,
  type Report,
} from '../../contract/index.js';
import * as lifecycle from '../../server/alerts/lifecycle.js';
import { createEscalationService, type EscalationDeps } from '../../server/escalation/escalation-service.js';
import { createPolicyBook } from '../../server/escalation/policy-book.js';
import type { DeliveryTarget, NotifyMessage } from '../../server/notify/types.js';
import type { ReportChange } from '../../server/reports/types.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import type { StoredUser } from '../../server/state/types.js';

/*
 * Escalation against a real SQLite state store and the real alert lifecycle, with a test clock.
 * The alert and report services are small in-memory stand-ins (they have their own tests); the
 * notifier records what it was asked to send (the delivery path has its own tests).
 */

const T0 = Date.UTC(2026, 5, 1, 1, 0, 0);
const MIN = 60_000;

function user(username: string, roles: StoredUser['roles'], zones: string[] = []): StoredUser {
  return {
    username,
    displayName: username,
    roles,
    zones,
    disabled: false,
    source: 'local',
    createdAt: T0,
    updatedAt: T0,
  };
}

function firing(id: string, zone: string, severity: Alert['severity'] = 'critical'): Alert {
  return {
    id,
    ruleId: 'flood',
    domain: 'sensor',
    entityId: `water-${id}`,
    severity,
    state: 'firing',
    startedAt: T0,
    updatedAt: T0,
    value: 42,
    message: 'mực nước 42 cm',
    zone,
    history: [{ at: T0, by: 'system', action: 'fire' }],
  };
}

/** Alerts kept in memory, moved by the real lifecycle functions. */
function alertBook(clock: () => number) {
  const alerts = new Map<string, Alert>();
  const listeners = new Set<(alert: Alert) => void>();
  const put = (alert: Alert) => {
    alerts.set(alert.id, alert);
    for (const listener of listeners) listener(alert);
    return alert;
  };
  const get = (id: string) => {
    const alert = alerts.get(id);
    if (!alert) throw new Error(`no alert ${id}`);
    return alert;
  };
  return {
    put,
    get,
    service: {
      findAlert: (id: string) => Promise.resolve(alerts.get(id)),
      assign: (id: string, assignee: string, by: string) =>
        Promise.resolve(put(lifecycle.assign(get(id), assignee, by, clock()))),
      recordEscalation: (id: string, step: number, targets: readonly string[]) =>
        Promise.resolve(put(lifecycle.recordEscalation(get(id), clock(), step, targets))),
      queryAlerts: (query: { assignee?: string; state?: readonly string[] }) =>
        Promise.resolve(
          [...alerts.values()].filter(
            (a) =>
              (query.assignee === undefined || a.assignee === query.assignee) &&
              (query.state === undefined || query.state.includes(a.state)),
          ),
        ),
      onAlert: (listener: (alert: Alert) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    } satisfies EscalationDeps['alerts'],
  };
}

function reportBook(clock: () => number) {
  const reports = new Map<string, Report>();
  const listeners = new Set<(change: ReportChange) => void>();
  const put = (report: Report, action: ReportChange['action'], by: string) => {
    reports.set(report.id, report);
    for (const listener of listeners) listener({ report, action, by });
    return report;
  };
  const get = (id: string) => {
    const report = reports.get(id);
    if (!report) throw new Error(`no report ${id}`);
    return report;
  };
  return {
    put,
    get,
    service: {
      get: (id: string) => Promise.resolve(reports.get(id)),
      open: () =>
        Promise.resolve(
          [...reports.values()].filter((r) => ['received', 'assigned', 'in_progress'].includes(r.status)),
        ),
      assign: (id: string, assignee: string, by: string) =>
        Promise.resolve(
          put(
            {
              ...get(id),
              assignee,
              status: 'assigned',
              history: [...get(id).history, { at: clock(), by, action: 'assign', note: assignee }],
            },
            'assign',
            by,
          ),
        ),
      recordEscalation: (id: string, step: number, targets: readonly string[]) =>
        Promise.resolve(
          put(
            {
              ...get(id),
              history: [
                ...get(id).history,
                { at: clock(), by: 'system', action: 'escalate', step, targets: [...targets] },
              ],
            },
            'escalate',
            'system',
          ),
        ),
      onChange: (listener: (change: ReportChange) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    } satisfies NonNullable<EscalationDeps['reports']>,
  };
}

interface Sent {
  message: NotifyMessage;
  targets: readonly DeliveryTarget[];
  dedupeKey: string;
}

function recordingNotifier() {
  const sent: Sent[] = [];
  const published: { event: string; dedupeKey: string; id: string }[] = [];
  return {
    sent,
    published,
    notifier: {
      notify: (message: NotifyMessage, targets: readonly DeliveryTarget[], dedupeKey: string) => {
        sent.push({ message, targets, dedupeKey });
        return Promise.resolve([] as Delivery[]);
      },
      publish: (event: string, item: { item: { id: string } }, dedupeKey: string) => {
        published.push({ event, dedupeKey, id: item.item.id });
        return Promise.resolve([] as Delivery[]);
      },
    } as EscalationDeps['notifier'],
  };
}

const POLICY: EscalationPolicyInput = {
  id: 'critical-alerts',
  match: { kind: 'alert', severity: 'critical' },
  autoAssign: 'zone',
  steps: [
    { after: '0s', notify: ['assignee', 'zone:field'] },
    { after: '10m', notify: ['role:supervisor', 'webhook:ops'] },
  ],
};

describe('escalation policies with a test clock', () => {
  let state: SqliteStateStore;
  let now: number;
  const clock = () => now;

  beforeEach(async () => {
    now = T0;
    state = new SqliteStateStore({ file: ':memory:' });
    await state.init();
    for (const u of [
      user('lan', ['field'], ['ward-a']),
      user('minh', ['field'], ['ward-a']),
      user('hoa', ['field'], ['ward-b']),
      user('sup', ['supervisor']),
      user('op', ['operator']),
    ]) {
      await state.createUser(u);
    }
  });
  afterEach(() => state.close());

  const setup = (policies: EscalationPolicyInput[] = [POLICY]) => {
    const alerts = alertBook(clock);
    const reports = reportBook(clock);
    const recorder = recordingNotifier();
    const book = createPolicyBook({
      state,
      configPolicies: policies.map((p) => EscalationPolicyInputSchema.parse(p)),
      clock,
    });
    const service = createEscalationService({
      state,
      policies: book,
      alerts: alerts.service,
      reports: reports.service,
      notifier: recorder.notifier,
      publicUrl: () => 'https://ioc.example.vn/',
      logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
      clock,
    });
    return { alerts, reports, recorder, book, service };
  };

  it('assigns to the zone field user with the fewest open items, notifies at once, and escalates when nobody acknowledges', async () => {
    const { alerts, recorder, service } = setup();
    // lan already holds an open alert: minh has fewer open items and gets the new one.
    alerts.put({ ...firing('old', 'ward-a', 'warning'), assignee: 'lan', state: 'acknowledged' });
    alerts.put(firing('a1', 'ward-a'));
    await service.opened('alert', 'a1');

    expect(alerts.get('a1').assignee).toBe('minh');
    expect(recorder.sent).toHaveLength(1);
    expect(recorder.sent[0]?.targets).toEqual(['user:minh', 'user:lan']);
    expect(recorder.sent[0]?.message.url).toBe('https://ioc.example.vn/field/alerts/a1');
    expect(recorder.sent[0]?.dedupeKey).toBe('escalation:alert:a1:step1');
    expect(recorder.published).toEqual([]);

    now = T0 + 9 * MIN;
    expect(await service.tick()).toBe(0);
    now = T0 + 10 * MIN;
    expect(await service.tick()).toBe(1);
    expect(recorder.sent[1]?.targets).toEqual(['user:sup', 'webhook:ops']);
    expect(recorder.sent[1]?.message.title).toMatch(/bước 2/);
    expect(recorder.published).toEqual([{ event: 'alert.escalated', dedupeKey: 'alert.escalated:a1:step2', id: 'a1' }]);
    const steps = alerts.get('a1').history?.filter((e) => e.action === 'escalate');
    expect(steps?.map((e) => [e.step, e.targets])).toEqual([
      [1, ['user:minh', 'user:lan']],
      [2, ['user:sup', 'webhook:ops']],
    ]);
    // The policy has no third step: nothing more, ever.
    now = T0 + 60 * MIN;
    expect(await service.tick()).toBe(0);
    expect(recorder.sent).toHaveLength(2);
  });

  it('stops once the alert is acknowledged', async () => {
    const { alerts, recorder, service } = setup();
    alerts.put(firing('a1', 'ward-a'));
    await service.opened('alert', 'a1');
    now = T0 + 2 * MIN;
    alerts.put(lifecycle.acknowledge(alerts.get('a1'), 'minh', now));
    now = T0 + 30 * MIN;
    expect(await service.tick()).toBe(0);
    expect(recorder.sent).toHaveLength(1);
    expect(recorder.published).toEqual([]);
    expect(await state.listRecords('escalation', { open: true, limit: 10 })).toEqual([]);
  });

  it('runs each step once when two nodes tick at the same moment', async () => {
    const first = setup();
    first.alerts.put(firing('a1', 'ward-a'));
    await first.service.opened('alert', 'a1');
    // A second node: its own services over the same state store and the same alert.
    const second = createEscalationService({
      state,
      policies: createPolicyBook({ state, configPolicies: [EscalationPolicyInputSchema.parse(POLICY)], clock }),
      alerts: first.alerts.service,
      notifier: first.recorder.notifier,
      publicUrl: () => 'https://ioc.example.vn',
      logger: { warn: () => undefined, error: () => undefined, info: () => undefined },
      clock,
    });
    now = T0 + 11 * MIN;
    const ran = await Promise.all([first.service.tick(), second.tick(), first.service.tick()]);
    expect(ran.reduce((a, b) => a + b, 0)).toBe(1);
    expect(first.recorder.sent.map((s) => s.dedupeKey)).toEqual([
      'escalation:alert:a1:step1',
      'escalation:alert:a1:step2',
    ]);
  });

  it('starts from the listeners: a new firing alert and a new report', async () => {
    const reportPolicy: EscalationPolicyInput = {
      id: 'reports',
      match: { kind: 'report' },
      autoAssign: 'zone',
      steps: [
        { after: 0, notify: ['assignee'] },
        { after: '1h', notify: ['role:supervisor'] },
      ],
    };
    const { alerts, reports, recorder, service } = setup([POLICY, reportPolicy]);
    service.start(60_000);
    try {
      alerts.put(firing('a1', 'ward-b'));
      reports.put(
        {
          id: 'r1',
          code: 'BG-1',
          category: 'flooding',
          description: 'Ngập sâu',
          lat: 21.27,
          lon: 106.19,
          zone: 'ward-b',
          status: 'received',
          createdAt: T0,
          updatedAt: T0,
          deadline: T0 + 4 * 60 * MIN,
          overdue: false,
          attachments: [],
          history: [],
        },
        'create',
        'citizen',
      );
      await service.idle();
      expect(alerts.get('a1').assignee).toBe('hoa');
      expect(reports.get('r1').assignee).toBe('hoa');
      expect(recorder.sent.map((s) => [s.message.kind, s.targets])).toEqual(
        expect.arrayContaining([
          ['alert', ['user:hoa']],
          ['report', ['user:hoa']],
        ]),
      );
      // The officer starts the report (its "acknowledge"): the supervisor is never called.
      reports.put({ ...reports.get('r1'), status: 'in_progress' }, 'start', 'hoa');
      now = T0 + 2 * 60 * MIN;
      await service.tick();
      expect(recorder.sent.filter((s) => s.message.kind === 'report')).toHaveLength(1);
      // The alert was not acknowledged: its second step ran.
      expect(recorder.sent.filter((s) => s.message.kind === 'alert').map((s) => s.targets)).toEqual([
        ['user:hoa'],
        ['user:sup', 'webhook:ops'],
      ]);
    } finally {
      service.stop();
    }
  });

  it('tells the officer and the supervisors once when an open report passes its deadline, even one taken on', async () => {
    const { reports, recorder, service } = setup([]);
    service.start(60_000);
    try {
      const late: Report = {
        id: 'r9',
        code: 'BG-9',
        category: 'rubbish',
        description: 'Rác chưa thu gom',
        lat: 21.27,
        lon: 106.19,
        zone: 'ward-a',
        status: 'in_progress',
        assignee: 'lan',
        createdAt: T0,
        updatedAt: T0,
        deadline: T0 + 60 * MIN,
        overdue: true,
        attachments: [],
        history: [],
      };
      reports.put(late, 'overdue', 'system');
      await service.idle();
      expect(recorder.sent.map((s) => [s.message.event, s.targets, s.dedupeKey])).toEqual([
        ['report.overdue', ['user:lan', 'user:sup'], 'report.overdue:r9'],
      ]);
      expect(recorder.sent[0]?.message.title).toMatch(/^⏰ Quá hạn/);
    } finally {
      service.stop();
    }
  });

  it('matches by priority then id; leaves items no policy matches alone', async () => {
    const { alerts, recorder, service, book } = setup([
      { ...POLICY, id: 'z-wide', priority: 100 },
      { id: 'a-ward-a', priority: 10, match: { zone: 'ward-a' }, steps: [{ after: 0, notify: ['user:op'] }] },
    ]);
    expect((await book.match({ kind: 'alert', severity: 'critical', zone: 'ward-a' }))?.id).toBe('a-ward-a');
    expect((await book.match({ kind: 'alert', severity: 'critical', zone: 'ward-b' }))?.id).toBe('z-wide');
    expect(await book.match({ kind: 'alert', severity: 'info', zone: 'ward-b' })).toBeUndefined();
    alerts.put(firing('quiet', 'ward-b', 'info'));
    await service.opened('alert', 'quiet');
    expect(recorder.sent).toEqual([]);
    expect(alerts.get('quiet').assignee).toBeUndefined();
  });

  it('keeps API policies in the state store; config ones are replaced, never deleted', async () => {
    const { book } = setup();
    await book.create({
      id: 'night',
      match: { kind: 'report', category: 'streetlight' },
      steps: [{ after: '30m', notify: ['email:truc.ban@bacgiang.gov.vn'] }],
    });
    await expect(book.create({ id: 'night', steps: [{ after: 0, notify: ['assignee'] }] })).rejects.toMatchObject({
      status: 409,
    });
    await expect(book.create({ id: 'bad', steps: [{ after: 0, notify: ['pager:7'] }] })).rejects.toMatchObject({
      status: 400,
    });
    await expect(book.remove('critical-alerts')).rejects.toMatchObject({ status: 409 });
    await book.replace('critical-alerts', { ...POLICY, enabled: false });
    const listed = await book.list();
    expect(listed.map((p) => [p.id, p.source, p.enabled])).toEqual([
      ['critical-alerts', 'config', false],
      ['night', 'api', true],
    ]);
    expect(listed[1]?.steps[0]?.after).toBe(30 * MIN);
    await book.remove('night');
    await expect(book.remove('night')).rejects.toMatchObject({ status: 404 });
  });
});

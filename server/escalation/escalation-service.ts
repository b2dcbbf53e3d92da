import type { Alert, EscalationPolicy, Report, Role } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { DeliveryTarget, Notifier, NotifyMessage } from '../notify/types.js';
import type { ReportService } from '../reports/types.js';
import type { StateStore, StoredRecord } from '../state/types.js';
import type { EscalationSubject, PolicyBook } from './policy-book.js';

/*
 * Escalation: when an alert fires or a citizen report arrives, the first matching policy may assign
 * it to the zone's least-loaded field user and then runs its steps, each `after` the item opened,
 * until someone acknowledges (alert acknowledged, snoozed or resolved; report started, resolved or
 * rejected). Progress is a record per item in the state store, advanced by compare-and-set, so with
 * several nodes each step runs exactly once, and a restart carries on where it stopped.
 */

type ItemKind = 'alert' | 'report';

/** Progress of one item through its policy (record kind 'escalation', id `<kind>:<item id>`). */
interface Progress {
  kind: ItemKind;
  itemId: string;
  policyId: string;
  openedAt: number;
  /** Index of the next step to run. */
  nextStep: number;
  done: boolean;
  /** Why it stopped: acknowledged, resolved, last step, policy gone. */
  stopped?: string;
}

export interface EscalationDeps {
  state: StateStore;
  policies: PolicyBook;
  alerts: Pick<AlertService, 'findAlert' | 'assign' | 'recordEscalation' | 'queryAlerts' | 'onAlert'>;
  reports?: Pick<ReportService, 'get' | 'assign' | 'recordEscalation' | 'open' | 'onChange'>;
  notifier: Pick<Notifier, 'notify' | 'publish'>;
  /** Base of the links in messages. */
  publicUrl: () => string;
  /** Who hears when an open report passes its deadline (`escalation.overdueNotify`). */
  overdueNotify?: readonly string[];
  /** A report category's name for messages. */
  categoryName?: (id: string) => string;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  clock?: () => number;
}

export interface EscalationService {
  /** Starts the periodic `tick` (every `intervalMs`). */
  start(intervalMs: number): void;
  stop(): void;
  /** Runs every due step; answers how many steps ran. */
  tick(now?: number): Promise<number>;
  /** Starts escalation of a newly opened item (also called by the listeners `start` installs). */
  opened(kind: ItemKind, id: string): Promise<void>;
  /** Resolves when the work the listeners started has finished (tests). */
  idle(): Promise<void>;
}

const OPEN_ALERT = new Set(['firing']);
const OPEN_REPORT = new Set(['received', 'assigned']);
const MAX_PENDING = 5_000;
const SEVERITY_VI: Record<string, string> = { info: 'Thông tin', warning: 'Cảnh báo', critical: 'Khẩn cấp' };

export function createEscalationService(deps: EscalationDeps): EscalationService {
  const { state, policies, alerts, reports, notifier, logger } = deps;
  const clock = deps.clock ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<number> | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const unsubscribe: (() => void)[] = [];

  const track = (work: Promise<unknown>) => {
    const settled = work.catch((err: unknown) => logger.error('escalation failed', { error: (err as Error).message }));
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
  };

  const subjectOf = (kind: ItemKind, item: Alert | Report): EscalationSubject =>
    kind === 'alert'
      ? {
          kind,
          severity: (item as Alert).severity,
          domain: (item as Alert).domain,
          zone: (item as Alert).zone ?? 'city',
          ruleId: (item as Alert).ruleId,
        }
      : { kind, zone: (item as Report).zone, category: (item as Report).category };

  const current = async (kind: ItemKind, id: string): Promise<Alert | Report | undefined> =>
    kind === 'alert' ? alerts.findAlert(id) : reports?.get(id);

  /** Still waiting for someone: escalation goes on. */
  const waiting = (kind: ItemKind, item: Alert | Report): boolean =>
    kind === 'alert' ? OPEN_ALERT.has((item as Alert).state) : OPEN_REPORT.has((item as Report).status);

  const openItemsOf = async (username: string): Promise<number> => {
    const assignedAlerts = await alerts.queryAlerts({
      state: ['firing', 'acknowledged', 'snoozed'],
      assignee: username,
      limit: 10_000,
    });
    const assignedReports = reports ? (await reports.open()).filter((report) => report.assignee === username) : [];
    return assignedAlerts.length + assignedReports.length;
  };

  /** The zone's field user with the fewest open items (ties: by username), or undefined. */
  const leastLoadedFieldUser = async (zone: string): Promise<string | undefined> => {
    const candidates = (await state.listUsers()).filter(
      (user) => !user.disabled && user.roles.includes('field') && user.zones.includes(zone),
    );
    let best: { username: string; load: number } | undefined;
    for (const user of candidates) {
      const load = await openItemsOf(user.username);
      if (best === undefined || load < best.load || (load === best.load && user.username < best.username))
        best = { username: user.username, load };
    }
    return best?.username;
  };

  const resolveTargets = async (
    targets: readonly string[],
    item: Alert | Report,
    zone: string,
  ): Promise<DeliveryTarget[]> => {
    const users = await state.listUsers();
    const active = users.filter((user) => !user.disabled);
    const out = new Set<DeliveryTarget>();
    for (const target of targets) {
      if (target === 'assignee') {
        const assignee = item.assignee;
        if (assignee !== undefined && active.some((user) => user.username === assignee)) out.add(`user:${assignee}`);
      } else if (target === 'zone:field') {
        for (const user of active)
          if (user.roles.includes('field') && user.zones.includes(zone)) out.add(`user:${user.username}`);
      } else if (target.startsWith('role:')) {
        const role = target.slice('role:'.length) as Role;
        for (const user of active) if (user.roles.includes(role)) out.add(`user:${user.username}`);
      } else if (target.startsWith('user:')) {
        if (active.some((user) => `user:${user.username}` === target)) out.add(target as DeliveryTarget);
      } else {
        out.add(target as DeliveryTarget);
      }
    }
    return [...out];
  };

  const messageOf = (kind: ItemKind, item: Alert | Report, step: number, escalated: boolean): NotifyMessage => {
    const base = deps.publicUrl().replace(/\/$/, '');
    const prefix = escalated ? `⏫ Chưa ai nhận (bước ${step}) · ` : '';
    if (kind === 'alert') {
      const alert = item as Alert;
      return {
        kind,
        itemId: alert.id,
        event: `escalation.step${step}`,
        title: `${prefix}${SEVERITY_VI[alert.severity] ?? alert.severity}: ${alert.entityId}`,
        body: `${alert.message} · ${alert.zone ?? 'city'}`,
        url: `${base}/field/alerts/${encodeURIComponent(alert.id)}`,
        ackable: true,
      };
    }
    const report = item as Report;
    const deadline = new Date(report.deadline).toLocaleString('vi-VN', {
      timeZone: 'Asia/Ho_Chi_Minh',
      hour: '2-digit',
      minute: '2-digit',
      day: '2-digit',
      month: '2-digit',
    });
    return {
      kind,
      itemId: report.id,
      event: `escalation.step${step}`,
      title: `${prefix}Phản ánh: ${deps.categoryName?.(report.category) ?? report.category} (${report.code})`,
      body: `${report.description.slice(0, 160)} · hạn ${deadline}`,
      url: `${base}/field/reports/${encodeURIComponent(report.id)}`,
      ackable: true,
    };
  };

  const save = async (record: StoredRecord, progress: Progress, now: number): Promise<boolean> =>
    state.casRecord(
      { ...record, version: record.version + 1, updatedAt: now, open: !progress.done, json: JSON.stringify(progress) },
      record.version,
    );

  /** Runs the next step of one item if it is due; false when another node took it or nothing was due. */
  const advance = async (record: StoredRecord, now: number): Promise<boolean> => {
    const progress = JSON.parse(record.json) as Progress;
    const policy = (await policies.get(progress.policyId)) as EscalationPolicy | undefined;
    const item = await current(progress.kind, progress.itemId);
    const stop = async (why: string) => save(record, { ...progress, done: true, stopped: why }, now);
    if (policy === undefined || !policy.enabled) {
      await stop('policy gone');
      return false;
    }
    if (item === undefined) {
      await stop('item gone');
      return false;
    }
    if (!waiting(progress.kind, item)) {
      await stop('acknowledged');
      return false;
    }
    const step = policy.steps[progress.nextStep];
    if (step === undefined) {
      await stop('last step');
      return false;
    }
    if (progress.openedAt + step.after > now) return false;

    const next: Progress = {
      ...progress,
      nextStep: progress.nextStep + 1,
      done: progress.nextStep + 1 >= policy.steps.length,
    };
    if (next.done) next.stopped = 'last step';
    // Claim the step first: of several nodes, only the one whose compare-and-set wins sends it.
    if (!(await save(record, next, now))) return false;

    const number = progress.nextStep + 1;
    const zone = subjectOf(progress.kind, item).zone;
    const targets = await resolveTargets(step.notify, item, zone);
    // A step after the item opened means nobody acknowledged it in time: that is an escalation.
    const escalated = step.after > 0;
    const dedupe = `escalation:${progress.kind}:${progress.itemId}:step${number}`;
    const recorded =
      progress.kind === 'alert'
        ? await alerts.recordEscalation(progress.itemId, number, targets).catch(() => undefined)
        : await reports?.recordEscalation(progress.itemId, number, targets).catch(() => undefined);
    if (targets.length > 0)
      await notifier.notify(messageOf(progress.kind, recorded ?? item, number, escalated), targets, dedupe);
    else logger.warn('escalation step reached nobody', { item: progress.itemId, step: number, targets: step.notify });
    if (escalated) {
      const latest = recorded ?? item;
      await notifier.publish(
        progress.kind === 'alert' ? 'alert.escalated' : 'report.escalated',
        progress.kind === 'alert'
          ? { kind: 'alert', item: latest as Alert }
          : { kind: 'report', item: withoutContact(latest as Report) },
        // Its own key: a step may also notify the same webhook directly, which must not swallow the event.
        `${progress.kind}.escalated:${progress.itemId}:step${number}`,
      );
    }
    return true;
  };

  const opened = async (kind: ItemKind, id: string): Promise<void> => {
    const item = await current(kind, id);
    if (item === undefined || !waiting(kind, item)) return;
    const subject = subjectOf(kind, item);
    const policy = await policies.match(subject);
    if (policy === undefined) return;
    const now = clock();
    const progress: Progress = {
      kind,
      itemId: id,
      policyId: policy.id,
      openedAt: kind === 'alert' ? (item as Alert).startedAt : (item as Report).createdAt,
      nextStep: 0,
      done: false,
    };
    const record: StoredRecord = {
      kind: 'escalation',
      id: `${kind}:${id}`,
      version: 1,
      ref: id,
      at: now,
      updatedAt: now,
      open: true,
      json: JSON.stringify(progress),
    };
    // One node starts it; an item waiting again after its escalation stopped (a snooze ended) starts over.
    if (!(await state.insertRecord(record))) {
      const existing = await state.getRecord('escalation', record.id);
      if (existing === undefined || existing.open) return;
      const again: Progress = { ...progress, openedAt: now };
      if (
        !(await state.casRecord(
          { ...record, version: existing.version + 1, at: existing.at, json: JSON.stringify(again) },
          existing.version,
        ))
      )
        return;
    }
    if (policy.autoAssign === 'zone' && item.assignee === undefined) {
      const assignee = await leastLoadedFieldUser(subject.zone);
      if (assignee !== undefined) {
        if (kind === 'alert')
          await alerts
            .assign(id, assignee, 'system')
            .catch((err: Error) => logger.warn('auto-assign failed', { item: id, error: err.message }));
        else
          await reports
            ?.assign(id, assignee, 'system')
            .catch((err: Error) => logger.warn('auto-assign failed', { item: id, error: err.message }));
      }
    }
    const stored = await state.getRecord('escalation', record.id);
    if (stored) await advance(stored, clock());
  };

  /** An open report past its deadline: its officer and the supervisors hear it once, whatever its escalation did. */
  const overdue = async (report: Report): Promise<void> => {
    const targets = await resolveTargets(deps.overdueNotify ?? ['assignee', 'role:supervisor'], report, report.zone);
    if (targets.length === 0) return;
    const message = messageOf('report', report, 0, false);
    await notifier.notify(
      { ...message, event: 'report.overdue', title: `⏰ Quá hạn · ${message.title}` },
      targets,
      `report.overdue:${report.id}`,
    );
  };

  const tick = async (now = clock()): Promise<number> => {
    const pending = await state.listRecords('escalation', { open: true, limit: MAX_PENDING });
    let ran = 0;
    for (const record of pending) {
      try {
        if (await advance(record, now)) ran++;
      } catch (err) {
        logger.error('escalation step failed', { item: record.id, error: (err as Error).message });
      }
    }
    return ran;
  };

  return {
    start(intervalMs) {
      if (timer !== undefined) return;
      unsubscribe.push(
        alerts.onAlert((alert) => {
          const last = alert.history?.at(-1);
          // A new firing alert (the engine's `fire`), or one firing again after its snooze ended.
          if (alert.state === 'firing' && (last?.action === 'fire' || last?.action === 'unsnooze'))
            track(opened('alert', alert.id));
        }),
      );
      if (reports) {
        unsubscribe.push(
          reports.onChange((change) => {
            if (change.action === 'create') track(opened('report', change.report.id));
            if (change.action === 'overdue') track(overdue(change.report));
          }),
        );
      }
      timer = setInterval(() => {
        // One tick at a time: a slow store must not pile ticks up.
        if (ticking) return;
        ticking = tick().finally(() => (ticking = undefined));
        track(ticking);
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      for (const off of unsubscribe.splice(0)) off();
    },
    tick,
    opened,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

/** A report as it may leave the staff side (webhooks, live events): never the citizen's contact. */
export function withoutContact(report: Report): Omit<Report, 'contact'> {
  const { contact: _contact, ...rest } = report;
  return rest;
}

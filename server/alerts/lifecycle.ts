import type { Alert, AlertEvent, AttachmentInfo, Rule, Severity } from '../../contract/index.js';
import type { ConditionValue } from './conditions/index.js';
import { badRequest, conflict } from './errors.js';

/** The actor recorded for moves the server makes on its own (condition cleared, escalation, snooze end). */
export const SYSTEM = 'system';

/*
 * The alert state machine. Every function returns a new Alert (emitted and persisted objects are
 * never mutated afterwards) with one more entry in its history, or throws a 409 for a move the
 * current state does not allow:
 *
 *   firing ──ack──▶ acknowledged          snooze: firing | acknowledged | snoozed ──▶ snoozed
 *   snoozed ──ack──▶ acknowledged         snooze ends: ──▶ firing (condition holds) | resolved (it cleared)
 *   any open ──resolve──▶ resolved        condition clears: firing | acknowledged ──▶ resolved (by system)
 *   assign: any open state                note: any state, resolved included
 */

const NEXT_SEVERITY: Record<Severity, Severity | undefined> = {
  info: 'warning',
  warning: 'critical',
  critical: undefined,
};

/** Opens a new firing alert for a rule that started to hold for an entity. */
export function openAlert(
  id: string,
  rule: Rule,
  entityId: string,
  value: ConditionValue,
  ts: number,
  lat: number | null,
  lon: number | null,
): Alert {
  return {
    id,
    ruleId: rule.id,
    domain: rule.domain,
    entityId,
    severity: rule.severity,
    state: 'firing',
    startedAt: ts,
    updatedAt: ts,
    value,
    message: describe(rule, entityId, value),
    lat,
    lon,
    history: [{ at: ts, by: SYSTEM, action: 'fire' }],
  };
}

/** firing | snoozed → acknowledged. */
export function acknowledge(alert: Alert, by: string, at: number, note?: string): Alert {
  if (alert.state !== 'firing' && alert.state !== 'snoozed') throw illegal(alert, 'acknowledge');
  return change(alert, { state: 'acknowledged', snoozedUntil: undefined }, event(at, by, 'ack', note));
}

/** Sets the person or team in charge of an open alert. */
export function assign(alert: Alert, assignee: string, by: string, at: number): Alert {
  if (alert.state === 'resolved') throw illegal(alert, 'assign');
  return change(alert, { assignee }, event(at, by, 'assign', `assigned to ${assignee}`));
}

/** Hides an open alert until `until`; it comes back (or resolves) then. */
export function snooze(alert: Alert, until: number, by: string, at: number): Alert {
  if (alert.state === 'resolved') throw illegal(alert, 'snooze');
  if (until <= at)
    throw badRequest('snooze end must be in the future', [{ path: 'until', message: 'must be in the future' }]);
  return change(
    alert,
    { state: 'snoozed', snoozedUntil: until },
    event(at, by, 'snooze', `until ${new Date(until).toISOString()}`),
  );
}

/** Closes an open alert by hand. */
export function resolve(alert: Alert, by: string, at: number, note?: string): Alert {
  if (alert.state === 'resolved') throw illegal(alert, 'resolve');
  return change(alert, { state: 'resolved', snoozedUntil: undefined }, event(at, by, 'resolve', note));
}

/** Adds a note to the audit trail (allowed on resolved alerts too, for post-mortems). */
export function addNote(alert: Alert, by: string, at: number, text: string): Alert {
  return change(alert, {}, event(at, by, 'note', text));
}

/** A photo added as evidence (field app): kept on the alert, recorded in its history. */
export function attach(alert: Alert, attachment: AttachmentInfo, at: number): Alert {
  return change(alert, { attachments: [...(alert.attachments ?? []), attachment] }, event(at, attachment.by, 'attach', attachment.id));
}

/**
 * An escalation-policy step notified people: recorded in the history (it does not change the
 * state or severity, and is allowed in any open state).
 */
export function recordEscalation(alert: Alert, at: number, step: number, targets: readonly string[]): Alert {
  if (alert.state === 'resolved') throw conflict(`alert "${alert.id}" is resolved; no escalation step runs`);
  return change(alert, {}, { at, by: SYSTEM, action: 'escalate', step, targets: [...targets] });
}

/** The rule's condition stopped holding: firing/acknowledged resolve, a snoozed alert just records it. */
export function conditionCleared(alert: Alert, at: number, value: ConditionValue): Alert {
  if (alert.state === 'resolved') return alert;
  const state = alert.state === 'snoozed' ? 'snoozed' : 'resolved';
  return change(alert, { state, value }, event(at, SYSTEM, 'clear', 'condition cleared'));
}

/** The condition holds again while the alert is snoozed (it cleared meanwhile). */
export function conditionRefired(alert: Alert, at: number, value: ConditionValue): Alert {
  return change(alert, { value }, event(at, SYSTEM, 'fire', 'condition holds again'));
}

/** Snooze over: firing again when the condition still holds, resolved by the system otherwise. */
export function endSnooze(alert: Alert, at: number, conditionHolds: boolean): Alert {
  if (alert.state !== 'snoozed') return alert;
  const woken = change(alert, { state: 'firing', snoozedUntil: undefined }, event(at, SYSTEM, 'unsnooze'));
  if (conditionHolds) return woken;
  return change(woken, { state: 'resolved' }, event(at, SYSTEM, 'resolve', 'condition cleared while snoozed'));
}

/** One step up in severity for an alert nobody acknowledged in time; null when already critical. */
export function escalate(alert: Alert, at: number): Alert | null {
  const next = NEXT_SEVERITY[alert.severity];
  if (next === undefined || alert.state !== 'firing') return null;
  return change(alert, { severity: next }, event(at, SYSTEM, 'escalate', `${alert.severity} → ${next}`));
}

/** Whether the rule's condition was holding at the last fire/clear in the history. */
export function conditionActive(alert: Alert): boolean {
  const history = alert.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) {
    const action = history[i]!.action;
    if (action === 'fire') return true;
    if (action === 'clear') return false;
  }
  return alert.state !== 'resolved';
}

/** When the current unacknowledged stretch began: the last fire, escalation or snooze end. */
export function firingSince(alert: Alert): number {
  const history = alert.history ?? [];
  for (let i = history.length - 1; i >= 0; i--) {
    const entry = history[i]!;
    if (entry.action === 'fire' || entry.action === 'escalate' || entry.action === 'unsnooze') return entry.at;
  }
  return alert.startedAt;
}

/** The one-line text shown with an alert. */
export function describe(rule: Rule, entityId: string, value: ConditionValue): string {
  return value === null ? `${rule.name}: ${entityId}` : `${rule.name}: ${entityId} (${formatValue(value)})`;
}

function formatValue(value: number | boolean | string): string {
  if (typeof value !== 'number' || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

function event(at: number, by: string, action: AlertEvent['action'], note?: string): AlertEvent {
  return note === undefined ? { at, by, action } : { at, by, action, note };
}

function change(alert: Alert, patch: Partial<Alert>, entry: AlertEvent): Alert {
  const next: Alert = {
    ...alert,
    ...patch,
    updatedAt: Math.max(alert.updatedAt, entry.at),
    history: [...(alert.history ?? []), entry],
  };
  if (next.snoozedUntil === undefined) delete next.snoozedUntil;
  return next;
}

function illegal(alert: Alert, move: string) {
  return conflict(`cannot ${move} alert "${alert.id}": it is ${alert.state}`);
}

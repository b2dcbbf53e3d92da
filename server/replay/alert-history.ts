import type { Alert, AlertEvent, ReplayAlertEvent, Severity } from '../../contract/index.js';

/*
 * An alert's past versions, rebuilt from its history. Every lifecycle move appends one event
 * (server/alerts/lifecycle.ts), so replaying the events up to t gives the version as of t:
 *
 *   fire      first event: firing; later ones (condition holds again while snoozed) keep the state
 *   ack       acknowledged (snooze ends)        snooze   snoozed until the time in its note
 *   unsnooze  firing                            resolve  resolved
 *   clear     firing | acknowledged → resolved; snoozed stays snoozed
 *   escalate  one step up in severity           assign   assignee from its note
 *   note      nothing changes
 *
 * What the history cannot tell (the condition's value then) stays as stored.
 */

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
const ASSIGNED_TO = 'assigned to ';
const SNOOZED_UNTIL = 'until ';

/** The events of an alert, oldest first; alerts stored without history get the fire (and resolve) they imply. */
export function alertEvents(alert: Alert): AlertEvent[] {
  if (alert.history && alert.history.length > 0) return alert.history;
  const fire: AlertEvent = { at: alert.startedAt, by: 'system', action: 'fire' };
  return alert.state === 'resolved' ? [fire, { at: alert.updatedAt, by: 'system', action: 'resolve' }] : [fire];
}

/** The severity before any escalation: the stored one stepped back once per escalate event. */
function initialSeverity(alert: Alert, events: readonly AlertEvent[]): Severity {
  // Escalation-policy steps (with `step`) notify people; only the rule's own escalation raises severity.
  const escalations = events.filter((e) => e.action === 'escalate' && e.step === undefined).length;
  return SEVERITIES[Math.max(0, SEVERITIES.indexOf(alert.severity) - escalations)] ?? alert.severity;
}

/** The alert before its first event: firing, unassigned, at its first severity. */
function firstVersion(stored: Alert, events: readonly AlertEvent[]): Alert {
  const first: Alert = {
    ...stored,
    state: 'firing',
    severity: initialSeverity(stored, events),
    updatedAt: stored.startedAt,
  };
  delete first.assignee;
  delete first.snoozedUntil;
  return first;
}

/** The version after each event, in order: `versions[i]` is the alert right after `events[i]`. */
export function alertVersions(alert: Alert): Alert[] {
  const events = alertEvents(alert);
  const versions: Alert[] = [];
  let current: Alert | undefined;
  for (const [i, event] of events.entries()) {
    current = applyEvent(alert, current, event, events, i);
    versions.push(current);
  }
  return versions;
}

function applyEvent(
  stored: Alert,
  previous: Alert | undefined,
  event: AlertEvent,
  events: readonly AlertEvent[],
  index: number,
): Alert {
  const base = previous ?? firstVersion(stored, events);
  const next: Alert = { ...base, updatedAt: Math.max(base.updatedAt, event.at), history: events.slice(0, index + 1) };
  switch (event.action) {
    case 'fire':
      break;
    case 'ack':
      next.state = 'acknowledged';
      delete next.snoozedUntil;
      break;
    case 'assign': {
      const assignee = event.note?.startsWith(ASSIGNED_TO) ? event.note.slice(ASSIGNED_TO.length) : stored.assignee;
      if (assignee !== undefined) next.assignee = assignee;
      break;
    }
    case 'snooze': {
      next.state = 'snoozed';
      const until = event.note?.startsWith(SNOOZED_UNTIL) ? Date.parse(event.note.slice(SNOOZED_UNTIL.length)) : NaN;
      if (Number.isFinite(until)) next.snoozedUntil = until;
      else if (stored.snoozedUntil !== undefined) next.snoozedUntil = stored.snoozedUntil;
      break;
    }
    case 'unsnooze':
      next.state = 'firing';
      delete next.snoozedUntil;
      break;
    case 'resolve':
      next.state = 'resolved';
      delete next.snoozedUntil;
      break;
    case 'clear':
      if (next.state !== 'snoozed') next.state = 'resolved';
      break;
    case 'escalate':
      if (event.step !== undefined) break;
      next.severity =
        SEVERITIES[Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(next.severity) + 1)] ?? next.severity;
      break;
    case 'note':
      break;
  }
  return next;
}

/** The alert as it was at `at`: undefined before it started. */
export function alertAt(alert: Alert, at: number): Alert | undefined {
  if (alert.startedAt > at) return undefined;
  const events = alertEvents(alert);
  let last = -1;
  for (let i = 0; i < events.length && events[i]!.at <= at; i++) last = i;
  if (last < 0) return undefined;
  return alertVersions(alert)[last];
}

/** Whether the alert was open (started and not resolved) at `at`. */
export function openAt(alert: Alert, at: number): boolean {
  const version = alertAt(alert, at);
  return version !== undefined && version.state !== 'resolved';
}

/** Every lifecycle event of these alerts with `from <= at <= to`, oldest first (ties by alert id, then history order). */
export function alertTimeline(alerts: readonly Alert[], from: number, to: number): ReplayAlertEvent[] {
  const out: { event: ReplayAlertEvent; order: number }[] = [];
  for (const alert of alerts) {
    const events = alertEvents(alert);
    const versions = alertVersions(alert);
    for (const [i, event] of events.entries()) {
      if (event.at < from || event.at > to) continue;
      const version = versions[i]!;
      out.push({
        order: i,
        event: {
          at: event.at,
          alertId: alert.id,
          ruleId: alert.ruleId,
          domain: alert.domain,
          entityId: alert.entityId,
          severity: version.severity,
          action: event.action,
          by: event.by,
          state: version.state,
        },
      });
    }
  }
  out.sort((a, b) => a.event.at - b.event.at || cmp(a.event.alertId, b.event.alertId) || a.order - b.order);
  return out.map((o) => o.event);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

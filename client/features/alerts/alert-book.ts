import type { Alert, AlertState, AlertSummary } from '../../../contract/alert.js';
import type { Severity } from '../../../contract/rule.js';

/** Higher is more urgent: the queue shows critical first. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

const OPEN_STATES: readonly AlertState[] = ['firing', 'acknowledged', 'snoozed'];
/** Resolved alerts kept for the "recently resolved" view, newest first. */
const RECENT_RESOLVED_MAX = 50;

/** Whether an alert still needs someone (firing, acknowledged or snoozed). */
export function isOpen(alert: Pick<Alert, 'state'>): boolean {
  return OPEN_STATES.includes(alert.state);
}

/** Queue order: most severe first, then the oldest (longest waiting) first, then by id for stability. */
export function compareAlerts(a: Alert, b: Alert): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    a.startedAt - b.startedAt ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** True when `next` is a critical alert the operator has not been told about: newly firing, or escalated to critical. */
export function isNewCritical(previous: Alert | undefined, next: Alert): boolean {
  if (next.severity !== 'critical' || next.state !== 'firing') return false;
  if (previous === undefined) return true;
  return previous.severity !== 'critical' || previous.state === 'snoozed';
}

function sameTrail(a: Alert, b: Alert): boolean {
  return a.state === b.state && (a.history?.length ?? 0) === (b.history?.length ?? 0) && a.assignee === b.assignee;
}

/** What `apply` did with an event: ignored (stale), or the alert before and after it. */
export type ApplyResult = { applied: false } | { applied: true; previous: Alert | undefined; alert: Alert };

/**
 * The console's copy of the alerts: open ones by id plus the recently resolved. Events and REST
 * answers may arrive in any order, so a version never replaces a newer one (by `updatedAt`).
 */
export class AlertBook {
  private readonly open = new Map<string, Alert>();
  private resolved: Alert[] = [];
  private sortedCache: Alert[] | null = null;
  /** Bumped on every change; React samples it. */
  version = 0;

  /** Merges one alert version (a socket event or an action's answer). */
  apply(alert: Alert): ApplyResult {
    const previous = this.open.get(alert.id) ?? this.resolved.find((a) => a.id === alert.id);
    if (previous !== undefined && previous.updatedAt > alert.updatedAt) return { applied: false };
    if (previous !== undefined && previous.updatedAt === alert.updatedAt && sameTrail(previous, alert)) {
      // Same version seen twice (the action's answer and its broadcast): keep the first.
      return { applied: false };
    }
    if (isOpen(alert)) {
      this.open.set(alert.id, alert);
      this.resolved = this.resolved.filter((a) => a.id !== alert.id);
    } else {
      this.open.delete(alert.id);
      this.resolved = [alert, ...this.resolved.filter((a) => a.id !== alert.id)].slice(0, RECENT_RESOLVED_MAX);
    }
    this.changed();
    return { applied: true, previous, alert };
  }

  /**
   * Takes the open alerts loaded over REST at `requestedAt` (start-up, reconnect). Alerts we hold
   * that the server no longer lists, and that did not change after the request, were closed while
   * we were away: they leave the queue.
   */
  replaceOpen(alerts: readonly Alert[], requestedAt: number): void {
    const listed = new Set(alerts.map((a) => a.id));
    for (const [id, alert] of this.open) {
      if (!listed.has(id) && alert.updatedAt <= requestedAt) this.open.delete(id);
    }
    for (const alert of alerts) {
      const held = this.open.get(alert.id) ?? this.resolved.find((a) => a.id === alert.id);
      if (held !== undefined && held.updatedAt > alert.updatedAt) continue;
      if (isOpen(alert)) this.open.set(alert.id, alert);
    }
    this.changed();
  }

  /** Forgets everything and holds exactly `alerts` (the open ones): a replay jumping to another moment. */
  reset(alerts: readonly Alert[]): void {
    this.open.clear();
    this.resolved = [];
    for (const alert of alerts) if (isOpen(alert)) this.open.set(alert.id, alert);
    this.changed();
  }

  get(id: string): Alert | undefined {
    return this.open.get(id) ?? this.resolved.find((a) => a.id === id);
  }

  /** Open alerts in queue order. */
  sorted(): readonly Alert[] {
    this.sortedCache ??= [...this.open.values()].sort(compareAlerts);
    return this.sortedCache;
  }

  /** Recently resolved alerts, newest first. */
  recentlyResolved(): readonly Alert[] {
    return this.resolved;
  }

  get size(): number {
    return this.open.size;
  }

  /** Open alert count per severity, for the queue header. */
  countBySeverity(): Record<Severity, number> {
    const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
    for (const alert of this.open.values()) counts[alert.severity]++;
    return counts;
  }

  private changed(): void {
    this.sortedCache = null;
    this.version++;
  }
}

/** The key of one storm card: a rule in a zone. */
export function stormKey(summary: Pick<AlertSummary, 'ruleId' | 'zone'>): string {
  return `${summary.ruleId}\u0000${summary.zone}`;
}

/**
 * Merges a batch of storm summaries into the current cards: a newer summary replaces its card,
 * a count of 0 removes it. Returns a new map (the old one is left as it was) sorted for display.
 */
export function mergeSummaries(
  current: ReadonlyMap<string, AlertSummary>,
  batch: readonly AlertSummary[],
): Map<string, AlertSummary> {
  const next = new Map(current);
  for (const summary of batch) {
    const key = stormKey(summary);
    const held = next.get(key);
    if (held !== undefined && held.ts > summary.ts) continue;
    if (summary.count <= 0) next.delete(key);
    else next.set(key, summary);
  }
  return next;
}

/** Storm cards in display order: most severe, then the largest count. */
export function sortedSummaries(summaries: ReadonlyMap<string, AlertSummary>): AlertSummary[] {
  return [...summaries.values()].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.count - a.count || a.ruleId.localeCompare(b.ruleId),
  );
}

/** Drops storm cards older than `maxAgeMs` (a storm whose closing summary was missed while disconnected). */
export function expireSummaries(
  current: ReadonlyMap<string, AlertSummary>,
  now: number,
  maxAgeMs: number,
): Map<string, AlertSummary> {
  const next = new Map<string, AlertSummary>();
  for (const [key, summary] of current) if (now - summary.ts <= maxAgeMs) next.set(key, summary);
  return next;
}

/** Rules in a storm whose alerts the queue folds into the storm card (those not expanded by the operator). */
export function stormRules(summaries: ReadonlyMap<string, AlertSummary>, expanded: ReadonlySet<string>): Set<string> {
  const rules = new Set<string>();
  for (const summary of summaries.values()) if (!expanded.has(summary.ruleId)) rules.add(summary.ruleId);
  return rules;
}

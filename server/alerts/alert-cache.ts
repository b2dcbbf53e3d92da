import type { Alert, AlertState, Severity } from '../../contract/index.js';

export interface AlertQuery {
  /** Any of these states. */
  state?: readonly AlertState[];
  severity?: readonly Severity[];
  domain?: string;
  ruleId?: string;
  entityId?: string;
  /** Alerts assigned to this person or team: what a field team's phone asks for. */
  assignee?: string;
  zone?: string;
  /** Alerts active at some point in [from, to]: started at or before `to`, open or last changed at or after `from`. */
  from?: number;
  to?: number;
  limit?: number;
}

export const DEFAULT_QUERY_LIMIT = 500;

/** Alerts in memory: every open alert, plus resolved ones for a retention period (queries on recent history). */
export interface AlertCache {
  get(id: string): Alert | undefined;
  /** The open alert of (rule, entity): at most one exists. */
  openFor(ruleId: string, entityId: string): Alert | undefined;
  openOfRule(ruleId: string): Alert[];
  open(): IterableIterator<Alert>;
  /** Open and retained resolved alerts. */
  all(): IterableIterator<Alert>;
  put(alert: Alert): void;
  /** Drops resolved alerts last changed before `before`, and the oldest resolved beyond `maxResolved`. */
  prune(before: number, maxResolved: number): void;
  size(): { open: number; resolved: number };
}

/** Creates an empty cache. */
export function createAlertCache(): AlertCache {
  const byId = new Map<string, Alert>();
  const openByKey = new Map<string, Alert>();
  // Insertion order is resolution order, so pruning walks from the oldest.
  const resolved = new Map<string, Alert>();
  const keyOf = (alert: Alert) => `${alert.ruleId}\u0000${alert.entityId}`;

  return {
    get: (id) => byId.get(id),
    openFor: (ruleId, entityId) => openByKey.get(`${ruleId}\u0000${entityId}`),
    openOfRule: (ruleId) => [...openByKey.values()].filter((alert) => alert.ruleId === ruleId),
    open: () => openByKey.values(),
    all: () => byId.values(),
    put(alert) {
      byId.set(alert.id, alert);
      const key = keyOf(alert);
      if (alert.state === 'resolved') {
        if (openByKey.get(key)?.id === alert.id) openByKey.delete(key);
        resolved.delete(alert.id);
        resolved.set(alert.id, alert);
      } else {
        openByKey.set(key, alert);
        resolved.delete(alert.id);
      }
    },
    prune(before, maxResolved) {
      for (const [id, alert] of resolved) {
        if (alert.updatedAt >= before && resolved.size <= maxResolved) break;
        resolved.delete(id);
        byId.delete(id);
      }
    },
    size: () => ({ open: openByKey.size, resolved: resolved.size }),
  };
}

/** Applies a query's filters, newest first, up to its limit. */
export function filterAlerts(alerts: Iterable<Alert>, query: AlertQuery): Alert[] {
  const out: Alert[] = [];
  for (const alert of alerts) {
    if (query.state !== undefined && !query.state.includes(alert.state)) continue;
    if (query.severity !== undefined && !query.severity.includes(alert.severity)) continue;
    if (query.domain !== undefined && alert.domain !== query.domain) continue;
    if (query.ruleId !== undefined && alert.ruleId !== query.ruleId) continue;
    if (query.entityId !== undefined && alert.entityId !== query.entityId) continue;
    if (query.assignee !== undefined && alert.assignee !== query.assignee) continue;
    if (query.zone !== undefined && alert.zone !== query.zone) continue;
    if (query.to !== undefined && alert.startedAt > query.to) continue;
    if (query.from !== undefined && alert.state === 'resolved' && alert.updatedAt < query.from) continue;
    out.push(alert);
  }
  out.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? -1 : 1));
  return out.slice(0, query.limit ?? DEFAULT_QUERY_LIMIT);
}

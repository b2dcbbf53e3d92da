import type { Alert, AlertSummary, Severity } from '../../contract/index.js';

/** Storm control settings: more than `threshold` new alerts of one rule within `windowMs` is a storm. */
export interface StormOptions {
  threshold?: number;
  windowMs?: number;
  /** Least time between two summary emissions. */
  summaryIntervalMs?: number;
}

export interface StormControl {
  /** Records a new alert of the rule at `now`; true when the rule is (now) in a storm. */
  noteFire(ruleId: string, now: number): boolean;
  inStorm(ruleId: string): boolean;
  /** Marks that the rule's summary changed (an alert opened or closed during its storm). */
  touch(ruleId: string): void;
  /**
   * Ends storms that have calmed down and, at most once per interval, returns the rules whose
   * summary should be emitted now (those in a storm that changed, and those whose storm just ended).
   */
  due(now: number): string[] | null;
  active(): string[];
}

interface RuleStorm {
  /** Times of the last `threshold + 1` new alerts, oldest first. */
  fires: number[];
  storming: boolean;
  dirty: boolean;
}

/** Detects alert storms per rule over a sliding window and paces their summaries. */
export function createStormControl(options: StormOptions = {}): StormControl {
  const threshold = options.threshold ?? 20;
  const windowMs = options.windowMs ?? 10_000;
  const intervalMs = options.summaryIntervalMs ?? 1000;
  const rules = new Map<string, RuleStorm>();
  let lastEmit = -Infinity;

  return {
    noteFire(ruleId, now) {
      let storm = rules.get(ruleId);
      if (storm === undefined) {
        storm = { fires: [], storming: false, dirty: false };
        rules.set(ruleId, storm);
      }
      storm.fires.push(now);
      if (storm.fires.length > threshold + 1) storm.fires.shift();
      if (!storm.storming && storm.fires.length > threshold && now - storm.fires[0]! <= windowMs) storm.storming = true;
      if (storm.storming) storm.dirty = true;
      return storm.storming;
    },
    inStorm: (ruleId) => rules.get(ruleId)?.storming ?? false,
    touch(ruleId) {
      const storm = rules.get(ruleId);
      if (storm?.storming) storm.dirty = true;
    },
    due(now) {
      if (now - lastEmit < intervalMs) return null;
      const out: string[] = [];
      for (const [ruleId, storm] of rules) {
        const newest = storm.fires[storm.fires.length - 1] ?? -Infinity;
        if (storm.storming && now - newest > windowMs) {
          // Calm for a whole window: one last summary, then individual alerts again.
          storm.storming = false;
          storm.dirty = false;
          out.push(ruleId);
        } else if (storm.dirty) {
          storm.dirty = false;
          out.push(ruleId);
        }
        if (!storm.storming && now - newest > windowMs) rules.delete(ruleId);
      }
      if (out.length === 0) return null;
      lastEmit = now;
      return out;
    },
    active: () => [...rules].filter(([, storm]) => storm.storming).map(([ruleId]) => ruleId),
  };
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Summaries for the given rules: open alerts counted per zone. A zone reported last time that has
 * no open alert left is reported once with count 0, so a console can drop it.
 */
export function buildSummaries(
  ruleIds: readonly string[],
  openOfRule: (ruleId: string) => readonly Alert[],
  zoneOfAlert: (alert: Alert) => string,
  previous: Map<string, Set<string>>,
  ts: number,
): AlertSummary[] {
  const out: AlertSummary[] = [];
  for (const ruleId of ruleIds) {
    const byZone = new Map<string, { count: number; severity: Severity }>();
    for (const alert of openOfRule(ruleId)) {
      const zone = zoneOfAlert(alert);
      const entry = byZone.get(zone);
      if (entry === undefined) byZone.set(zone, { count: 1, severity: alert.severity });
      else {
        entry.count++;
        if (RANK[alert.severity] > RANK[entry.severity]) entry.severity = alert.severity;
      }
    }
    for (const [zone, { count, severity }] of byZone) out.push({ ruleId, zone, count, severity, ts });
    for (const zone of previous.get(ruleId) ?? []) {
      if (!byZone.has(zone)) out.push({ ruleId, zone, count: 0, severity: 'info', ts });
    }
    if (byZone.size > 0) previous.set(ruleId, new Set(byZone.keys()));
    else previous.delete(ruleId);
  }
  return out;
}

import type { Alert, Observation, Rule } from '../../../contract/index.js';
import type { AlertsStore } from '../../../server/alerts/alert-service.js';
import { alertVersion } from '../../../server/state/types.js';
import type { ScanOptions } from '../../../server/store/types.js';

/**
 * The state-store and telemetry-store methods the alerts module uses, in memory, with the same
 * versioning as the real stores: one row per alert id holding its newest version (history length).
 * `failSaves` fails that many saveAlerts calls.
 */
export class FakeAlertsStore implements AlertsStore {
  rules = new Map<string, Rule>();
  alerts = new Map<string, Alert>();
  observations: Observation[] = [];
  saveCalls = 0;
  /** The ids of every saveAlerts call, in call order (failed calls included). */
  savedBatches: string[][] = [];
  failSaves = 0;
  scans: ScanOptions[] = [];
  /** Every casAlert call: the alert id, the version it was based on and whether it was stored. */
  casCalls: { id: string; basedOn: number; stored: boolean }[] = [];

  saveRule(rule: Rule): Promise<void> {
    this.rules.set(rule.id, structuredClone(rule));
    return Promise.resolve();
  }
  deleteRule(id: string): Promise<void> {
    this.rules.delete(id);
    return Promise.resolve();
  }
  loadRules(): Promise<Rule[]> {
    return Promise.resolve([...this.rules.values()].map((rule) => structuredClone(rule)));
  }
  saveAlerts(alerts: readonly Alert[]): Promise<void> {
    this.saveCalls++;
    this.savedBatches.push(alerts.map((alert) => alert.id));
    if (this.failSaves > 0) {
      this.failSaves--;
      return Promise.reject(new Error('database is locked'));
    }
    // As the real stores: a stored version newer than the given one is kept; an equal one is overwritten.
    for (const alert of alerts) {
      const stored = this.alerts.get(alert.id);
      if (stored === undefined || alertVersion(stored) <= alertVersion(alert))
        this.alerts.set(alert.id, structuredClone(alert));
    }
    return Promise.resolve();
  }
  getAlert(id: string): Promise<Alert | undefined> {
    const stored = this.alerts.get(id);
    return Promise.resolve(stored && structuredClone(stored));
  }
  /** Compare-and-set, checked and written in one step (as one SQL statement would be). */
  casAlert(next: Alert, basedOn: number): Promise<boolean> {
    const stored = this.alerts.get(next.id);
    const ok = stored === undefined || alertVersion(stored) <= basedOn;
    if (ok) this.alerts.set(next.id, structuredClone(next));
    this.casCalls.push({ id: next.id, basedOn, stored: ok });
    return Promise.resolve(ok);
  }
  loadAlerts(since?: number): Promise<Alert[]> {
    const all = [...this.alerts.values()].filter((alert) => since === undefined || alert.startedAt >= since);
    return Promise.resolve(all.map((alert) => structuredClone(alert)));
  }
  async *scan(options: ScanOptions): AsyncIterable<Observation[]> {
    this.scans.push(options);
    const size = options.chunkSize ?? 100;
    const rows = this.observations
      .filter((obs) => obs.ts >= options.from && obs.ts <= options.to)
      .filter((obs) => options.domains === undefined || options.domains.includes(obs.domain))
      .sort((a, b) => a.ts - b.ts);
    for (let i = 0; i < rows.length; i += size) {
      await Promise.resolve();
      yield rows.slice(i, i + size);
    }
  }
}

/** A settable clock for tests. */
export function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => {
      now = t;
    },
    advance: (ms: number) => {
      now += ms;
      return now;
    },
  };
}

/** A quiet logger that remembers what was logged. */
export function memoryLogger() {
  const lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  return {
    lines,
    warn: (message: string, extra?: Record<string, unknown>) => lines.push({ level: 'warn', message, extra }),
    error: (message: string, extra?: Record<string, unknown>) => lines.push({ level: 'error', message, extra }),
  };
}

// Longer than most files on purpose: the service is one closure over the alert cache, the writer, the
// engine and the storm control; its moves share that state, and splitting it would hand six of them around.
// Conditions, lifecycle moves, storms, persistence and rule storage each live in their own file beside it.
import { randomUUID } from 'node:crypto';
import type {
  AttachmentInfo,
  Alert,
  AlertSummary,
  BacktestResult,
  Observation,
  Rule,
  RuleInput,
  RuleSource,
} from '../../contract/index.js';
import { alertVersion, type StateStore } from '../state/types.js';
import type { TelemetryStore } from '../store/types.js';
import { createAlertCache, filterAlerts, type AlertQuery } from './alert-cache.js';
import { createAlertWriter } from './alert-writer.js';
import { runBacktest, type BacktestOptions } from './backtest.js';
import { createAlertEngine, type EngineStats, type SeedEntity, type Transition } from './engine.js';
import { badRequest, conflict, notFound } from './errors.js';
import * as lifecycle from './lifecycle.js';
import { createLogger, type Logger } from '../../config/logger.js';
import { createRuleRegistry } from './rule-registry.js';
import { buildSummaries, createStormControl, type StormOptions } from './storm.js';

/** Rules and alerts live in the state store; backtests read telemetry. */
export type AlertsStore = Pick<
  StateStore,
  'saveRule' | 'deleteRule' | 'loadRules' | 'saveAlerts' | 'loadAlerts' | 'getAlert' | 'casAlert'
> &
  Pick<TelemetryStore, 'scan'>;

export interface AlertServiceDeps {
  store: AlertsStore;
  logger?: Pick<Logger, 'warn' | 'error'>;
  clock?: () => number;
  /** Rules from the config file (and the demo defaults); a later rule with the same id wins. */
  configRules?: readonly RuleInput[];
  /** Names the zone/district of a position for storm summaries; 'city' when absent. */
  zoneOf?: (lat: number | null, lon: number | null) => string;
  storm?: StormOptions;
  /** How long alert changes gather before they are saved. */
  saveDelayMs?: number;
  /** Period of the timer started by `start()`: absence, `for`, snooze ends, escalation, summaries. */
  tickIntervalMs?: number;
  /** How long resolved alerts stay in memory for queries (older ones are read from the store). */
  resolvedRetentionMs?: number;
  maxResolvedInMemory?: number;
  /** Longest range a backtest replays (config `limits.backtestRange`). */
  maxBacktestRangeMs?: number;
}

export interface AlertServiceStats {
  engine: EngineStats;
  open: number;
  resolvedInMemory: number;
  pendingWrites: number;
  saved: number;
  failedSaves: number;
  storms: string[];
}

/** Rules, the alert lifecycle and its persistence, behind one object the REST and socket layers call. */
export interface AlertService {
  /** Loads rules (config + store) and the open alerts from the store; call once before `observe`. */
  load(): Promise<void>;
  /** Starts the periodic `tick`. */
  start(): void;
  /** Stops the timer and writes what is queued. */
  close(): Promise<void>;
  observe(batch: readonly Observation[]): void;
  tick(now?: number): void;
  seed(entities: readonly SeedEntity[]): void;
  /** Every lifecycle change, except engine-made ones of a rule in a storm (those go to summaries). */
  onAlert(listener: (alert: Alert) => void): () => void;
  onSummary(listener: (summaries: AlertSummary[]) => void): () => void;
  listRules(): Rule[];
  /** Whether a rule can be deleted (api) or only replaced or disabled (config). */
  ruleSource(id: string): RuleSource;
  getRule(id: string): Rule;
  createRule(input: unknown): Promise<Rule>;
  replaceRule(id: string, input: unknown): Promise<Rule>;
  deleteRule(id: string): Promise<void>;
  backtest(id: string, options: BacktestOptions): Promise<BacktestResult>;
  getAlert(id: string): Alert;
  queryAlerts(query: AlertQuery): Promise<Alert[]>;
  /** The alert as this node knows it, or as the state store has it when another node holds it. */
  findAlert(id: string): Promise<Alert | undefined>;
  /*
   * People's moves are compare-and-set against the state store: of two moves made at once from
   * the same version (two operators, two nodes), exactly one wins and the other gets a 409.
   */
  ack(id: string, by: string, note?: string): Promise<Alert>;
  assign(id: string, assignee: string, by: string): Promise<Alert>;
  snooze(id: string, until: number, by: string): Promise<Alert>;
  resolve(id: string, by: string, note?: string): Promise<Alert>;
  note(id: string, by: string, text: string): Promise<Alert>;
  /** Keeps a photo's description on the alert (the bytes are in the state store's blobs). */
  attach(id: string, attachment: AttachmentInfo): Promise<Alert>;
  /** Records that an escalation-policy step notified `targets`. */
  recordEscalation(id: string, step: number, targets: readonly string[]): Promise<Alert>;
  /** Resolves when every change so far has been offered to the store once. */
  flush(): Promise<void>;
  stats(): AlertServiceStats;
}

const DAY = 86_400_000;

/** Wires engine, lifecycle, storm control and persistence; the composition root calls it once. */
export function createAlertService(deps: AlertServiceDeps): AlertService {
  const { store } = deps;
  const logger = deps.logger ?? createLogger('warn', { module: 'alerts' });
  const clock = deps.clock ?? Date.now;
  const zoneOf = deps.zoneOf ?? (() => 'city');
  const retention = deps.resolvedRetentionMs ?? DAY;
  const maxResolved = deps.maxResolvedInMemory ?? 10_000;
  const registry = createRuleRegistry(store);
  const book = createAlertCache();
  const storm = createStormControl(deps.storm);
  const writer = createAlertWriter({
    saveAlerts: (alerts) => store.saveAlerts(alerts),
    logger,
    delayMs: deps.saveDelayMs,
  });
  const alertListeners = new Set<(alert: Alert) => void>();
  const summaryListeners = new Set<(summaries: AlertSummary[]) => void>();
  const zones = new Map<string, string>();
  const escalationDue = new Map<string, number>();
  const snoozedUntil = new Map<string, number>();
  const summarized = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;

  const emit = <T>(listeners: Set<(value: T) => void>, value: T) => {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (err) {
        logger.error('alert listener failed', { error: (err as Error).message });
      }
    }
  };

  /** Records a new version: memory, persistence, listeners (or the storm summary). */
  const commit = (alert: Alert, quiet = false) => {
    book.put(alert);
    writer.enqueue(alert);
    if (alert.state === 'resolved') {
      zones.delete(alert.id);
      escalationDue.delete(alert.id);
      snoozedUntil.delete(alert.id);
    }
    if (quiet) storm.touch(alert.ruleId);
    else emit(alertListeners, alert);
    return alert;
  };

  const scheduleEscalation = (alert: Alert, from: number) => {
    const after = registry.find(alert.ruleId)?.escalateAfter;
    if (after !== undefined && alert.state === 'firing' && alert.severity !== 'critical')
      escalationDue.set(alert.id, from + after);
    else escalationDue.delete(alert.id);
  };

  const onTransition = (t: Transition) => {
    const existing = book.openFor(t.rule.id, t.entityId);
    if (t.kind === 'clear') {
      if (existing !== undefined) commit(lifecycle.conditionCleared(existing, t.ts, t.value), storm.inStorm(t.rule.id));
      return;
    }
    // One alert per (rule, entity) while it is open: a new fire only notes that a snoozed alert's condition is back.
    if (existing !== undefined) {
      if (existing.state === 'snoozed' && !lifecycle.conditionActive(existing)) {
        commit(lifecycle.conditionRefired(existing, t.ts, t.value), storm.inStorm(t.rule.id));
      }
      return;
    }
    const now = clock();
    const zone = zoneOf(t.lat, t.lon);
    const alert: Alert = {
      ...lifecycle.openAlert(randomUUID(), t.rule, t.entityId, t.value, t.ts, t.lat, t.lon),
      zone,
    };
    zones.set(alert.id, zone);
    if (t.rule.escalateAfter !== undefined && alert.severity !== 'critical') {
      escalationDue.set(alert.id, now + t.rule.escalateAfter);
    }
    commit(alert, storm.noteFire(t.rule.id, now));
  };

  const engine = createAlertEngine({
    clock,
    onTransition(t) {
      // One failing transition (a throwing zoneOf, say) must not cut the rest of the batch short.
      try {
        onTransition(t);
      } catch (err) {
        logger.error('alert transition failed', {
          ruleId: t.rule.id,
          entityId: t.entityId,
          error: (err as Error).message,
        });
      }
    },
  });

  const closeAlertsOf = (ruleId: string, note: string) => {
    const now = clock();
    for (const alert of book.openOfRule(ruleId)) commit(lifecycle.resolve(alert, lifecycle.SYSTEM, now, note));
  };

  /**
   * The newer of this node's copy and the stored one. Another node may have moved an alert this
   * node holds: its copy is refreshed, so the engine's next change builds on the stored version.
   */
  const current = async (id: string): Promise<Alert | undefined> => {
    const local = book.get(id);
    const stored = await store.getAlert(id);
    if (stored === undefined) return local;
    if (local === undefined) return stored;
    if (alertVersion(stored) > alertVersion(local)) {
      book.put(stored);
      return stored;
    }
    return local;
  };

  const act = async (id: string, move: (alert: Alert, now: number) => Alert): Promise<Alert> => {
    const alert = await current(id);
    if (alert === undefined) throw notFound('alert', id);
    const next = move(alert, clock());
    if (!(await store.casAlert(next, alertVersion(alert)))) {
      await current(id);
      throw conflict(`alert "${id}" was changed by someone else at the same moment; reload it and try again`);
    }
    if (next.state !== 'firing') escalationDue.delete(id);
    if (next.state !== 'snoozed') snoozedUntil.delete(id);
    return commit(next);
  };

  const tick = (now: number) => {
    engine.tick(now);
    for (const [id, until] of snoozedUntil) {
      const alert = book.get(id);
      if (alert === undefined || alert.state !== 'snoozed') snoozedUntil.delete(id);
      else if (until <= now) {
        snoozedUntil.delete(id);
        const woken = commit(lifecycle.endSnooze(alert, now, lifecycle.conditionActive(alert)));
        scheduleEscalation(woken, now);
      }
    }
    for (const [id, due] of escalationDue) {
      if (due > now) continue;
      const alert = book.get(id);
      const raised = alert === undefined ? null : lifecycle.escalate(alert, now);
      escalationDue.delete(id);
      if (raised !== null) scheduleEscalation(commit(raised), now);
    }
    const ruleIds = storm.due(now);
    if (ruleIds !== null) {
      const zoneOfAlert = (alert: Alert) => zones.get(alert.id) ?? zoneOf(alert.lat ?? null, alert.lon ?? null);
      const summaries = buildSummaries(ruleIds, (ruleId) => book.openOfRule(ruleId), zoneOfAlert, summarized, now);
      if (summaries.length > 0) emit(summaryListeners, summaries);
    }
    book.prune(now - retention, maxResolved);
  };

  const restore = (alerts: readonly Alert[]) => {
    const now = clock();
    const rules = new Map(registry.list().map((rule) => [rule.id, rule]));
    for (const alert of [...alerts].sort((a, b) => a.updatedAt - b.updatedAt)) {
      if (alert.state === 'resolved') {
        if (alert.updatedAt >= now - retention) book.put(alert);
        continue;
      }
      const rule = rules.get(alert.ruleId);
      if (rule === undefined || !rule.enabled) {
        commit(lifecycle.resolve(alert, lifecycle.SYSTEM, now, rule ? 'rule disabled' : 'rule deleted'));
        continue;
      }
      // Alerts saved before zones were recorded get theirs from where they fired.
      const zone = alert.zone ?? zoneOf(alert.lat ?? null, alert.lon ?? null);
      book.put(alert.zone === undefined ? { ...alert, zone } : alert);
      zones.set(alert.id, zone);
      if (alert.state === 'snoozed') snoozedUntil.set(alert.id, alert.snoozedUntil ?? now);
      scheduleEscalation(alert, lifecycle.firingSince(alert));
      if (lifecycle.conditionActive(alert)) engine.restoreFiring(rule.id, alert.entityId, alert.startedAt);
    }
  };

  return {
    async load() {
      await registry.load(deps.configRules ?? []);
      engine.setRules(registry.list());
      restore(await store.loadAlerts());
    },

    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        try {
          tick(clock());
        } catch (err) {
          logger.error('alert tick failed', { error: (err as Error).message });
        }
      }, deps.tickIntervalMs ?? 1000);
      timer.unref();
    },

    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await writer.flush();
      writer.close();
      const unsaved = writer.pending();
      if (unsaved > 0) logger.error('alert changes not saved at shutdown', { alerts: unsaved });
    },

    observe: (batch) => engine.observe(batch),
    tick: (now = clock()) => tick(now),
    seed: (entities) => engine.seed(entities),

    onAlert(listener) {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },
    onSummary(listener) {
      summaryListeners.add(listener);
      return () => summaryListeners.delete(listener);
    },

    listRules: () => registry.list(),
    ruleSource: (id) => (registry.fromConfig(id) ? 'config' : 'api'),
    getRule: (id) => registry.get(id),

    async createRule(input) {
      const rule = await registry.create(input);
      engine.setRules(registry.list());
      return rule;
    },

    async replaceRule(id, input) {
      const { rule } = await registry.replace(id, input);
      engine.setRules(registry.list());
      if (!rule.enabled) closeAlertsOf(id, 'rule disabled');
      for (const alert of book.openOfRule(id)) {
        // A changed rule starts with fresh engine state: its open alerts stay open until re-judged under the new condition.
        if (lifecycle.conditionActive(alert)) engine.restoreFiring(id, alert.entityId, alert.startedAt);
        scheduleEscalation(alert, lifecycle.firingSince(alert));
      }
      return rule;
    },

    async deleteRule(id) {
      await registry.remove(id);
      engine.setRules(registry.list());
      closeAlertsOf(id, 'rule deleted');
    },

    backtest(id, options) {
      const rule = registry.get(id);
      if (!(options.from < options.to)) {
        throw badRequest('from must be before to', [{ path: 'from', message: 'must be before to' }]);
      }
      return runBacktest(store, rule, { maxRangeMs: deps.maxBacktestRangeMs, ...options });
    },

    getAlert(id) {
      const alert = book.get(id);
      if (alert === undefined) throw notFound('alert', id);
      return alert;
    },

    async queryAlerts(query) {
      const merged = new Map<string, Alert>();
      // Resolved alerts older than the retention are only in the store.
      if (query.from !== undefined && query.from < clock() - retention) {
        for (const alert of await store.loadAlerts(query.from)) merged.set(alert.id, alert);
      }
      for (const alert of book.all()) merged.set(alert.id, alert);
      return filterAlerts(merged.values(), query);
    },

    findAlert: current,
    ack: (id, by, note) => act(id, (alert, now) => lifecycle.acknowledge(alert, by, now, note)),
    assign: (id, assignee, by) => act(id, (alert, now) => lifecycle.assign(alert, assignee, by, now)),
    async snooze(id, until, by) {
      const alert = await act(id, (latest, now) => lifecycle.snooze(latest, until, by, now));
      snoozedUntil.set(id, until);
      return alert;
    },
    resolve: (id, by, note) => act(id, (alert, now) => lifecycle.resolve(alert, by, now, note)),
    note: (id, by, text) => act(id, (alert, now) => lifecycle.addNote(alert, by, now, text)),
    attach: (id, attachment) => act(id, (alert, now) => lifecycle.attach(alert, attachment, now)),
    recordEscalation: (id, step, targets) => act(id, (alert, now) => lifecycle.recordEscalation(alert, now, step, targets)),

    flush: () => writer.flush(),

    stats() {
      const sizes = book.size();
      const writes = writer.stats();
      return {
        engine: engine.stats(),
        open: sizes.open,
        resolvedInMemory: sizes.resolved,
        pendingWrites: writer.pending(),
        saved: writes.saved,
        failedSaves: writes.failed,
        storms: storm.active(),
      };
    },
  };
}

import type { BacktestAlert, BacktestResult, Condition, Rule } from '../../contract/index.js';
import type { TelemetryStore } from '../store/types.js';
import { createAlertEngine } from './engine.js';
import { AlertsError } from './errors.js';

export interface BacktestOptions {
  from: number;
  to: number;
  /** Called with the share of the time range replayed so far (0..1), at most once per percent. */
  onProgress?: (fraction: number) => void;
  /** Alerts listed in the answer at most; `count` still counts them all. */
  maxAlerts?: number;
  /** Longest range replayed (config `limits.backtestRange`); a longer one is refused. */
  maxRangeMs?: number;
}

export const DEFAULT_MAX_BACKTEST_ALERTS = 10_000;
/** The default of `limits.backtestRange`: a month. */
export const DEFAULT_MAX_BACKTEST_RANGE_MS = 31 * 86_400_000;
/** Observations fed to the engine between two yields to the event loop. */
const YIELD_EVERY = 2000;

/** Lets timers, I/O and other requests run: a store whose reads are synchronous would otherwise chain chunks in microtasks. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Replays stored observations of the rule's domain through a fresh engine holding only that rule,
 * with a clock that follows the data: `absent` and `for` are re-checked on ticks spaced a twentieth
 * of the rule's shortest duration (at least 1 s), so their alert times are that precise.
 */
export async function runBacktest(
  store: Pick<TelemetryStore, 'scan'>,
  rule: Rule,
  options: BacktestOptions,
): Promise<BacktestResult> {
  const { from, to, onProgress } = options;
  const maxRangeMs = options.maxRangeMs ?? DEFAULT_MAX_BACKTEST_RANGE_MS;
  if (to - from > maxRangeMs) {
    throw new AlertsError(
      400,
      'bad_request',
      `the backtest range of ${formatDays(to - from)} is longer than the ${formatDays(maxRangeMs)} allowed (limits.backtestRange): split it`,
      [{ path: 'from', message: `at most ${maxRangeMs} ms before to` }],
    );
  }
  const maxAlerts = options.maxAlerts ?? DEFAULT_MAX_BACKTEST_ALERTS;
  const alerts: BacktestAlert[] = [];
  const open = new Map<string, BacktestAlert>();
  let count = 0;
  let observations = 0;
  let now = from;

  const engine = createAlertEngine({
    clock: () => now,
    onTransition(t) {
      if (t.kind === 'fire') {
        count++;
        const alert: BacktestAlert = { entityId: t.entityId, startedAt: t.ts, endedAt: null, value: t.value };
        open.set(t.entityId, alert);
        if (alerts.length < maxAlerts) alerts.push(alert);
        return;
      }
      const alert = open.get(t.entityId);
      if (alert !== undefined) alert.endedAt = t.ts;
      open.delete(t.entityId);
    },
  });
  engine.setRules([{ ...rule, enabled: true }]);

  const tickMs = tickInterval(rule);
  let nextTick = tickMs === null ? Infinity : from + tickMs;
  const advance = (ts: number) => {
    while (nextTick <= ts) {
      now = nextTick;
      engine.tick(nextTick);
      nextTick += tickMs ?? Infinity;
    }
    now = ts;
  };

  const span = Math.max(1, to - from);
  let reported = -1;
  let sinceYield = 0;
  for await (const chunk of store.scan({ from, to, domains: [rule.domain], chunkSize: YIELD_EVERY })) {
    // Ticks fall between observations: the chunk is fed in slices cut at each tick time.
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const ts = chunk[i]!.ts;
      if (ts < nextTick) continue;
      if (i > start) engine.observe(chunk.slice(start, i));
      advance(ts);
      start = i;
    }
    engine.observe(start === 0 ? chunk : chunk.slice(start));
    observations += chunk.length;
    sinceYield += chunk.length;
    if (sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
    const last = chunk[chunk.length - 1];
    if (onProgress && last !== undefined) {
      const fraction = Math.min(1, Math.max(0, (last.ts - from) / span));
      if (fraction - reported >= 0.01) {
        reported = fraction;
        onProgress(fraction);
      }
    }
  }
  advance(to);
  if (tickMs !== null) engine.tick(to);
  onProgress?.(1);
  return { ruleId: rule.id, from, to, observations, alerts, count };
}

/** Tick spacing for the replay; null when nothing in the rule depends on time alone. */
function tickInterval(rule: Rule): number | null {
  const durations = [...timedDurations(rule.condition)];
  if (rule.for !== undefined && rule.for > 0) durations.push(rule.for);
  if (durations.length === 0) return null;
  return Math.max(1000, Math.min(...durations) / 20);
}

function timedDurations(condition: Condition): number[] {
  if ('all' in condition) return condition.all.flatMap(timedDurations);
  if ('any' in condition) return condition.any.flatMap(timedDurations);
  if ('absent' in condition) return [condition.absent];
  return [];
}

function formatDays(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${Math.round(days * 10) / 10} d` : `${Math.round(ms / 60_000)} min`;
}

import type { Alert, AlertSummary } from '../../../contract/alert.js';
import type { RuleView } from '../../../contract/rule.js';
import type { RuleName } from '../../../contract/wall.js';
import { alertAction, fetchOpenAlerts, fetchRuleNames, fetchRules, type AlertAction } from '../../live/alerts-api.js';
import type { LiveClient } from '../../live/live-client.js';
import { observable, type Observable } from '../../state/observable.js';
import { AlertBook, expireSummaries, isNewCritical, mergeSummaries } from './alert-book.js';
import { playAlarm, unlockAudioOnGesture } from './beep.js';

const MUTE_KEY = 'ioc.alerts.muted';
/** While a storm lasts its alerts are not pushed one by one: the queue re-reads them this often. */
const STORM_RELOAD_MS = 10_000;
/** A storm card not refreshed for this long is dropped (its closing summary was missed). */
const STORM_MAX_AGE_MS = 120_000;
const TOAST_MS = 12_000;

/** The alerts side of the console: queue contents, storm cards, rule names, sound and the critical toast. */
export interface AlertsRuntime {
  book: AlertBook;
  /** Bumped whenever the book changes. */
  version: Observable<number>;
  storms: Observable<ReadonlyMap<string, AlertSummary>>;
  /** Whole rules by id, for the rule editor (empty when started without them). */
  rules: Observable<ReadonlyMap<string, RuleView>>;
  /** Rule names by id, to label alerts (from `/rule-names`, which whoever reads alerts may read). */
  ruleNames: Observable<ReadonlyMap<string, RuleName>>;
  /** The newest critical alert to announce, until it times out or is dismissed. */
  toast: Observable<Alert | null>;
  muted: Observable<boolean>;
  /** Whether the first REST load has finished (the queue says "loading" before). */
  loaded: Observable<boolean>;
  loadError: Observable<string | null>;
  /** Runs an action and merges its answer; rejects with the server's error (ApiFailure). */
  act: (id: string, action: AlertAction) => Promise<Alert>;
  reloadRules(): Promise<void>;
  stop(): void;
}

function readMuted(): boolean {
  try {
    return window.localStorage.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * Loads open alerts and rule names (and whole rules unless `withRules` is false: a wall edits none
 * and may not read them) now and on every reconnect, then follows the `alert` and `alertSummary` events.
 */
export function startAlertsRuntime(
  live: LiveClient,
  clock: () => number = Date.now,
  options: { withRules?: boolean } = {},
): AlertsRuntime {
  const withRules = options.withRules ?? true;
  const book = new AlertBook();
  const version = observable(0);
  const storms = observable<ReadonlyMap<string, AlertSummary>>(new Map());
  const rules = observable<ReadonlyMap<string, RuleView>>(new Map());
  const ruleNames = observable<ReadonlyMap<string, RuleName>>(new Map());
  const toast = observable<Alert | null>(null);
  const muted = observable(readMuted());
  const loaded = observable(false);
  const loadError = observable<string | null>(null);
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  let lastReload = 0;
  let stopped = false;

  const changed = () => version.set(book.version);

  const announce = (alert: Alert) => {
    toast.set(alert);
    if (toastTimer !== undefined) clearTimeout(toastTimer);
    toastTimer = setTimeout(() => toast.set(null), TOAST_MS);
    if (!muted.get()) playAlarm();
  };

  const reloadAlerts = async () => {
    const requestedAt = clock();
    lastReload = requestedAt;
    try {
      const alerts = await fetchOpenAlerts();
      if (stopped) return;
      book.replaceOpen(alerts, requestedAt);
      loadError.set(null);
      loaded.set(true);
      changed();
    } catch (err) {
      loadError.set((err as Error).message);
    }
  };

  const reloadRules = async () => {
    const [names, list] = await Promise.all([fetchRuleNames(), withRules ? fetchRules() : undefined]);
    if (stopped) return;
    ruleNames.set(new Map(names.map((rule) => [rule.id, rule])));
    if (list) rules.set(new Map(list.map((rule) => [rule.id, rule])));
  };

  const onStatus = () => {
    if (live.status.get().state !== 'live') return;
    void reloadAlerts();
    reloadRules().catch((err: unknown) => console.warn('rules unavailable', err));
  };

  const offAlert = live.onAlert((alert) => {
    const result = book.apply(alert);
    if (!result.applied) return;
    changed();
    if (isNewCritical(result.previous, alert)) announce(alert);
    if (toast.get()?.id === alert.id && alert.state !== 'firing') toast.set(null);
    if (!ruleNames.get().has(alert.ruleId)) reloadRules().catch(() => undefined);
  });

  const offSummary = live.onAlertSummary((batch) => {
    const next = mergeSummaries(storms.get(), batch);
    storms.set(next);
    // Alerts opened during a storm arrive only as counts; read them once in a while so the queue holds them.
    const now = clock();
    if (now - lastReload >= STORM_RELOAD_MS || next.size === 0) void reloadAlerts();
  });

  const sweep = setInterval(() => {
    const now = clock();
    const current = storms.get();
    if (current.size === 0) return;
    const next = expireSummaries(current, now, STORM_MAX_AGE_MS);
    if (next.size !== current.size) storms.set(next);
    else if (now - lastReload >= STORM_RELOAD_MS) void reloadAlerts();
  }, STORM_RELOAD_MS);

  const offStatus = live.status.subscribe(onStatus);
  const offMute = muted.subscribe(() => {
    try {
      window.localStorage.setItem(MUTE_KEY, muted.get() ? '1' : '0');
    } catch {
      // Not persisted; the toggle still applies to this page.
    }
  });
  const offUnlock = unlockAudioOnGesture();
  onStatus();

  return {
    book,
    version,
    storms,
    rules,
    ruleNames,
    toast,
    muted,
    loaded,
    loadError,
    async act(id, action) {
      const alert = await alertAction(id, action);
      if (book.apply(alert).applied) changed();
      if (toast.get()?.id === id) toast.set(null);
      return alert;
    },
    reloadRules,
    stop() {
      stopped = true;
      offAlert();
      offSummary();
      offStatus();
      offMute();
      offUnlock();
      clearInterval(sweep);
      if (toastTimer !== undefined) clearTimeout(toastTimer);
    },
  };
}

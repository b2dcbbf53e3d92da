import type { Alert } from '../../contract/alert.js';
import type { RuleName } from '../../contract/wall.js';
import { entityLabel, ruleLabel, valueLabel } from '../features/alerts/alert-labels.js';
import { formatAgo, formatNumber } from '../i18n/format.js';
import { t, useLocale } from '../i18n/i18n.js';
import type { Locale } from '../i18n/messages.js';
import { useObservable, usePolled } from '../ui/hooks.js';
import { alertZone } from './alert-text.js';
import type { WallRuntime } from './wall-runtime.js';

/** Rows that fit a 1080-line screen at wall size; the rest are counted. */
const MAX_ROWS = 7;
const AGE_TICK_MS = 5_000;

function AlertLine({
  alert,
  runtime,
  rules,
  locale,
  now,
}: {
  alert: Alert;
  runtime: WallRuntime;
  rules: ReadonlyMap<string, RuleName>;
  locale: Locale;
  now: number;
}) {
  const value = valueLabel(alert, rules, locale);
  return (
    <li
      className={`wall-alert wall-alert--${alert.severity}`}
      data-testid="wall-alert"
      data-alert-id={alert.id}
      data-severity={alert.severity}
    >
      <span className="wall-alert__severity">{t(`wall.severity.${alert.severity}`)}</span>
      <span className="wall-alert__main">
        <span className="wall-alert__rule">{ruleLabel(alert, rules)}</span>
        <span className="wall-alert__where">
          {entityLabel(alert, runtime.store)} · {alertZone(alert, runtime.config, runtime.store, locale)}
        </span>
      </span>
      <span className="wall-alert__side">
        {value !== null && <span className="wall-alert__value">{value}</span>}
        <span className="wall-alert__age">
          {formatAgo(now - alert.startedAt, t)}
          {alert.state !== 'firing' && ` · ${t(`wall.state.${alert.state}`)}`}
        </span>
      </span>
    </li>
  );
}

/** Open alerts, worst first, in rows big enough to read across the room. */
export function AlertBoard({ runtime }: { runtime: WallRuntime }) {
  const locale = useLocale();
  useObservable(runtime.alerts.version);
  const rules = useObservable(runtime.alerts.ruleNames);
  const tick = usePolled(() => Math.floor(Date.now() / AGE_TICK_MS), 1_000);
  const open = runtime.alerts.book.sorted();
  const now = tick * AGE_TICK_MS;
  if (open.length === 0) {
    return (
      <p className="wall__empty wall__empty--ok" data-testid="wall-alerts-none">
        {t('wall.alerts.none')}
      </p>
    );
  }
  const shown = open.slice(0, MAX_ROWS);
  return (
    <div className="wall-alerts">
      <p className="wall-alerts__count">{t('wall.alerts.count', { n: formatNumber(open.length, locale, 0) })}</p>
      <ol className="wall-alerts__list" data-testid="wall-alerts">
        {shown.map((alert) => (
          <AlertLine key={alert.id} alert={alert} runtime={runtime} rules={rules} locale={locale} now={now} />
        ))}
      </ol>
      {open.length > shown.length && (
        <p className="wall-alerts__more">
          {t('wall.alerts.more', { n: formatNumber(open.length - shown.length, locale, 0) })}
        </p>
      )}
    </div>
  );
}

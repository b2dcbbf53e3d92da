import type { Alert } from '../../contract/alert.js';
import { entityLabel, ruleLabel, valueLabel } from '../features/alerts/alert-labels.js';
import { formatAgo } from '../i18n/format.js';
import { t, useLocale } from '../i18n/i18n.js';
import { useObservable, usePolled } from '../ui/hooks.js';
import { alertZone } from './alert-text.js';
import { formatClock } from './wall-format.js';
import type { WallRuntime } from './wall-runtime.js';

/** A new critical alert, full screen, over whatever scene was showing. */
export function CriticalScene({ alert, runtime }: { alert: Alert; runtime: WallRuntime }) {
  const locale = useLocale();
  const rules = useObservable(runtime.alerts.ruleNames);
  const now = usePolled(() => Math.floor(Date.now() / 1000) * 1000, 1_000);
  const value = valueLabel(alert, rules, locale);
  const rows: [string, string][] = [
    [t('wall.critical.entity'), entityLabel(alert, runtime.store)],
    [t('wall.critical.zone'), alertZone(alert, runtime.config, runtime.store, locale)],
    ...(value === null ? [] : [[t('wall.critical.value'), value] as [string, string]]),
    [
      t('wall.critical.time'),
      `${formatClock(alert.startedAt, locale, true)} · ${formatAgo(now - alert.startedAt, t)}`,
    ],
  ];
  return (
    <section className="wall-crit" role="alert" data-testid="wall-critical" data-alert-id={alert.id}>
      <p className="wall-crit__kicker">{t('wall.critical.title')}</p>
      <h2 className="wall-crit__rule">{ruleLabel(alert, rules)}</h2>
      <dl className="wall-crit__facts">
        {rows.map(([label, text]) => (
          <div className="wall-crit__fact" key={label}>
            <dt>{label}</dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

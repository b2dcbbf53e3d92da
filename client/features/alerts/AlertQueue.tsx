import { useCallback, useState } from 'react';
import type { Alert } from '../../../contract/alert.js';
import type { ConsoleConfig } from '../../../contract/api.js';
import { formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { EntityStore } from '../../state/entity-store.js';
import { useObservable, usePolled } from '../../ui/hooks.js';
import { useAlertPermissions } from '../../session/use-session.js';
import { sortedSummaries, stormRules } from './alert-book.js';
import { entityLabel, ruleLabel, valueLabel, zoneLabel } from './alert-labels.js';
import type { AlertsRuntime } from './alerts-runtime.js';
import { AlertRow } from './AlertRow.js';
import { locateAlert } from './locate.js';
import { zoneName } from './zones.js';

interface AlertQueueProps {
  alerts: AlertsRuntime;
  store: EntityStore;
  config: ConsoleConfig;
  /** Called after a row asked the map to show its entity (phones switch to the map). */
  onLocated?: () => void;
  /** Replay: the alerts open at a past moment, shown without lifecycle buttons. */
  readOnly?: boolean;
  /** The time ages are measured from (ms); the playhead in replay, else the wall clock. */
  clock?: () => number;
}

const NO_ACTIONS = { act: false, assign: false } as const;

interface StormCardsProps extends Pick<AlertQueueProps, 'alerts' | 'config'> {
  expanded: ReadonlySet<string>;
  onToggle: (ruleId: string) => void;
}

function StormCards({ alerts, config, expanded, onToggle }: StormCardsProps) {
  const locale = useLocale();
  const storms = useObservable(alerts.storms);
  const rules = useObservable(alerts.ruleNames);
  if (storms.size === 0) return null;
  const seen = new Set<string>();
  return (
    <section className="storms" aria-labelledby="storms-title" data-testid="storms">
      <h3 id="storms-title" className="storms__title">
        {t('storm.title')}
      </h3>
      <ul className="storms__list">
        {sortedSummaries(storms).map((summary) => (
          <li key={`${summary.ruleId}/${summary.zone}`} className={`storm storm--${summary.severity}`}>
            <span className={`sev sev--${summary.severity}`}>{formatNumber(summary.count, locale, 0)}</span>
            <span className="storm__text">
              {t('storm.line', {
                rule: rules.get(summary.ruleId)?.name ?? summary.ruleId,
                n: formatNumber(summary.count, locale, 0),
                zone: zoneName(config.map.zones, summary.zone, locale, t('zone.city')),
              })}
            </span>
            {!seen.has(summary.ruleId) && seen.add(summary.ruleId) && (
              <button
                type="button"
                className="act"
                aria-expanded={expanded.has(summary.ruleId)}
                onClick={() => onToggle(summary.ruleId)}
              >
                {expanded.has(summary.ruleId) ? t('storm.collapse') : t('storm.expand')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The alert queue: storm cards, then open alerts by severity and age, with the lifecycle actions. */
export function AlertQueue({ alerts, store, config, onLocated, readOnly = false, clock = Date.now }: AlertQueueProps) {
  const locale = useLocale();
  useObservable(alerts.version);
  const rules = useObservable(alerts.ruleNames);
  const loaded = useObservable(alerts.loaded);
  const permitted = useAlertPermissions();
  const allowed = readOnly ? NO_ACTIONS : permitted;
  const loadError = useObservable(alerts.loadError);
  const now = usePolled(() => Math.floor(clock() / 5000) * 5000, 1000);
  const [showResolved, setShowResolved] = useState(false);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const storms = useObservable(alerts.storms);
  const open = alerts.book.sorted();
  const counts = alerts.book.countBySeverity();
  // A storm's firing alerts stay folded into its card until the operator opens them (storm control, issue 4).
  const folded = stormRules(storms, expanded);
  const shown = showResolved
    ? alerts.book.recentlyResolved()
    : open.filter((alert) => alert.state !== 'firing' || !folded.has(alert.ruleId));
  const toggleStorm = useCallback((ruleId: string) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(ruleId)) next.add(ruleId);
      return next;
    });
  }, []);

  const locate = useCallback(
    (alert: Alert) => {
      locateAlert(alert, store);
      onLocated?.();
    },
    [store, onLocated],
  );

  return (
    <section className="queue" aria-labelledby="queue-title" data-testid="alert-queue">
      <header className="queue__head">
        <h2 id="queue-title" className="queue__title">
          {t('alerts.title')}
          <span className="queue__count">{t('alerts.count', { n: formatNumber(open.length, locale, 0) })}</span>
        </h2>
        <ul className="queue__sev" aria-hidden={open.length === 0}>
          {(['critical', 'warning', 'info'] as const).map((severity) => (
            <li key={severity} className={`sev sev--${severity}${counts[severity] === 0 ? ' sev--none' : ''}`}>
              {formatNumber(counts[severity], locale, 0)} {t(`severity.${severity}`)}
            </li>
          ))}
        </ul>
        <label className="queue__recent">
          <input type="checkbox" checked={showResolved} onChange={(e) => setShowResolved(e.target.checked)} />
          {t('alerts.recent')}
        </label>
      </header>
      {readOnly && (
        <p className="queue__replay" data-testid="queue-replay">
          {t('replay.readOnly')}
        </p>
      )}
      <StormCards alerts={alerts} config={config} expanded={expanded} onToggle={toggleStorm} />
      {loadError !== null && (
        <p className="queue__error" role="alert">
          {t('alerts.loadError', { message: loadError })}
        </p>
      )}
      {!loaded && loadError === null && <p className="queue__empty">{t('alerts.loading')}</p>}
      {loaded && shown.length === 0 && (
        <p className="queue__empty">{showResolved ? t('alerts.noRecent') : t('alerts.empty')}</p>
      )}
      <ol className="queue__list">
        {shown.map((alert) => (
          <AlertRow
            key={alert.id}
            alert={alert}
            now={now}
            act={alerts.act}
            onLocate={locate}
            allowed={allowed}
            labels={{
              rule: ruleLabel(alert, rules),
              entity: entityLabel(alert, store),
              zone: zoneLabel(alert, config.map.zones, store, locale),
              value: valueLabel(alert, rules, locale),
            }}
          />
        ))}
      </ol>
    </section>
  );
}

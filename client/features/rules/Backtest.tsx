import { useEffect, useRef, useState } from 'react';
import { formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { BacktestResult } from '../../../contract/rule.js';
import { backtest } from '../../live/alerts-api.js';
import { failureText } from '../alerts/alert-labels.js';

const DAY = 86_400_000;
const LISTED = 50;

function toLocalInput(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** Runs a saved rule over stored history for a chosen range, with a progress bar, and lists when it would have fired. */
export function Backtest({ ruleId }: { ruleId: string | null }) {
  const locale = useLocale();
  // Null until the operator picks a time: the range then ends "now" when the run starts (inputs hold minutes only).
  const [fromText, setFrom] = useState<string | null>(null);
  const [toText, setTo] = useState<string | null>(null);
  const [opened] = useState(() => Date.now());
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<BacktestResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = useRef<AbortController | null>(null);

  useEffect(() => {
    setResult(null);
    setError(null);
    return () => running.current?.abort();
  }, [ruleId]);

  const run = () => {
    if (ruleId === null) return;
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setProgress(0);
    setResult(null);
    setError(null);
    const to = toText === null ? Date.now() : new Date(toText).getTime();
    const from = fromText === null ? to - DAY : new Date(fromText).getTime();
    backtest(ruleId, { from, to }, setProgress, controller.signal)
      .then((answer) => {
        if (!controller.signal.aborted) setResult(answer);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(failureText(err));
      })
      .finally(() => {
        if (!controller.signal.aborted) setProgress(null);
      });
  };

  return (
    <section className="backtest" aria-labelledby="backtest-title" data-testid="backtest">
      <h3 id="backtest-title" className="rules__subtitle">
        {t('rules.backtest')}
      </h3>
      <div className="backtest__range">
        <label>
          <span>{t('rules.from')}</span>
          <input
            className="field"
            type="datetime-local"
            value={fromText ?? toLocalInput(opened - DAY)}
            onChange={(e) => setFrom(e.target.value)}
          />
        </label>
        <label>
          <span>{t('rules.to')}</span>
          <input
            className="field"
            type="datetime-local"
            value={toText ?? toLocalInput(opened)}
            onChange={(e) => setTo(e.target.value)}
          />
        </label>
        <button
          type="button"
          className="act act--primary"
          disabled={ruleId === null || progress !== null}
          onClick={run}
          data-testid="backtest-run"
        >
          {t('rules.run')}
        </button>
      </div>
      {ruleId === null && <p className="rules__hint">{t('rules.needsSave')}</p>}
      {progress !== null && (
        <div
          className="progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={progress * 100}
        >
          <div className="progress__bar" style={{ width: `${Math.round(progress * 100)}%` }} />
          <span className="progress__text">{t('rules.running', { pct: Math.round(progress * 100) })}</span>
        </div>
      )}
      {error !== null && (
        <p className="alert__error" role="alert">
          {error}
        </p>
      )}
      {result !== null && (
        <div className="backtest__result" data-testid="backtest-result">
          <p className="backtest__count">
            {t('rules.result', {
              n: formatNumber(result.count, locale, 0),
              obs: formatNumber(result.observations, locale, 0),
            })}
          </p>
          <ol className="backtest__list">
            {result.alerts.slice(0, LISTED).map((alert) => (
              <li key={`${alert.entityId}@${alert.startedAt}`}>
                <span className="mono">{formatCityTime(alert.startedAt, locale, true)}</span>
                <span>{alert.entityId}</span>
                <span className="rules__hint">
                  {alert.endedAt === null
                    ? t('rules.stillOpen')
                    : t('rules.until', { time: formatCityTime(alert.endedAt, locale) })}
                </span>
              </li>
            ))}
          </ol>
          {result.count > LISTED && (
            <p className="rules__hint">
              {t('rules.moreAlerts', { n: formatNumber(result.count - LISTED, locale, 0) })}
            </p>
          )}
        </div>
      )}
    </section>
  );
}

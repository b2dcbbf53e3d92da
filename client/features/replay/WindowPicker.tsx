import { useState, type FormEvent } from 'react';
import { MAX_REPLAY_WINDOW_MS } from '../../../contract/replay.js';
import { cityDateTimeInput, formatCityTime, parseCityDateTime } from '../../i18n/format.js';
import { getLocale, t } from '../../i18n/i18n.js';
import { windowProblem, type WindowProblem } from './window-problem.js';
import './window-picker.css';

const DAY_MS = 86_400_000;
const MAX_DAYS = Math.floor(MAX_REPLAY_WINDOW_MS / DAY_MS);

/**
 * A free window: from and to as Vietnam date and time, any span up to the replay limit (31 days),
 * as far back as the store keeps data. An end after now is cut to now.
 */
export function WindowPicker({
  from,
  to,
  onApply,
  onCancel,
  keptFor,
}: {
  from: number;
  to: number;
  onApply: (from: number, to: number) => void;
  onCancel: () => void;
  /** How far back data is kept (ms, the server's retention); unlimited when absent. */
  keptFor?: number;
}) {
  const [fromText, setFromText] = useState(() => cityDateTimeInput(from));
  const [toText, setToText] = useState(() => cityDateTimeInput(to));
  const [problem, setProblem] = useState<WindowProblem | null>(null);
  const max = cityDateTimeInput(Date.now());
  const min = keptFor === undefined ? undefined : cityDateTimeInput(Date.now() - keptFor);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const now = Date.now();
    const start = parseCityDateTime(fromText);
    const end = parseCityDateTime(toText);
    const clampedEnd = end === null ? null : Math.min(end, Math.floor(now / 1000) * 1000);
    const why = windowProblem(start, clampedEnd, now, keptFor);
    setProblem(why);
    if (why === null && start !== null && clampedEnd !== null) onApply(start, clampedEnd);
  };

  return (
    <form
      className="replay-window"
      onSubmit={submit}
      aria-labelledby="replay-window-title"
      data-testid="replay-window-form"
      onKeyDown={(event) => event.key === 'Escape' && onCancel()}
    >
      <h3 id="replay-window-title" className="replay-window__title">
        {t('replay.window.title')}
      </h3>
      <label className="replay-window__field">
        <span>{t('replay.window.from')}</span>
        <input
          type="datetime-local"
          className="field"
          value={fromText}
          max={max}
          {...(min !== undefined ? { min } : {})}
          onChange={(event) => setFromText(event.target.value)}
          required
          autoFocus
          data-testid="replay-window-from"
        />
      </label>
      <label className="replay-window__field">
        <span>{t('replay.window.to')}</span>
        <input
          type="datetime-local"
          className="field"
          value={toText}
          max={max}
          onChange={(event) => setToText(event.target.value)}
          required
          data-testid="replay-window-to"
        />
      </label>
      <p className="replay-window__hint">{t('replay.window.hint', { days: MAX_DAYS })}</p>
      {problem !== null && (
        <p className="replay-window__problem" role="alert">
          {t(problem, {
            days: MAX_DAYS,
            earliest: keptFor === undefined ? '' : formatCityTime(Date.now() - keptFor, getLocale(), true),
          })}
        </p>
      )}
      <div className="replay-window__actions">
        <button type="button" className="act" onClick={onCancel}>
          {t('replay.window.cancel')}
        </button>
        <button type="submit" className="act act--primary" data-testid="replay-window-apply">
          {t('replay.window.apply')}
        </button>
      </div>
    </form>
  );
}

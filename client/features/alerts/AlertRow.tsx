import { memo, useState, type FormEvent } from 'react';
import type { Alert } from '../../../contract/alert.js';
import { formatAgo, formatCityTime } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { AlertAction } from '../../live/alerts-api.js';
import type { AlertPermissions } from '../../session/permissions.js';
import { failureText } from './alert-labels.js';

export interface AlertRowLabels {
  rule: string;
  entity: string;
  zone: string;
  value: string | null;
}

interface AlertRowProps {
  alert: Alert;
  labels: AlertRowLabels;
  now: number;
  act: (id: string, action: AlertAction) => Promise<Alert>;
  onLocate: (alert: Alert) => void;
  /** Which lifecycle buttons this person may use (the rest are not shown). */
  allowed: AlertPermissions;
}

type Mode = null | 'assign' | 'snooze' | 'note';

function toLocalInput(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

/** One alert in the queue: what, where, since when, its state, and the lifecycle actions. */
export const AlertRow = memo(function AlertRow({ alert, labels, now, act, onLocate, allowed }: AlertRowProps) {
  const locale = useLocale();
  const [mode, setMode] = useState<Mode>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState(alert.assignee ?? '');
  const [until, setUntil] = useState(() => toLocalInput(now + 2 * 3_600_000));
  const open = alert.state !== 'resolved';

  const run = (action: AlertAction, after?: () => void) => {
    setBusy(true);
    setError(null);
    act(alert.id, action)
      .then(() => {
        setMode(null);
        after?.();
      })
      .catch((err: unknown) => setError(failureText(err)))
      .finally(() => setBusy(false));
  };
  const withNote = <T extends object>(body: T): T & { note?: string } =>
    note.trim() === '' ? body : { ...body, note: note.trim() };
  const clearNote = () => setNote('');

  const submitAssign = (event: FormEvent) => {
    event.preventDefault();
    if (assignee.trim() !== '') run({ kind: 'assign', assignee: assignee.trim() });
  };
  const submitNote = (event: FormEvent) => {
    event.preventDefault();
    if (note.trim() !== '') run({ kind: 'note', note: note.trim() }, clearNote);
  };
  const toggle = (next: Mode) => setMode((current) => (current === next ? null : next));

  return (
    <li
      className={`alert alert--${alert.severity} alert--${alert.state}`}
      data-testid="alert-row"
      data-alert-id={alert.id}
      data-state={alert.state}
      data-severity={alert.severity}
    >
      {/* The summary is a large pointer target; keyboards use the "show on map" button, whose name stays short. */}
      <div className="alert__main" onClick={() => onLocate(alert)}>
        <span className={`sev sev--${alert.severity}`}>{t(`severity.${alert.severity}`)}</span>
        <span className="alert__rule">{labels.rule}</span>
        <span className={`state state--${alert.state}`} data-testid="alert-state">
          {t(`state.${alert.state}`)}
        </span>
        <span className="alert__entity">
          {labels.entity}
          {labels.value !== null && <span className="alert__value"> · {labels.value}</span>}
        </span>
        <span className="alert__where">
          {t('alerts.zoneAge', { zone: labels.zone, ago: formatAgo(now - alert.startedAt, t) })}
        </span>
        <span className="alert__assignee">
          {alert.state === 'snoozed' && alert.snoozedUntil !== undefined
            ? t('alerts.snoozedUntil', { time: formatCityTime(alert.snoozedUntil, locale) })
            : alert.assignee
              ? t('alerts.assignedTo', { name: alert.assignee })
              : t('alerts.unassigned')}
        </span>
      </div>
      {open && (
        <div className="alert__actions" role="group" aria-label={t('alerts.actions')}>
          {allowed.act && alert.state !== 'acknowledged' && (
            <button
              type="button"
              className="act act--primary"
              disabled={busy}
              onClick={() => run(withNote({ kind: 'ack' as const }), clearNote)}
            >
              {t('alerts.ack')}
            </button>
          )}
          {allowed.act && (
            <button
              type="button"
              className="act act--resolve"
              disabled={busy}
              onClick={() => run(withNote({ kind: 'resolve' as const }), clearNote)}
            >
              {t('alerts.resolve')}
            </button>
          )}
          {allowed.assign && (
            <button type="button" className="act" aria-expanded={mode === 'assign'} onClick={() => toggle('assign')}>
              {t('alerts.assign')}
            </button>
          )}
          {allowed.act && (
            <>
              <button type="button" className="act" aria-expanded={mode === 'snooze'} onClick={() => toggle('snooze')}>
                {t('alerts.snooze')}
              </button>
              <button type="button" className="act" aria-expanded={mode === 'note'} onClick={() => toggle('note')}>
                {t('alerts.note')}
              </button>
            </>
          )}
          <button type="button" className="act act--locate" onClick={() => onLocate(alert)}>
            {t('alerts.locate')}
          </button>
        </div>
      )}
      {mode === 'assign' && (
        <form className="alert__form" onSubmit={submitAssign}>
          <input
            className="field"
            value={assignee}
            onChange={(e) => setAssignee(e.target.value)}
            placeholder={t('alerts.assignee')}
            aria-label={t('alerts.assignee')}
            maxLength={128}
            autoFocus
          />
          <button type="submit" className="act act--primary" disabled={busy || assignee.trim() === ''}>
            {t('alerts.confirm')}
          </button>
        </form>
      )}
      {mode === 'snooze' && (
        <div className="alert__form">
          <button type="button" className="act" disabled={busy} onClick={() => run({ kind: 'snooze', for: '15m' })}>
            {t('alerts.snooze15m')}
          </button>
          <button type="button" className="act" disabled={busy} onClick={() => run({ kind: 'snooze', for: '1h' })}>
            {t('alerts.snooze1h')}
          </button>
          <label className="alert__until">
            <span>{t('alerts.snoozeUntil')}</span>
            <input className="field" type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
          </label>
          <button
            type="button"
            className="act act--primary"
            disabled={busy || Number.isNaN(new Date(until).getTime())}
            onClick={() => run({ kind: 'snooze', until: new Date(until).getTime() })}
          >
            {t('alerts.confirm')}
          </button>
        </div>
      )}
      {mode === 'note' && (
        <form className="alert__form" onSubmit={submitNote}>
          <input
            className="field field--wide"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder={t('alerts.notePlaceholder')}
            aria-label={t('alerts.note')}
            maxLength={4000}
            autoFocus
          />
          <button type="submit" className="act" disabled={busy || note.trim() === ''}>
            {t('alerts.confirm')}
          </button>
        </form>
      )}
      {error !== null && (
        <p className="alert__error" role="alert" data-testid="alert-error">
          {error}
        </p>
      )}
    </li>
  );
});

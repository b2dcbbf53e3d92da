import { memo, useState, type FormEvent } from 'react';
import type { ZoneInfo } from '../../../contract/api.js';
import type { Report, ReportCategoryInfo } from '../../../contract/field.js';
import { formatSpan, formatWhen } from '../../field/texts.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/messages.js';
import { reportVisibility } from '../../map/report-layer.js';
import { failureText } from '../../session/failure-text.js';
import type { AlertPermissions } from '../../session/permissions.js';
import { useAlertPermissions } from '../../session/use-session.js';
import { focusRequest } from '../../state/ui-state.js';
import { useObservable, usePolled } from '../../ui/hooks.js';
import { qt } from './reports-messages.js';
import type { ReportAction, ReportsRuntime } from './reports-runtime.js';

/** Overdue first, then by deadline. */
function worstFirst(reports: Iterable<Report>): Report[] {
  return [...reports].sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.deadline - b.deadline);
}

type Mode = null | 'assign' | 'resolve' | 'reject';

interface RowProps {
  report: Report;
  now: number;
  locale: Locale;
  category: string;
  zone: string;
  allowed: AlertPermissions;
  act: (id: string, action: ReportAction) => Promise<Report>;
  onLocated?: () => void;
}

/** One report: category, place, status, deadline, assignee, and the moves this person may make. */
const ReportRow = memo(function ReportRow({ report, now, locale, category, zone, allowed, act, onLocated }: RowProps) {
  const [mode, setMode] = useState<Mode>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (action: ReportAction) => {
    setBusy(true);
    setError(null);
    act(report.id, action)
      .then(() => {
        setMode(null);
        setText('');
      })
      .catch((err: unknown) => setError(failureText(err, t)))
      .finally(() => setBusy(false));
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = text.trim();
    if (value === '') return;
    if (mode === 'assign') run({ kind: 'assign', assignee: value });
    if (mode === 'resolve') run({ kind: 'resolve', result: value });
    if (mode === 'reject') run({ kind: 'reject', reason: value });
  };
  const toggle = (next: Mode) => {
    setMode((current) => (current === next ? null : next));
    setText(next === 'assign' ? (report.assignee ?? '') : '');
  };
  const contact = [report.contact?.name, report.contact?.phone].filter(Boolean).join(' · ');
  return (
    <li
      className={`rq-row${report.overdue ? ' rq-row--overdue' : ''}`}
      data-testid="report-row"
      data-report-id={report.id}
      data-status={report.status}
      data-overdue={report.overdue}
    >
      <div className="rq-row__top">
        <span className={`sev ${report.overdue ? 'sev--critical' : 'sev--warning'}`}>
          {report.overdue
            ? qt('reports.overdue', { span: formatSpan(now - report.deadline, locale) })
            : qt('reports.due', { span: formatSpan(report.deadline - now, locale) })}
        </span>
        <span className="rq-row__category">{category}</span>
        <span className="rq-row__status">{qt(`reports.status.${report.status}`)}</span>
      </div>
      <p className="rq-row__desc">{report.description}</p>
      <p className="rq-row__meta">
        {zone} · {report.code} · {formatWhen(report.createdAt, locale)}
      </p>
      <p className="rq-row__meta">
        {report.assignee === undefined ? qt('reports.unassigned') : qt('reports.assignee', { name: report.assignee })}
        {contact !== '' && ` · ${qt('reports.contact', { contact })}`}
      </p>
      <div className="alert__actions">
        <button
          type="button"
          className="act act--locate"
          onClick={() => {
            focusRequest.set({ lat: report.lat, lon: report.lon, at: performance.now() });
            onLocated?.();
          }}
        >
          {qt('reports.locate')}
        </button>
        {allowed.assign && (
          <button type="button" className="act" aria-expanded={mode === 'assign'} onClick={() => toggle('assign')} data-testid="report-assign">
            {qt('reports.assign')}
          </button>
        )}
        {allowed.act && report.status !== 'in_progress' && (
          <button type="button" className="act act--primary" disabled={busy} onClick={() => run({ kind: 'start' })} data-testid="report-start">
            {qt('reports.start')}
          </button>
        )}
        {allowed.act && (
          <>
            <button type="button" className="act act--resolve" aria-expanded={mode === 'resolve'} onClick={() => toggle('resolve')} data-testid="report-resolve">
              {qt('reports.resolve')}
            </button>
            <button type="button" className="act" aria-expanded={mode === 'reject'} onClick={() => toggle('reject')} data-testid="report-reject">
              {qt('reports.reject')}
            </button>
          </>
        )}
      </div>
      {mode !== null && (
        <form className="alert__form" onSubmit={submit}>
          <input
            className="field field--wide"
            value={text}
            autoFocus
            maxLength={2000}
            placeholder={qt(mode === 'assign' ? 'reports.assignTo' : mode === 'resolve' ? 'reports.result' : 'reports.reason')}
            aria-label={qt(mode === 'assign' ? 'reports.assignTo' : mode === 'resolve' ? 'reports.result' : 'reports.reason')}
            onChange={(e) => setText(e.target.value)}
            data-testid="report-input"
          />
          <button type="submit" className="act act--primary" disabled={busy || text.trim() === ''} data-testid="report-confirm">
            {qt('reports.confirm')}
          </button>
          <button type="button" className="act" onClick={() => setMode(null)}>
            {qt('reports.cancel')}
          </button>
        </form>
      )}
      {error !== null && (
        <p className="queue__error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
});

function categoryName(categories: readonly ReportCategoryInfo[], id: string, locale: Locale): string {
  return categories.find((c) => c.id === id)?.name[locale] ?? id;
}

function zoneLabel(zones: readonly ZoneInfo[], id: string, locale: Locale): string {
  return zones.find((z) => z.id === id)?.name[locale] ?? (id === 'city' ? t('zone.city') : id);
}

/** The console's citizen reports: open ones worst first (overdue on top), live, with the moves by permission. */
export function ReportsQueue({ reports, zones, onLocated }: { reports: ReportsRuntime; zones: readonly ZoneInfo[]; onLocated?: () => void }) {
  const locale = useLocale();
  const open = useObservable(reports.open);
  const categories = useObservable(reports.categories);
  const loaded = useObservable(reports.loaded);
  const loadError = useObservable(reports.loadError);
  const onMap = useObservable(reportVisibility);
  const allowed = useAlertPermissions();
  const now = usePolled(() => Math.floor(Date.now() / 30_000) * 30_000, 5_000);
  const [expanded, setExpanded] = useState(true);
  const sorted = worstFirst(open.values());
  const overdue = sorted.filter((r) => r.overdue).length;
  return (
    <section className="queue rq" aria-labelledby="reports-title" data-testid="reports-queue">
      <header className="queue__head">
        <h2 id="reports-title" className="queue__title">
          {qt('reports.title')}
          <span className="queue__count" data-testid="reports-count">
            {qt('reports.count', { n: sorted.length })}
          </span>
          {overdue > 0 && <span className="sev sev--critical">{qt('reports.overdueCount', { n: overdue })}</span>}
        </h2>
        <label className="queue__recent">
          <input type="checkbox" checked={onMap} onChange={(e) => reportVisibility.set(e.target.checked)} />
          {qt('reports.onMap')}
        </label>
        <button type="button" className="act" aria-expanded={expanded} onClick={() => setExpanded((v) => !v)} data-testid="reports-toggle">
          {expanded ? qt('reports.hide') : qt('reports.show')}
        </button>
      </header>
      {expanded && (
        <>
          {loadError !== null && (
            <p className="queue__error" role="alert">
              {qt('reports.loadError', { message: loadError })}
            </p>
          )}
          {!loaded && loadError === null && <p className="queue__empty">{qt('reports.loading')}</p>}
          {loaded && sorted.length === 0 && <p className="queue__empty">{qt('reports.empty')}</p>}
          <ol className="queue__list">
            {sorted.map((report) => (
              <ReportRow
                key={report.id}
                report={report}
                now={now}
                locale={locale}
                category={categoryName(categories, report.category, locale)}
                zone={zoneLabel(zones, report.zone, locale)}
                allowed={allowed}
                act={reports.act}
                onLocated={onLocated}
              />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

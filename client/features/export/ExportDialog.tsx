import { useEffect, useRef, useState } from 'react';
import { EXPORT_FORMATS, type ExportFormatName } from '../../../contract/export.js';
import { formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { failureText } from '../../session/failure-text.js';
import type { EntityStore } from '../../state/entity-store.js';
import type { ReadonlyObservable } from '../../state/observable.js';
import { mapBounds, selection } from '../../state/ui-state.js';
import { displayName } from '../../ui/entity-info.js';
import { useObservable } from '../../ui/hooks.js';
import { downloadExport, nextStepKey, saveFile, type ExportFile } from './export-download.js';
import { formatBytes, type ExportProgress } from './export-meter.js';
import type { ExportScope } from './export-query.js';
import { exportDialog, type ExportScopeKind } from './export-state.js';
import './export.css';

type Run =
  | { state: 'idle' }
  | { state: 'running'; progress: ExportProgress | null }
  | { state: 'done'; file: ExportFile }
  | { state: 'cancelled' }
  | { state: 'failed'; message: string; next: ReturnType<typeof nextStepKey> };

const SCOPES: readonly ExportScopeKind[] = ['city', 'entity', 'view'];

function ProgressLine({ progress }: { progress: ExportProgress | null }) {
  const locale = useLocale();
  const fraction = progress?.fraction ?? null;
  const amount =
    progress === null
      ? t('export.starting')
      : progress.rows === null
        ? t('export.receivedBytes', { bytes: formatBytes(progress.bytes, (v, d) => formatNumber(v, locale, d)) })
        : t('export.received', {
            bytes: formatBytes(progress.bytes, (v, d) => formatNumber(v, locale, d)),
            rows: formatNumber(progress.rows, locale, 0),
          });
  return (
    <div className="export__progress" data-testid="export-progress">
      {/* The bar is how far through the window the records have come (oldest first); without a time yet it runs indeterminate. */}
      <progress max={1} {...(fraction === null ? {} : { value: fraction })} aria-label={amount} />
      <p className="export__amount" aria-live="polite">
        {amount}
        {progress !== null &&
          progress.latest !== null &&
          ` · ${t('export.reached', { time: formatCityTime(progress.latest, locale, true) })}`}
      </p>
    </div>
  );
}

function Outcome({ run }: { run: Run }) {
  const locale = useLocale();
  if (run.state === 'done') {
    const { progress, name } = run.file;
    const bytes = formatBytes(progress.bytes, (v, d) => formatNumber(v, locale, d));
    return (
      <p className="export__note export__note--ok" role="status" data-testid="export-done">
        {progress.rows === null
          ? t('export.doneBytes', { file: name, bytes })
          : t('export.done', { file: name, bytes, rows: formatNumber(progress.rows, locale, 0) })}
      </p>
    );
  }
  if (run.state === 'cancelled') {
    return (
      <p className="export__note" role="status">
        {t('export.cancelled')}
      </p>
    );
  }
  if (run.state === 'failed') {
    return (
      <div className="export__note export__note--error" role="alert" data-testid="export-error">
        <p>{t('export.failed', { message: run.message })}</p>
        <p className="export__next">{t(run.next)}</p>
      </div>
    );
  }
  return null;
}

/**
 * The export dialog of replay mode: the replay window in a chosen format, for the whole city, the
 * inspected entity or the map area; streams with a progress bar, can be stopped, then saves the file.
 */
export function ExportDialog({
  window: replayWindow,
  store,
}: {
  /** The replay window (ms since epoch); the export covers it. */
  window: ReadonlyObservable<{ from: number; to: number }>;
  /** The store shown (names the inspected entity). */
  store: EntityStore;
}) {
  const locale = useLocale();
  const { from, to } = useObservable(replayWindow);
  const opened = useObservable(exportDialog);
  const selected = useObservable(selection);
  const bounds = useObservable(mapBounds);
  const [format, setFormat] = useState<ExportFormatName>('csv');
  const [scopeKind, setScopeKind] = useState<ExportScopeKind>(opened ?? 'city');
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const first = useRef<HTMLInputElement>(null);

  useEffect(() => {
    first.current?.focus();
    return () => abort.current?.abort();
  }, []);

  const close = () => {
    abort.current?.abort();
    exportDialog.set(null);
  };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') close();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const slash = selected?.indexOf('/') ?? -1;
  const entity = selected !== null ? store.get(selected) : undefined;
  const scopeOf = (kind: ExportScopeKind): ExportScope | null => {
    if (kind === 'entity') {
      return selected === null || slash < 0
        ? null
        : { kind: 'entity', domain: selected.slice(0, slash), id: selected.slice(slash + 1) };
    }
    if (kind === 'view') return bounds === null ? null : { kind: 'view', bbox: bounds };
    return { kind: 'city' };
  };
  const scope = scopeOf(scopeKind);
  const running = run.state === 'running';

  const start = () => {
    if (scope === null || running) return;
    const controller = new AbortController();
    abort.current = controller;
    setRun({ state: 'running', progress: null });
    downloadExport(
      { format, from, to, scope },
      (progress) => setRun({ state: 'running', progress }),
      controller.signal,
    ).then(
      (file) => {
        if (controller.signal.aborted) return;
        saveFile(file);
        setRun({ state: 'done', file });
      },
      (err: unknown) => {
        if (controller.signal.aborted) setRun({ state: 'cancelled' });
        else setRun({ state: 'failed', message: failureText(err, t), next: nextStepKey(err) });
      },
    );
  };

  const scopeLabel = (kind: ExportScopeKind) =>
    kind === 'entity'
      ? selected === null
        ? t('export.scope.entityNone')
        : t('export.scope.entity', { name: entity ? displayName(entity) : selected })
      : t(`export.scope.${kind}`);

  return (
    <div
      className="export-modal"
      role="presentation"
      onClick={(e) => e.target === e.currentTarget && !running && close()}
    >
      <div
        className="panel export"
        role="dialog"
        aria-modal="true"
        aria-labelledby="export-title"
        data-testid="export-dialog"
      >
        <header className="export__head">
          <h2 id="export-title">{t('export.title')}</h2>
          <button type="button" className="icon-button" aria-label={t('export.close')} onClick={close}>
            ×
          </button>
        </header>
        <p className="export__window">
          {t('export.window', { from: formatCityTime(from, locale, true), to: formatCityTime(to, locale, true) })}
        </p>
        <fieldset className="export__choices" disabled={running}>
          <legend>{t('export.format')}</legend>
          {EXPORT_FORMATS.map((name, index) => (
            <label key={name} className="export__choice">
              <input
                ref={index === 0 ? first : undefined}
                type="radio"
                name="export-format"
                value={name}
                checked={format === name}
                onChange={() => setFormat(name)}
                data-testid={`export-format-${name}`}
              />
              <span>{t(`export.format.${name}`)}</span>
            </label>
          ))}
        </fieldset>
        <fieldset className="export__choices" disabled={running}>
          <legend>{t('export.scope')}</legend>
          {SCOPES.map((kind) => (
            <label key={kind} className="export__choice">
              <input
                type="radio"
                name="export-scope"
                value={kind}
                checked={scopeKind === kind}
                disabled={scopeOf(kind) === null}
                onChange={() => setScopeKind(kind)}
                data-testid={`export-scope-${kind}`}
              />
              <span>{scopeLabel(kind)}</span>
            </label>
          ))}
        </fieldset>
        {running && <ProgressLine progress={run.progress} />}
        <Outcome run={run} />
        <div className="export__actions">
          {run.state === 'done' && (
            <button type="button" className="act" onClick={() => saveFile(run.file)}>
              {t('export.again')}
            </button>
          )}
          {running ? (
            <button
              type="button"
              className="act act--danger"
              onClick={() => abort.current?.abort()}
              data-testid="export-cancel"
            >
              {t('export.cancel')}
            </button>
          ) : (
            <button
              type="button"
              className="act act--primary export__start"
              onClick={start}
              disabled={scope === null}
              data-testid="export-start"
            >
              {t('export.start')}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

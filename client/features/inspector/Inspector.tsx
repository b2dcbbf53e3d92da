import { memo, useState } from 'react';
import { fieldLabel, formatAgo, formatCityTime, formatField, formatNumber, isMessageKey } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { EntityStore } from '../../state/entity-store.js';
import { mainField } from '../../state/style.js';
import { selection } from '../../state/ui-state.js';
import { displayName, sameView, viewOf, type EntityView } from '../../ui/entity-info.js';
import { useObservable, usePolled } from '../../ui/hooks.js';
import { KIND_SWATCH } from '../../ui/swatches.js';
import type { ReadonlyObservable } from '../../state/observable.js';
import { DownloadIcon } from '../../ui/icons.js';
import { exportDialog } from '../export/export-state.js';
import { CAMERA_DOMAIN, kindLabel } from '../cameras/camera-counts.js';
import { CameraEvents } from '../cameras/CameraEvents.js';
import { CAMERA_SWATCH } from '../../map/deck-layers.js';
import { HistoryChart, type PastWindow } from './HistoryChart.js';

/** Fields in reading order: the main one first, then as reported. */
function orderedFields(view: EntityView): string[] {
  const main = mainField(view.kind, view.entity.fields);
  const names = Object.keys(view.entity.fields);
  return main === undefined ? names : [main, ...names.filter((name) => name !== main)];
}

function numericFields(view: EntityView): string[] {
  return orderedFields(view).filter((name) => typeof view.entity.fields[name] === 'number');
}

function tagLabel(tag: string): string {
  const key = `tag.${tag}`;
  return isMessageKey(key) ? t(key) : tag;
}

function tagValue(value: string): string {
  const key = `value.${value}`;
  return isMessageKey(key) ? t(key) : value;
}

function StatusPill({ view }: { view: EntityView }) {
  const state = view.alert ? 'alert' : view.stale ? 'stale' : 'ok';
  return (
    <span className={`pill pill--${state}`} data-testid="inspector-status">
      {t(`status.${state}`)}
    </span>
  );
}

function Body({ view, past }: { view: EntityView; past: ReadonlyObservable<PastWindow> | undefined }) {
  const locale = useLocale();
  const { entity } = view;
  const charted = numericFields(view);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const field = chosen !== undefined && charted.includes(chosen) ? chosen : charted[0];
  const tags = Object.entries(entity.tags ?? {}).filter(([tag]) => tag !== 'name');
  return (
    <>
      <div className="inspector__meta">
        <StatusPill view={view} />
        <span className="inspector__ago">{t('tooltip.updated', { ago: formatAgo(view.ageMs, t) })}</span>
      </div>
      <section aria-labelledby="readings-title">
        <h3 id="readings-title" className="inspector__section">
          {t('inspector.readings')}
        </h3>
        <dl className="readings" data-testid="readings">
          {orderedFields(view).map((name, index) => (
            <div key={name} className={`reading${index === 0 ? ' reading--main' : ''}`} data-field={name}>
              <dt>{fieldLabel(name, t)}</dt>
              <dd>{formatField(name, entity.fields[name] ?? null, locale, t)}</dd>
            </div>
          ))}
        </dl>
      </section>
      {entity.domain === CAMERA_DOMAIN && !past && <CameraEvents camera={entity.id} />}
      {field !== undefined && (
        <section aria-labelledby="history-title">
          <h3 id="history-title" className="inspector__section">
            {past ? t('inspector.historyPast') : t('inspector.history')}
          </h3>
          {charted.length > 1 && (
            <div className="chips" role="group" aria-label={t('inspector.history')}>
              {charted.map((name) => (
                <button
                  key={name}
                  type="button"
                  className="chip"
                  aria-pressed={name === field}
                  onClick={() => setChosen(name)}
                >
                  {fieldLabel(name, t)}
                </button>
              ))}
            </div>
          )}
          <HistoryChart domain={entity.domain} id={entity.id} field={field} past={past} />
        </section>
      )}
      {past && (
        <button
          type="button"
          className="act inspector__export"
          onClick={() => exportDialog.set('entity')}
          data-testid="inspector-export"
        >
          <DownloadIcon />
          <span>{t('export.entity')}</span>
        </button>
      )}
      <section aria-labelledby="details-title">
        <h3 id="details-title" className="inspector__section">
          {t('inspector.details')}
        </h3>
        <dl className="details">
          <div>
            <dt>{t('inspector.id')}</dt>
            <dd className="mono">
              {entity.domain}/{entity.id}
            </dd>
          </div>
          {tags.map(([tag, value]) => (
            <div key={tag}>
              <dt>{tagLabel(tag)}</dt>
              <dd>{tagValue(value)}</dd>
            </div>
          ))}
          {entity.lat !== null && entity.lon !== null && (
            <div>
              <dt>{t('inspector.position')}</dt>
              <dd className="mono">
                {formatNumber(entity.lat, locale, 5)}, {formatNumber(entity.lon, locale, 5)}
              </dd>
            </div>
          )}
          <div>
            <dt>{t('inspector.updated')}</dt>
            <dd>{formatCityTime(entity.ts, locale, true)}</dd>
          </div>
        </dl>
      </section>
    </>
  );
}

/**
 * The side panel for the clicked entity: readings with units, a chart, details. Live the chart shows the
 * last hour; in replay (`past`) it spans the replay window, marks the playhead, and the entity can be exported.
 */
export const Inspector = memo(function Inspector({
  store,
  past,
}: {
  store: EntityStore;
  past?: ReadonlyObservable<PastWindow> | undefined;
}) {
  useLocale();
  const key = useObservable(selection);
  const view = usePolled(() => (key === null ? undefined : viewOf(store, key, performance.now())), 1000, sameView, key);
  if (key === null) return null;
  return (
    <aside className="panel inspector" aria-labelledby="inspector-title" data-testid="inspector">
      <header className="inspector__head">
        {view && (
          <span className="inspector__kind">
            <span
              className="swatch"
              style={{ background: view.entity.domain === CAMERA_DOMAIN ? CAMERA_SWATCH : KIND_SWATCH[view.kind] }}
              aria-hidden="true"
            />
            {kindLabel(view.entity.domain, view.kind)}
          </span>
        )}
        <h2 id="inspector-title" className="inspector__title">
          {view ? displayName(view.entity) : key}
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label={t('inspector.close')}
          onClick={() => selection.set(null)}
        >
          ×
        </button>
      </header>
      {view ? <Body key={key} view={view} past={past} /> : <p className="inspector__gone">{t('inspector.gone')}</p>}
    </aside>
  );
});

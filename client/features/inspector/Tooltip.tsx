import { memo } from 'react';
import { formatAgo, formatField, fieldLabel } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { EntityStore } from '../../state/entity-store.js';
import { mainField } from '../../state/style.js';
import { displayName, sameView, viewOf } from '../../ui/entity-info.js';
import { useObservable, usePolled } from '../../ui/hooks.js';
import { hover } from '../../map/map-view.js';
import { kindLabel } from '../cameras/camera-counts.js';

/** Puts the card beside the pointer, on the side with more room, so it never runs off the map. */
function placement(x: number, y: number): string {
  const left = x > window.innerWidth * 0.55;
  const up = y > window.innerHeight * 0.6;
  const dx = left ? `calc(${x - 16}px - 100%)` : `${x + 16}px`;
  const dy = up ? `calc(${y - 16}px - 100%)` : `${y + 16}px`;
  return `translate(${dx}, ${dy})`;
}

/** The hover card over a cluster (zoomed out): how many entities, how many in alert, and that a click zooms in. */
function ClusterCard({ count, alerts, x, y }: { count: number; alerts: number; x: number; y: number }) {
  const locale = useLocale();
  return (
    <div className="tooltip" style={{ transform: placement(x, y) }} role="tooltip">
      <div className="tooltip__name">{t('map.cluster', { count: count.toLocaleString(locale) })}</div>
      {alerts > 0 && (
        <div className="tooltip__status is-alert">
          {t('map.clusterAlerts', { count: alerts.toLocaleString(locale) })}
        </div>
      )}
      <div className="tooltip__kind">{t('map.clusterHint')}</div>
    </div>
  );
}

/** The hover card: name, layer, main reading and freshness of the entity under the pointer. */
export const Tooltip = memo(function Tooltip({ store }: { store: EntityStore }) {
  const locale = useLocale();
  const at = useObservable(hover);
  const key = at?.key ?? null;
  const view = usePolled(() => (key === null ? undefined : viewOf(store, key, performance.now())), 1000, sameView, key);
  if (at?.cluster) return <ClusterCard count={at.cluster.count} alerts={at.cluster.alerts} x={at.x} y={at.y} />;
  if (!at || !view) return null;
  const { entity } = view;
  const field = mainField(view.kind, entity.fields);
  return (
    <div className="tooltip" style={{ transform: placement(at.x, at.y) }} role="tooltip">
      <div className="tooltip__kind">{kindLabel(entity.domain, view.kind)}</div>
      <div className="tooltip__name">{displayName(entity)}</div>
      {field !== undefined && (
        <div className="tooltip__reading">
          <span>{fieldLabel(field, t)}</span>
          <strong>{formatField(field, entity.fields[field] ?? null, locale, t)}</strong>
        </div>
      )}
      <div className={`tooltip__status${view.stale ? ' is-stale' : ''}${view.alert ? ' is-alert' : ''}`}>
        {view.alert ? t('status.alert') : view.stale ? t('status.stale') : t('status.ok')} ·{' '}
        {t('tooltip.updated', { ago: formatAgo(view.ageMs, t) })}
      </div>
    </div>
  );
});

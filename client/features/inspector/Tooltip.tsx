import { memo } from 'react';
import { formatAgo, formatField, fieldLabel } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { EntityStore } from '../../state/entity-store.js';
import { mainField } from '../../state/style.js';
import { displayName, sameView, viewOf } from '../../app/entity-info.js';
import { useObservable, usePolled } from '../../app/hooks.js';
import { hover } from '../../map/map-view.js';

/** The hover card: name, layer, main reading and freshness of the entity under the pointer. */
export const Tooltip = memo(function Tooltip({ store }: { store: EntityStore }) {
  const locale = useLocale();
  const at = useObservable(hover);
  const key = at?.key ?? null;
  const view = usePolled(() => (key === null ? undefined : viewOf(store, key, performance.now())), 1000, sameView, key);
  if (!at || !view) return null;
  const { entity } = view;
  const field = mainField(view.kind, entity.fields);
  return (
    <div className="tooltip" style={{ transform: `translate(${at.x + 16}px, ${at.y + 16}px)` }} role="tooltip">
      <div className="tooltip__kind">{t(`kind.${view.kind}`)}</div>
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

import { useEffect } from 'react';
import type { Kpi, KpisResponse } from '../../contract/wall.js';
import { t, useLocale } from '../i18n/i18n.js';
import type { Locale } from '../i18n/messages.js';
import { useObservable } from '../ui/hooks.js';
import { BoardFrame } from './BoardStatus.js';
import { Sparkline } from './Sparkline.js';
import { formatFigure, pick, withUnit } from './wall-format.js';
import type { Resource } from './wall-resource.js';

function KpiTile({ kpi, locale }: { kpi: Kpi; locale: Locale }) {
  return (
    <article
      className={`wall-kpi wall-kpi--${kpi.status}`}
      data-testid="kpi"
      data-kpi-id={kpi.id}
      data-status={kpi.status}
    >
      <h2 className="wall-kpi__name">{pick(kpi.name, locale)}</h2>
      <p className="wall-kpi__value" data-testid="kpi-value">
        {kpi.value === null ? (
          <span className="wall-kpi__none">{t('wall.kpi.noValue')}</span>
        ) : (
          <>
            <span className="wall-kpi__number">{formatFigure(kpi.value, locale)}</span>
            {kpi.unit !== '' && <span className="wall-kpi__unit">{kpi.unit}</span>}
          </>
        )}
      </p>
      {kpi.trend && kpi.trend.length > 1 && <Sparkline values={kpi.trend} target={kpi.target} />}
      <p className="wall-kpi__meta">
        <span className="wall-kpi__status">{t(`wall.kpi.status.${kpi.status}`)}</span>
        {kpi.target !== undefined && (
          <span className="wall-kpi__target">
            {t('wall.kpi.target', { value: withUnit(formatFigure(kpi.target, locale), kpi.unit) })}
          </span>
        )}
      </p>
      {kpi.detail && <p className="wall-kpi__detail">{pick(kpi.detail, locale)}</p>}
    </article>
  );
}

/** The KPI board: one tile per indicator, coloured by its status against the target. */
export function KpiBoard({ resource, active }: { resource: Resource<KpisResponse>; active: boolean }) {
  const locale = useLocale();
  const state = useObservable(resource.state);
  useEffect(() => {
    if (active) resource.refresh();
  }, [active, resource]);
  return (
    <BoardFrame state={state}>
      {(data) =>
        data.kpis.length === 0 ? (
          <p className="wall__empty">{t('wall.kpi.empty')}</p>
        ) : (
          <div className="wall-kpis" data-testid="kpi-board" style={{ ['--kpi-count' as string]: data.kpis.length }}>
            {data.kpis.map((kpi) => (
              <KpiTile key={kpi.id} kpi={kpi} locale={locale} />
            ))}
          </div>
        )
      }
    </BoardFrame>
  );
}

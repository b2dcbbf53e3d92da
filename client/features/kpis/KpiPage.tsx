import type { Kpi, KpisResponse } from '../../../contract/wall.js';
import { formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, tOr, useLocale } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/messages.js';
import { call } from '../../live/http.js';
import { FormError } from '../admin/FormError.js';
import { Sparkline } from './Sparkline.js';
import { useRefreshed } from './use-refreshed.js';
import './kpis.css';

/** The board refreshes this often while open (the server recomputes KPIs about as often). */
export const KPI_REFRESH_MS = 30_000;

function fetchKpis(signal: AbortSignal): Promise<KpisResponse> {
  return call<KpisResponse>('GET', '/kpis', { signal });
}

/** A value as the server rounded it: whole numbers plain, others to one decimal. */
export function formatKpiValue(value: number, locale: Locale): string {
  return formatNumber(value, locale, Number.isInteger(value) ? 0 : 1);
}

function withUnit(text: string, unit: string): string {
  if (unit === '') return text;
  return unit === '%' ? `${text}%` : `${text} ${unit}`;
}

/** Groups in the order the server lists them. */
function byGroup(kpis: readonly Kpi[]): [string, Kpi[]][] {
  const groups = new Map<string, Kpi[]>();
  for (const kpi of kpis) {
    const list = groups.get(kpi.group);
    if (list) list.push(kpi);
    else groups.set(kpi.group, [kpi]);
  }
  return [...groups];
}

function KpiTile({ kpi, locale }: { kpi: Kpi; locale: Locale }) {
  return (
    <article className={`kpi kpi--${kpi.status}`} data-testid="kpi-tile" data-kpi-id={kpi.id} data-status={kpi.status}>
      <h4 className="kpi__name">{kpi.name[locale]}</h4>
      <p className="kpi__value" data-testid="kpi-tile-value">
        {kpi.value === null ? (
          <span className="kpi__none">{t('kpis.noValue')}</span>
        ) : (
          <>
            <span className="kpi__number">{formatKpiValue(kpi.value, locale)}</span>
            {kpi.unit !== '' && (
              <span className={kpi.unit === '%' ? 'kpi__unit kpi__unit--tight' : 'kpi__unit'}>{kpi.unit}</span>
            )}
          </>
        )}
      </p>
      {kpi.trend && <Sparkline values={kpi.trend} target={kpi.target} />}
      <p className="kpi__meta">
        <span className="kpi__status">
          <span className="kpi__dot" aria-hidden="true" />
          {t(`kpis.status.${kpi.status}`)}
        </span>
        {kpi.target !== undefined && (
          <span className="kpi__target">
            {t('kpis.target', { value: withUnit(formatKpiValue(kpi.target, locale), kpi.unit) })}
          </span>
        )}
      </p>
      {kpi.detail && <p className="kpi__detail">{kpi.detail[locale]}</p>}
    </article>
  );
}

/** The KPI board of the console: tiles grouped by subject, coloured by status against target, refreshed every 30 s. */
export function KpiPage() {
  const locale = useLocale();
  const { data, error } = useRefreshed(fetchKpis, KPI_REFRESH_MS);
  return (
    <div className="kpis" data-testid="kpi-page">
      <FormError error={error} />
      {data === null ? (
        error === null && <p className="kpis__hint">{t('kpis.loading')}</p>
      ) : (
        <>
          <p className="kpis__hint" data-testid="kpis-as-of">
            {t('kpis.asOf', { time: formatCityTime(data.asOf, locale) })}
          </p>
          {data.kpis.length === 0 && <p className="kpis__hint">{t('kpis.empty')}</p>}
          <div className="kpis__groups">
            {byGroup(data.kpis).map(([group, kpis]) => (
              <section
                key={group}
                className="kpis__group"
                data-group={group}
                aria-labelledby={`kpi-group-${group}`}
                style={{ ['--tiles' as string]: kpis.length }}
              >
                <h3 id={`kpi-group-${group}`} className="kpis__title">
                  {tOr(`kpis.group.${group}`, group)}
                </h3>
                <div className="kpis__tiles">
                  {kpis.map((kpi) => (
                    <KpiTile key={kpi.id} kpi={kpi} locale={locale} />
                  ))}
                </div>
              </section>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

import { formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/messages.js';
import {
  BEDS_SCALE,
  NOISE_SCALE,
  PM25_SCALE,
  QUEUE_SCALE,
  TRAFFIC_SCALE,
  WATER_SCALE,
  type Scale,
} from '../../state/scales.js';
import type { LayerKind } from '../../state/layer-kinds.js';
import type { Visibility } from '../../state/ui-state.js';
import { cssColor } from '../../ui/swatches.js';

const SCALES_BY_KIND: [LayerKind, Scale][] = [
  ['sensor', PM25_SCALE],
  ['sensor', NOISE_SCALE],
  ['sensor', WATER_SCALE],
  ['junction', TRAFFIC_SCALE],
  ['facility', BEDS_SCALE],
  ['service', QUEUE_SCALE],
];

/** "≤ 9", "9 – 35,4", "> 225,4": the range a band covers, in the locale's notation. */
function rangeLabel(scale: Scale, index: number, locale: Locale): string {
  const factor = scale.legendFactor ?? 1;
  const suffix = factor === 100 ? '%' : '';
  const fmt = (v: number) => formatNumber(v * factor, locale, scale.digits) + suffix;
  const band = scale.bands[index];
  const previous = scale.bands[index - 1];
  if (!band) return '';
  if (!previous) return `≤ ${fmt(band.upTo)}`;
  if (band.upTo === Infinity) return `> ${fmt(previous.upTo)}`;
  return `${fmt(previous.upTo)} – ${fmt(band.upTo)}`;
}

function ScaleLegend({ scale }: { scale: Scale }) {
  const locale = useLocale();
  return (
    <div className="legend__scale" data-scale={scale.id}>
      <h3 className="legend__title">{t(scale.title)}</h3>
      <ul className="legend__bands">
        {scale.bands.map((band, index) => (
          <li key={band.label} className="legend__band">
            <span className="legend__chip" style={{ background: cssColor(band.color) }} aria-hidden="true" />
            <span className="legend__name">{t(band.label)}</span>
            <span className="legend__range">{rangeLabel(scale, index, locale)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** What each colour and shape means, for the layers that are switched on. */
export function Legend({ visible }: { visible: Visibility }) {
  const vehicles = visible.bus || visible.ambulance;
  return (
    <section className="legend" aria-labelledby="legend-title">
      <h2 id="legend-title" className="panel__title">
        {t('panel.legend')}
      </h2>
      {SCALES_BY_KIND.filter(([kind]) => visible[kind]).map(([kind, scale]) => (
        <ScaleLegend key={`${kind}-${scale.id}`} scale={scale} />
      ))}
      {vehicles && (
        <div className="legend__scale">
          <h3 className="legend__title">{t('legend.vehicles')}</h3>
          <ul className="legend__bands">
            {visible.bus && (
              <li className="legend__band">
                <span className="legend__icon legend__icon--bus" aria-hidden="true" />
                <span className="legend__name">{t('vehicle.bus')}</span>
              </li>
            )}
            {visible.ambulance && (
              <li className="legend__band">
                <span className="legend__icon legend__icon--ambulance" aria-hidden="true" />
                <span className="legend__name">{t('vehicle.ambulance')}</span>
              </li>
            )}
          </ul>
        </div>
      )}
      <div className="legend__scale">
        <h3 className="legend__title">{t('legend.status')}</h3>
        <ul className="legend__bands">
          <li className="legend__band">
            <span className="legend__chip legend__chip--stale" aria-hidden="true" />
            <span className="legend__name">{t('status.staleHint')}</span>
          </li>
          <li className="legend__band">
            <span className="legend__chip legend__chip--alert" aria-hidden="true" />
            <span className="legend__name">{t('status.alertHint')}</span>
          </li>
        </ul>
      </div>
    </section>
  );
}

import type { MessageKey } from '../i18n/messages.js';

export type Rgba = readonly [number, number, number, number];

/** One class of a legend scale: values up to `upTo` (inclusive) get `color`. */
export interface Band {
  upTo: number;
  color: Rgba;
  label: MessageKey;
}

export interface Scale {
  id: 'air' | 'noise' | 'water' | 'traffic' | 'beds' | 'queue';
  title: MessageKey;
  /** Ascending; the last band's `upTo` is Infinity. */
  bands: readonly Band[];
  /** Digits for the range labels in the legend. */
  digits: number;
  /** Multiplier from the scale's value to the legend figure (the beds scale is a ratio shown as %). */
  legendFactor?: number;
}

// AQI category colours are the published ones (US EPA, also used by Vietnam's VN_AQI) so operators recognise them.
const AQI_COLORS = {
  good: [0, 228, 0, 255],
  moderate: [255, 255, 0, 255],
  usg: [255, 126, 0, 255],
  unhealthy: [255, 0, 0, 255],
  veryUnhealthy: [143, 63, 151, 255],
  hazardous: [126, 0, 35, 255],
} as const satisfies Record<string, Rgba>;

function aqiBands(edges: readonly [number, number, number, number, number]): Band[] {
  return [
    { upTo: edges[0], color: AQI_COLORS.good, label: 'band.good' },
    { upTo: edges[1], color: AQI_COLORS.moderate, label: 'band.moderate' },
    { upTo: edges[2], color: AQI_COLORS.usg, label: 'band.usg' },
    { upTo: edges[3], color: AQI_COLORS.unhealthy, label: 'band.unhealthy' },
    { upTo: edges[4], color: AQI_COLORS.veryUnhealthy, label: 'band.veryUnhealthy' },
    { upTo: Infinity, color: AQI_COLORS.hazardous, label: 'band.hazardous' },
  ];
}

/** PM2.5 in µg/m³, EPA 2024 breakpoints (the simulator and default rules use the same AQI). */
export const PM25_SCALE: Scale = {
  id: 'air',
  title: 'legend.air',
  bands: aqiBands([9, 35.4, 55.4, 125.4, 225.4]),
  digits: 1,
};
/** The AQI index itself (0–500). */
export const AQI_INDEX_BANDS: readonly Band[] = aqiBands([50, 100, 150, 200, 300]);
/** PM10 in µg/m³, EPA breakpoints. */
export const PM10_BANDS: readonly Band[] = aqiBands([54, 154, 254, 354, 424]);

/** Noise in dBA; 70 dBA is Vietnam's daytime limit for ordinary areas (QCVN 26:2010). */
export const NOISE_SCALE: Scale = {
  id: 'noise',
  title: 'legend.noise',
  digits: 0,
  bands: [
    { upTo: 55, color: [38, 198, 218, 255], label: 'band.quiet' },
    { upTo: 70, color: [255, 238, 88, 255], label: 'band.noisy' },
    { upTo: 80, color: [255, 145, 0, 255], label: 'band.loud' },
    { upTo: Infinity, color: [240, 40, 90, 255], label: 'band.veryLoud' },
  ],
};

/** River gauge level in metres above the gauge datum. */
export const WATER_SCALE: Scale = {
  id: 'water',
  title: 'legend.water',
  digits: 1,
  bands: [
    { upTo: 3.5, color: [41, 182, 246, 255], label: 'band.normal' },
    { upTo: 4, color: [255, 235, 59, 255], label: 'band.high' },
    { upTo: 4.5, color: [255, 145, 0, 255], label: 'band.warning' },
    { upTo: Infinity, color: [255, 23, 68, 255], label: 'band.danger' },
  ],
};

/** Junction speed in km/h: slow is bad, so the scale runs from congested up to free flow. */
export const TRAFFIC_SCALE: Scale = {
  id: 'traffic',
  title: 'legend.traffic',
  digits: 0,
  bands: [
    { upTo: 10, color: [255, 23, 68, 255], label: 'band.jam' },
    { upTo: 20, color: [255, 145, 0, 255], label: 'band.slow' },
    { upTo: 35, color: [255, 215, 64, 255], label: 'band.busy' },
    { upTo: Infinity, color: [61, 220, 132, 255], label: 'band.free' },
  ],
};

/** Share of beds free at a health facility. */
export const BEDS_SCALE: Scale = {
  id: 'beds',
  title: 'legend.beds',
  digits: 0,
  legendFactor: 100,
  bands: [
    { upTo: 0.1, color: [255, 23, 68, 255], label: 'band.bedsCritical' },
    { upTo: 0.3, color: [255, 179, 0, 255], label: 'band.bedsLow' },
    { upTo: Infinity, color: [61, 220, 132, 255], label: 'band.bedsOk' },
  ],
};

/** Average wait at a public-service centre, minutes. */
export const QUEUE_SCALE: Scale = {
  id: 'queue',
  title: 'legend.queue',
  digits: 0,
  bands: [
    { upTo: 10, color: [61, 220, 132, 255], label: 'band.short' },
    { upTo: 20, color: [255, 235, 59, 255], label: 'band.medium' },
    { upTo: 30, color: [255, 145, 0, 255], label: 'band.long' },
    { upTo: Infinity, color: [255, 23, 68, 255], label: 'band.veryLong' },
  ],
};

/** Scales in the order the legend shows them. */
export const LEGEND_SCALES: readonly Scale[] = [
  PM25_SCALE,
  NOISE_SCALE,
  WATER_SCALE,
  TRAFFIC_SCALE,
  BEDS_SCALE,
  QUEUE_SCALE,
];

export const UNKNOWN_COLOR: Rgba = [144, 164, 174, 255];
export const STALE_LINE: Rgba = [150, 160, 175, 235];
export const OK_LINE: Rgba = [255, 255, 255, 210];
export const ALERT_COLOR: Rgba = [255, 23, 68, 255];
export const TRANSPARENT: Rgba = [0, 0, 0, 0];
export const BUS_COLOR: Rgba = [255, 196, 0, 255];
export const AMBULANCE_COLOR: Rgba = [255, 82, 82, 255];
export const OTHER_COLOR: Rgba = [129, 212, 250, 255];

/** The band a value falls in (NaN falls in none). */
export function bandOf(bands: readonly Band[], value: number): Band | undefined {
  if (Number.isNaN(value)) return undefined;
  for (const band of bands) if (value <= band.upTo) return band;
  return undefined;
}

/** The colour for a value on a band scale, or the neutral colour when it has no reading. */
export function colorOf(bands: readonly Band[], value: number | undefined): Rgba {
  if (value === undefined) return UNKNOWN_COLOR;
  return bandOf(bands, value)?.color ?? UNKNOWN_COLOR;
}

// The zoomed-out map: one disc per cluster (sized by its count, coloured by the worst status inside) with
// the count written on it, lone entities as small discs, and a pulsing ring around every cluster in alert.
import type { Layer } from '@deck.gl/core';
import { ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import { ALERT_COLOR } from '../state/scales.js';
import { STATUS_ALERT, STATUS_OK, STATUS_STALE, type ClusterSet } from './clusters.js';

/** Layer ids: picking tells a cluster from an entity by them. */
export const CLUSTER_LAYER_ID = 'clusters';
export const CLUSTER_COUNT_LAYER_ID = 'cluster-counts';

/** Fill per status rank: calm teal when all is well, grey when something is silent, alert red. */
const FILL: Record<number, [number, number, number, number]> = {
  [STATUS_OK]: [0, 150, 136, 235],
  [STATUS_STALE]: [110, 122, 140, 235],
  [STATUS_ALERT]: [ALERT_COLOR[0], ALERT_COLOR[1], ALERT_COLOR[2], 245],
};
/** Lone-entity radius, and a cluster's radius for 2 entities and per decade of count beyond (px at scale 1). */
const LONE_RADIUS_PX = 6;
const CLUSTER_BASE_PX = 16;
const CLUSTER_PER_DECADE_PX = 7;
const COUNT_FONT_PX = 14;
const FONT_FAMILY = '"Inter", "Noto Sans", "Segoe UI", "DejaVu Sans", Roboto, Arial, sans-serif';

/** Radius (px at marker scale 1) of an item holding `count` entities: grows with the log of the count, so 100 k stays on screen. */
export function clusterRadiusPx(count: number): number {
  return count <= 1 ? LONE_RADIUS_PX : CLUSTER_BASE_PX + CLUSTER_PER_DECADE_PX * Math.log10(count);
}

interface BinaryData {
  length: number;
  attributes: Record<string, { value: Float32Array | Uint8Array; size: number; normalized?: boolean }>;
}

interface Columns {
  set: ClusterSet;
  /** Indices of real clusters (count > 1): only they get a label. */
  labelled: number[];
  /** deck.gl binary data, kept by reference between frames: a new object would make deck.gl re-upload. */
  discData: BinaryData;
  ringData: BinaryData;
  labels: string[];
  locale: string;
}

/** Builds deck.gl columns once per cluster set (and language), so frames in between re-upload nothing. */
export class ClusterLayerBuilder {
  private columns: Columns | undefined;

  /** The layers for one frame. `pulse` is the alert ring's phase (0..1). */
  build(set: ClusterSet, ctx: { markerScale: number; pulse: number; locale: string }): Layer[] {
    const c = this.columnsFor(set, ctx.locale);
    const layers: Layer[] = [
      new ScatterplotLayer({
        id: CLUSTER_LAYER_ID,
        data: c.discData,
        pickable: true,
        stroked: true,
        filled: true,
        radiusUnits: 'pixels',
        radiusScale: ctx.markerScale,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
        lineWidthScale: ctx.markerScale,
        getLineColor: [255, 255, 255, 230],
      }),
      new TextLayer<number>({
        id: CLUSTER_COUNT_LAYER_ID,
        data: c.labelled,
        getPosition: (i) => [set.positions[i * 2] ?? 0, set.positions[i * 2 + 1] ?? 0],
        getText: (i) => c.labels[i] ?? '',
        getSize: (i) => COUNT_FONT_PX + 1.5 * Math.log10(set.counts[i] ?? 1),
        sizeScale: ctx.markerScale,
        getColor: [255, 255, 255, 255],
        fontFamily: FONT_FAMILY,
        fontWeight: 700,
        // Digits and the separators and suffixes of compact numbers in both languages ("1,2 N", "12K").
        characterSet: '0123456789.,  KMNTrtiệu',
        fontSettings: { sdf: true, fontSize: 64, buffer: 8 },
        outlineWidth: 2,
        outlineColor: [7, 13, 22, 220],
        updateTriggers: { getText: [c.locale, c.labelled], getPosition: c.labelled, getSize: c.labelled },
      }),
    ];
    if (c.ringData.length > 0) {
      layers.push(
        new ScatterplotLayer({
          id: 'alert-rings',
          data: c.ringData,
          stroked: true,
          filled: false,
          radiusUnits: 'pixels',
          lineWidthUnits: 'pixels',
          // Each ring starts just outside its disc and grows by 60 % over a pulse; the data stays untouched.
          radiusScale: ctx.markerScale * (1 + 0.6 * ctx.pulse),
          getLineWidth: 3,
          lineWidthScale: ctx.markerScale,
          getLineColor: [ALERT_COLOR[0], ALERT_COLOR[1], ALERT_COLOR[2], 255],
          opacity: 0.9 * (1 - ctx.pulse) + 0.1,
        }),
      );
    }
    return layers;
  }

  private columnsFor(set: ClusterSet, locale: string): Columns {
    const previous = this.columns;
    if (previous && previous.set === set && previous.locale === locale) return previous;
    if (previous && previous.set === set) {
      const next = { ...previous, locale, labels: labelsOf(set, previous.labelled, locale) };
      this.columns = next;
      return next;
    }
    const fill = new Uint8Array(set.length * 4);
    const radius = new Float32Array(set.length);
    const labelled: number[] = [];
    let alertCount = 0;
    for (let i = 0; i < set.length; i++) {
      const worst = set.worst[i] ?? STATUS_OK;
      fill.set(FILL[worst] ?? (FILL[STATUS_OK] as number[]), i * 4);
      const count = set.counts[i] ?? 1;
      radius[i] = clusterRadiusPx(count);
      if (count > 1) labelled.push(i);
      if (worst === STATUS_ALERT) alertCount++;
    }
    const alertPositions = new Float32Array(alertCount * 2);
    const alertRadius = new Float32Array(alertCount);
    let n = 0;
    for (let i = 0; i < set.length; i++) {
      if (set.worst[i] !== STATUS_ALERT) continue;
      alertPositions[n * 2] = set.positions[i * 2] ?? 0;
      alertPositions[n * 2 + 1] = set.positions[i * 2 + 1] ?? 0;
      alertRadius[n] = (radius[i] ?? LONE_RADIUS_PX) + 6;
      n++;
    }
    const next: Columns = {
      set,
      labelled,
      discData: {
        length: set.length,
        attributes: {
          getPosition: { value: set.positions, size: 2 },
          getFillColor: { value: fill, size: 4, normalized: true },
          getRadius: { value: radius, size: 1 },
        },
      },
      ringData: {
        length: alertCount,
        attributes: { getPosition: { value: alertPositions, size: 2 }, getRadius: { value: alertRadius, size: 1 } },
      },
      labels: labelsOf(set, labelled, locale),
      locale,
    };
    this.columns = next;
    return next;
  }
}

const formats = new Map<string, { exact: Intl.NumberFormat; compact: Intl.NumberFormat }>();
/** A count as operators read it at a glance: exact below 10 000 ("2.000" / "2,000"), compact above ("12 N" / "12K"). */
export function formatClusterCount(count: number, locale: string): string {
  let format = formats.get(locale);
  if (!format) {
    format = {
      exact: new Intl.NumberFormat(locale),
      compact: new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }),
    };
    formats.set(locale, format);
  }
  return (count < 10_000 ? format.exact : format.compact).format(count);
}

function labelsOf(set: ClusterSet, labelled: readonly number[], locale: string): string[] {
  const labels = new Array<string>(set.length);
  for (const i of labelled) labels[i] = formatClusterCount(set.counts[i] ?? 0, locale);
  return labels;
}

import { ScatterplotLayer } from '@deck.gl/layers';
import type { Layer } from '@deck.gl/core';
import { observable } from '../state/observable.js';

/** One open citizen report as the map draws it. */
export interface ReportPoint {
  id: string;
  lat: number;
  lon: number;
  /** Past its deadline and still open: drawn red with a thick ring, above the others. */
  overdue: boolean;
  /** Someone is on it (in progress): drawn hollow-ish blue. */
  started: boolean;
}

/** The open reports on the map; the reports feature keeps it up to date, the map view redraws on change. */
export const reportPoints = observable<readonly ReportPoint[]>([]);

/** Whether the reports layer is shown. */
export const reportVisibility = observable(true);

const FILL = {
  open: [255, 145, 0, 235],
  started: [41, 121, 255, 235],
  overdue: [255, 23, 68, 255],
} as const;

/**
 * Reports as square-ish discs with a dark outline, distinct from the entity layers' markers; overdue
 * ones red, larger, with a white ring, drawn last so nothing hides them.
 */
export function reportLayers(points: readonly ReportPoint[], markerScale: number): Layer[] {
  if (!reportVisibility.get() || points.length === 0) return [];
  const ordered = [...points].sort((a, b) => Number(a.overdue) - Number(b.overdue));
  return [
    new ScatterplotLayer<ReportPoint>({
      id: 'reports',
      data: ordered,
      getPosition: (p) => [p.lon, p.lat],
      getRadius: (p) => (p.overdue ? 11 : 8) * markerScale,
      radiusUnits: 'pixels',
      stroked: true,
      getLineWidth: (p) => (p.overdue ? 4 : 2) * markerScale,
      lineWidthUnits: 'pixels',
      getFillColor: (p) => [...(p.overdue ? FILL.overdue : p.started ? FILL.started : FILL.open)],
      getLineColor: (p) => (p.overdue ? [255, 255, 255, 255] : [7, 13, 22, 255]),
      updateTriggers: { getRadius: markerScale, getLineWidth: markerScale },
      pickable: false,
    }),
  ];
}

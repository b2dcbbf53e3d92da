import type { FeatureCollection, Geometry } from 'geojson';
import type { MapOptions } from 'maplibre-gl';
import type { ZoneInfo } from '../../contract/api.js';

export type MapStyle = Exclude<MapOptions['style'], string | undefined>;
type LayerSpec = MapStyle['layers'][number];

/** Map colours, also read by the CSS theme so map and panels match. */
export const MAP_COLORS = {
  background: '#060b13',
  neighbourFill: '#0b121d',
  neighbourLine: '#1f2b3d',
  vietnamFill: '#13243b',
  vietnamLine: '#5b8fd0',
  zoneFill: '#3aa0ff',
  zoneLine: '#6cb8ff',
} as const;

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };

/** City zones as GeoJSON features carrying both names, for the zone layers and labels. */
export function zonesToGeoJson(
  zones: readonly ZoneInfo[],
): FeatureCollection<Geometry, { id: string; vi: string; en: string }> {
  return {
    type: 'FeatureCollection',
    features: zones.map((zone) => ({
      type: 'Feature',
      id: zone.id,
      geometry: zone.geometry,
      properties: { id: zone.id, vi: zone.name.vi, en: zone.name.en },
    })),
  };
}

/**
 * The offline basemap: no glyphs, sprites or tiles, only GeoJSON sources we ship or receive from our
 * own server, so the console works on a closed network. Text is drawn by deck.gl, not by symbol layers.
 */
export function offlineStyle(zones: readonly ZoneInfo[]): MapStyle {
  return {
    version: 8,
    sources: {
      countries: { type: 'geojson', data: EMPTY },
      zones: { type: 'geojson', data: zonesToGeoJson(zones) },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': MAP_COLORS.background } },
      {
        id: 'neighbours-fill',
        type: 'fill',
        source: 'countries',
        filter: ['!=', ['get', 'vn'], true],
        paint: { 'fill-color': MAP_COLORS.neighbourFill },
      },
      {
        id: 'neighbours-line',
        type: 'line',
        source: 'countries',
        filter: ['!=', ['get', 'vn'], true],
        paint: { 'line-color': MAP_COLORS.neighbourLine, 'line-width': 1 },
      },
      {
        id: 'vietnam-fill',
        type: 'fill',
        source: 'countries',
        filter: ['==', ['get', 'vn'], true],
        paint: { 'fill-color': MAP_COLORS.vietnamFill },
      },
      {
        id: 'vietnam-line',
        type: 'line',
        source: 'countries',
        filter: ['==', ['get', 'vn'], true],
        paint: {
          'line-color': MAP_COLORS.vietnamLine,
          'line-width': ['interpolate', ['linear'], ['zoom'], 4, 1, 10, 2.5],
        },
      },
      ...ZONE_LAYERS,
    ],
  };
}

/** The city zones drawn over any basemap (source `zones`). */
export const ZONE_LAYERS: readonly LayerSpec[] = [
  {
    id: 'zones-fill',
    type: 'fill',
    source: 'zones',
    paint: { 'fill-color': MAP_COLORS.zoneFill, 'fill-opacity': 0.07 },
  },
  {
    id: 'zones-line',
    type: 'line',
    source: 'zones',
    paint: {
      'line-color': MAP_COLORS.zoneLine,
      'line-opacity': 0.75,
      'line-width': 1.5,
      'line-dasharray': [3, 2],
    },
  },
];

/** Label anchor of a zone: the area-weighted centroid of its largest ring. */
export function zoneLabelPoint(geometry: ZoneInfo['geometry']): [number, number] {
  const rings =
    geometry.type === 'Polygon' ? [geometry.coordinates[0] ?? []] : geometry.coordinates.map((p) => p[0] ?? []);
  let best: [number, number] = [0, 0];
  let bestArea = -1;
  for (const ring of rings) {
    let area = 0;
    let cx = 0;
    let cy = 0;
    for (let i = 0; i < ring.length - 1; i++) {
      const [x0 = 0, y0 = 0] = ring[i] ?? [];
      const [x1 = 0, y1 = 0] = ring[i + 1] ?? [];
      const cross = x0 * y1 - x1 * y0;
      area += cross;
      cx += (x0 + x1) * cross;
      cy += (y0 + y1) * cross;
    }
    if (Math.abs(area) > bestArea && area !== 0) {
      bestArea = Math.abs(area);
      best = [cx / (3 * area), cy / (3 * area)];
    }
  }
  if (bestArea < 0) {
    const first = rings[0]?.[0];
    return [first?.[0] ?? 0, first?.[1] ?? 0];
  }
  return best;
}

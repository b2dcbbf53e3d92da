import type { MapStyle } from './base-style.js';

type LayerSpec = MapStyle['layers'][number];
type SourceSpec = MapStyle['sources'][string];

/** Where basemap layers go: under the city zones, over the offline country outlines (which show where tiles are missing). */
export const BASEMAP_BEFORE_LAYER = 'zones-fill';
export const BASEMAP_SOURCE = 'basemap';

/** Dark theme colours for vector basemaps, matched to the offline map and the panels. */
const VECTOR_COLORS = {
  land: '#0f1a2a',
  green: '#0f2722',
  water: '#0a2747',
  waterway: '#164a7a',
  building: '#1a283b',
  road: '#34485f',
  majorRoad: '#4a6280',
  boundary: '#5b8fd0',
} as const;

type VectorClass = 'land' | 'green' | 'water' | 'building' | 'road' | 'boundary';

/** Paint order, bottom to top. */
const CLASS_ORDER: readonly VectorClass[] = ['land', 'green', 'water', 'building', 'road', 'boundary'];

/** Recognises the usual layer names of Protomaps, OpenMapTiles and Shortbread schemas. */
export function classifyVectorLayer(id: string): VectorClass | null {
  const name = id.toLowerCase();
  if (/^(earth|land)$/.test(name)) return 'land';
  if (/water|ocean|sea|lake|river/.test(name)) return 'water';
  if (/building/.test(name)) return 'building';
  if (/road|street|transport|highway|rail|transit|bridge|tunnel/.test(name)) return 'road';
  if (/boundar|admin/.test(name)) return 'boundary';
  if (/park|landcover|landuse|natural|wood|forest|green|grass|land/.test(name)) return 'green';
  return null;
}

type Filter = NonNullable<Extract<LayerSpec, { type: 'fill' }>['filter']>;
const POLYGONS: Filter = ['match', ['geometry-type'], ['Polygon', 'MultiPolygon'], true, false];
const LINES: Filter = ['match', ['geometry-type'], ['LineString', 'MultiLineString'], true, false];

function layersFor(vectorLayer: string, kind: VectorClass): LayerSpec[] {
  const base = { source: BASEMAP_SOURCE, 'source-layer': vectorLayer };
  const id = (suffix: string) => `basemap-${vectorLayer}-${suffix}`;
  switch (kind) {
    case 'land':
      return [{ ...base, id: id('fill'), type: 'fill', filter: POLYGONS, paint: { 'fill-color': VECTOR_COLORS.land } }];
    case 'green':
      return [
        {
          ...base,
          id: id('fill'),
          type: 'fill',
          filter: POLYGONS,
          paint: { 'fill-color': VECTOR_COLORS.green, 'fill-opacity': 0.7 },
        },
      ];
    case 'water':
      return [
        { ...base, id: id('fill'), type: 'fill', filter: POLYGONS, paint: { 'fill-color': VECTOR_COLORS.water } },
        {
          ...base,
          id: id('line'),
          type: 'line',
          filter: LINES,
          paint: {
            'line-color': VECTOR_COLORS.waterway,
            'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.5, 16, 3],
          },
        },
      ];
    case 'building':
      return [
        {
          ...base,
          id: id('fill'),
          type: 'fill',
          minzoom: 13,
          filter: POLYGONS,
          paint: { 'fill-color': VECTOR_COLORS.building, 'fill-opacity': 0.9 },
        },
      ];
    case 'road':
      return [
        {
          ...base,
          id: id('line'),
          type: 'line',
          filter: LINES,
          layout: { 'line-cap': 'round', 'line-join': 'round' },
          paint: {
            'line-color': ['interpolate', ['linear'], ['zoom'], 8, VECTOR_COLORS.road, 16, VECTOR_COLORS.majorRoad],
            'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 8, 0.4, 13, 1.2, 18, 10],
          },
        },
      ];
    case 'boundary':
      return [
        {
          ...base,
          id: id('line'),
          type: 'line',
          filter: LINES,
          paint: {
            'line-color': VECTOR_COLORS.boundary,
            'line-width': 1,
            'line-dasharray': [3, 2],
            'line-opacity': 0.6,
          },
        },
      ];
  }
}

/**
 * A dark style for any vector PMTiles archive, from the names of its layers: areas and lines only,
 * since labels would need glyph files (entity and zone labels are drawn by deck.gl instead).
 */
export function vectorBasemapLayers(vectorLayerIds: readonly string[]): LayerSpec[] {
  const classified = vectorLayerIds
    .map((id) => ({ id, kind: classifyVectorLayer(id) }))
    .filter((entry): entry is { id: string; kind: VectorClass } => entry.kind !== null);
  classified.sort((a, b) => CLASS_ORDER.indexOf(a.kind) - CLASS_ORDER.indexOf(b.kind));
  return classified.flatMap(({ id, kind }) => layersFor(id, kind));
}

/** One raster layer over the whole source. */
export function rasterBasemapLayers(): LayerSpec[] {
  return [{ id: 'basemap-raster', type: 'raster', source: BASEMAP_SOURCE, paint: { 'raster-fade-duration': 0 } }];
}

/** The source for a PMTiles archive read through the pmtiles:// protocol. */
export function pmtilesSource(absoluteUrl: string, vector: boolean, attribution?: string): SourceSpec {
  const url = `pmtiles://${absoluteUrl}`;
  const credit = attribution !== undefined ? { attribution } : {};
  return vector ? { type: 'vector', url, ...credit } : { type: 'raster', url, tileSize: 256, ...credit };
}

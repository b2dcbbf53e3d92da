import { describe, expect, it } from 'vitest';
import {
  BASEMAP_SOURCE,
  classifyVectorLayer,
  pmtilesSource,
  vectorBasemapLayers,
} from '../../../client/map/basemap-style.js';

describe('vector basemap style', () => {
  it('recognises the layer names of the common tile schemas', () => {
    // Protomaps basemap
    expect(
      ['earth', 'landuse', 'water', 'roads', 'buildings', 'boundaries', 'places', 'pois'].map(classifyVectorLayer),
    ).toEqual(['land', 'green', 'water', 'road', 'building', 'boundary', null, null]);
    // OpenMapTiles
    expect(
      ['waterway', 'landcover', 'park', 'transportation', 'building', 'boundary', 'place', 'housenumber'].map(
        classifyVectorLayer,
      ),
    ).toEqual(['water', 'green', 'green', 'road', 'building', 'boundary', null, null]);
  });

  it('paints land first and boundaries last, areas and lines only, from the archive source', () => {
    const layers = vectorBasemapLayers(['roads', 'places', 'water', 'earth', 'boundaries']);
    expect(layers.map((l) => l.id)).toEqual([
      'basemap-earth-fill',
      'basemap-water-fill',
      'basemap-water-line',
      'basemap-roads-line',
      'basemap-boundaries-line',
    ]);
    for (const layer of layers) {
      expect(layer).toMatchObject({ source: BASEMAP_SOURCE });
      expect(['fill', 'line']).toContain(layer.type);
    }
    expect(vectorBasemapLayers(['pois', 'places'])).toEqual([]);
  });

  it('reads archives through the pmtiles protocol, raster tiles at 256 px', () => {
    expect(pmtilesSource('http://127.0.0.1:8080/basemap/city.pmtiles', true, '© OSM')).toEqual({
      type: 'vector',
      url: 'pmtiles://http://127.0.0.1:8080/basemap/city.pmtiles',
      attribution: '© OSM',
    });
    expect(pmtilesSource('https://x/y.pmtiles', false)).toEqual({
      type: 'raster',
      url: 'pmtiles://https://x/y.pmtiles',
      tileSize: 256,
    });
  });
});

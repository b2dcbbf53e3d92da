import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { createZoneLookup } from '../../server/alerts/start-alerts.js';
import { createSimulator } from '../../simulator/index.js';

const square = (lon: number, lat: number, d: number) => [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]];

function wardsFile(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ioc-zones-')), 'wards.geojson');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('map.zonesFile', () => {
  const collection = {
    type: 'FeatureCollection',
    features: [
      { type: 'Feature', properties: { id: 'tran-phu', name_vi: 'Phường Trần Phú', name_en: 'Tran Phu Ward' }, geometry: { type: 'Polygon', coordinates: square(106.19, 21.27, 0.01) } },
      { type: 'Feature', properties: { id: 7, name: 'Xã Song Khê', population: 9000 }, geometry: { type: 'MultiPolygon', coordinates: [square(106.25, 21.3, 0.01)] } },
    ],
  };

  it('adds real ward boundaries to the zones, and positions group by them', () => {
    const config = loadConfig({ noFile: true, env: {}, overrides: { map: { zonesFile: wardsFile(collection) } } });
    expect(config.map.zones.map((z) => [z.id, z.name])).toEqual([
      ['tran-phu', { vi: 'Phường Trần Phú', en: 'Tran Phu Ward' }],
      ['7', { vi: 'Xã Song Khê', en: 'Xã Song Khê' }],
    ]);
    const zoneOf = createZoneLookup(config);
    expect(zoneOf(21.275, 106.195)).toBe('tran-phu');
    expect(zoneOf(21.305, 106.255)).toBe('7');
    expect(zoneOf(21.0, 106.0)).toBe('city');
  });

  it('is also read from IOC_MAP_ZONES_FILE', () => {
    const config = loadConfig({ noFile: true, env: { IOC_MAP_ZONES_FILE: wardsFile(collection) } });
    expect(config.map.zones).toHaveLength(2);
  });

  it('refuses a file that is not a collection of ward polygons, naming the key and the fault', () => {
    expect(() => loadConfig({ noFile: true, env: {}, overrides: { map: { zonesFile: wardsFile('{') } } })).toThrow(/map\.zonesFile .* cannot be read as JSON/);
    const point = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'a', name: 'A' }, geometry: { type: 'Point', coordinates: [1, 2] } }] };
    expect(() => loadConfig({ noFile: true, env: {}, overrides: { map: { zonesFile: wardsFile(point) } } })).toThrow(/map\.zonesFile .* is not a FeatureCollection of ward polygons: features\.0\.geometry/);
    const twice = { ...collection, features: [collection.features[0], collection.features[0]] };
    expect(() => loadConfig({ noFile: true, env: {}, overrides: { map: { zonesFile: wardsFile(twice) } } })).toThrow(/zone id "tran-phu" appears twice/);
  });

  it('ships the demo wards of central Bắc Giang: every demo device stands in exactly one and is tagged with it', () => {
    const config = loadConfig({ env: {} });
    expect(config.map.zones.map((z) => z.id)).toEqual(['bac-giang', 'da-mai', 'tan-tien', 'tien-phong', 'canh-thuy', 'yen-dung', 'tan-an']);
    expect(config.map.zones.every((z) => z.name.vi.startsWith('Phường '))).toBe(true);
    const wards = config.map.zones.map((z) => ({ name: z.name.vi, geometry: z.geometry }));
    // A high rate adds the synthetic sensors too, scattered furthest from the centre.
    const sim = createSimulator({ rate: 5000, httpShare: 0, seed: 7, transport: { publish: () => undefined }, wards });
    const zoneOf = createZoneLookup(config);
    const misplaced = sim
      .entities()
      .filter((e) => {
        const inside = config.map.zones.filter((z) => createZoneLookup({ ...config, map: { ...config.map, zones: [z] } })(e.lat, e.lon) === z.id);
        const tagged = config.map.zones.find((z) => z.name.vi === e.tags.ward)?.id;
        return inside.length !== 1 || tagged !== zoneOf(e.lat, e.lon);
      })
      .map((e) => `${e.id} ${e.lat},${e.lon} ${e.tags.ward ?? '(no ward)'}`);
    expect(misplaced).toEqual([]);
    expect(new Set(sim.entities().map((e) => e.tags.ward))).toEqual(new Set(['Phường Bắc Giang', 'Phường Đa Mai', 'Phường Tân Tiến', 'Phường Cảnh Thụy']));
  });
});

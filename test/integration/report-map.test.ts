import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../support/ioc.js';

/*
 * The public report page's place picker map: anyone may read it, and it holds the centre, zoom,
 * ward outlines and basemap, never the city's entities, rules or settings.
 */

const WARD = {
  id: 'da-mai',
  name: { vi: 'Phường Đa Mai', en: 'Da Mai ward' },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [106.17, 21.26],
        [106.2, 21.26],
        [106.2, 21.28],
        [106.17, 21.28],
        [106.17, 21.26],
      ],
    ],
  },
};
const INGEST_TOKEN = 'ingest-secret-token-123';
const RULE = {
  id: 'pm-high-map',
  name: 'PM2.5 high (map)',
  domain: 'sensor',
  match: { ids: ['s-1'] },
  condition: { field: 'pm25', op: '>', value: 100, clear: 80 },
  severity: 'critical',
};

describe('the report place picker map', () => {
  let product: TestIoc;

  beforeAll(async () => {
    product = await startTestIoc({
      mqtt: { port: 0 },
      map: { center: [106.185, 21.27], zoom: 14, zones: [WARD], tileUrl: 'https://tiles.example/{z}/{x}/{y}.png' },
      ingest: { tokens: [INGEST_TOKEN] },
      rules: [RULE],
    });
    // An entity in the city, which the map must not carry.
    const ingest = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
      body: JSON.stringify({ domain: 'sensor', id: 's-1', lat: 21.27, lon: 106.18, fields: { pm25: 12 } }),
    });
    expect(ingest.status).toBeLessThan(300);
  });

  afterAll(async () => {
    await product?.stop();
  });

  it('answers without an identity: centre, zoom, wards and basemap, nothing more', async () => {
    const res = await fetch(`${product.baseUrl}/api/v1/reports/map`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['basemap', 'center', 'wards', 'zoom']);
    expect(body.center).toEqual([106.185, 21.27]);
    expect(body.zoom).toBe(14);
    expect(body.wards).toEqual([WARD]);
    expect(body.basemap).toEqual({ kind: 'tiles', url: 'https://tiles.example/{z}/{x}/{y}.png', tileSize: 256, maxZoom: 19 });
    const text = JSON.stringify(body);
    for (const secret of [INGEST_TOKEN, RULE.id, RULE.name, 's-1', 'pm25', 'domains', 'cameras', 'entities'])
      expect(text).not.toContain(secret);
  });

  it('is in the OpenAPI document with its answer schema', async () => {
    const doc = (await (await product.api.fetch('/api/v1/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const op = doc.paths['/api/v1/reports/map']?.get;
    expect(op).toBeDefined();
    expect(JSON.stringify(op?.responses)).toContain('wards');
  });
});

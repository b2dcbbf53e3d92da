import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseCsvStream } from 'csv-parse';
import { Validator } from '@seriousme/openapi-schema-validator';
import express from 'express';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, Observation } from '../../contract/index.js';
import { silentLogger } from '../../config/logger.js';
import type { AuditLog } from '../../server/audit/audit-log.js';
import { setIdentity } from '../../server/auth/request.js';
import { createExportRouter, EXPORT_ROUTES } from '../../server/export/routes.js';
import { errorHandler } from '../../server/http/errors.js';
import { buildOpenApi } from '../../server/http/openapi.js';
import { EmbeddedStore } from '../../server/store/embedded.js';
import type { TelemetryStore } from '../../server/store/types.js';
import { waitFor } from '../support/ports.js';

/** Records entries in memory: enough to check what the route audits. */
function recordingAudit(): AuditLog & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    record: (entry) => entries.push({ ...entry, at: entry.at ?? Date.now() }),
    flush: () => Promise.resolve(),
    query: () => Promise.resolve([...entries]),
    stats: () => ({ written: entries.length, failed: 0 }),
  };
}

async function startExportApp(store: TelemetryStore, audit: AuditLog) {
  const app = express();
  // Stands in for the central authorizer, which attaches the caller's identity before this router.
  app.use((req, _res, next) => {
    setIdentity(req, { kind: 'session', name: 'ana', displayName: 'Ana', roles: ['analyst'], scopes: [], zones: [] });
    next();
  });
  app.use('/api/v1', createExportRouter({ telemetry: store, audit, logger: silentLogger }));
  app.use(errorHandler(silentLogger));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { server, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);
const T1 = T0 + 60_000;
const NOTE = 'a, "quoted"\nsecond line';
const PLATE = '98A-123.45';

const OBSERVATIONS: Observation[] = [
  { domain: 'sensor', id: 'S-1', ts: T0, lat: 21.27, lon: 106.19, fields: { pm25: 42, note: NOTE } },
  { domain: 'sensor', id: 'S-2', ts: T0 + 1000, lat: 21.3, lon: 106.3, fields: { pm25: 10 } },
  { domain: 'sensor', id: 'S-1', ts: T0 + 2000, lat: 21.27, lon: 106.19, fields: { pm25: 40.5, ok: true } },
  {
    domain: 'traffic',
    id: 'cam-1',
    ts: T0 + 3000,
    lat: 21.28,
    lon: 106.2,
    fields: { plate: PLATE, license_plate: PLATE, speed: 30 },
    tags: { plate: PLATE, lane: '2' },
  },
  { domain: 'sensor', id: 'S-3', ts: T0 + 4000, fields: { level: 1.5 } },
  // Outside the window on both sides.
  { domain: 'sensor', id: 'S-1', ts: T0 - 1, lat: 21.27, lon: 106.19, fields: { pm25: 1 } },
  { domain: 'sensor', id: 'S-1', ts: T1 + 1, lat: 21.27, lon: 106.19, fields: { pm25: 2 } },
];

/** A full collection, for heap figures that are not just uncollected garbage (vitest runs without --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const FILE_WINDOW = '20261101T080000Z-20261101T080100Z';

describe('GET /api/v1/export', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-export-'));
  const store = new EmbeddedStore({ dataDir: dir });
  const audit = recordingAudit();
  let app: Awaited<ReturnType<typeof startExportApp>>;
  const url = (query: string) => `${app.base}/api/v1/export?from=${T0}&to=${T1}&${query}`;

  beforeAll(async () => {
    await store.init();
    store.write(OBSERVATIONS);
    await store.flush();
    app = await startExportApp(store, audit);
  });

  afterAll(async () => {
    await app?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is listed for the catalog as a history.read route with its query schema', () => {
    expect(EXPORT_ROUTES).toEqual([
      expect.objectContaining({
        method: 'get',
        path: '/api/v1/export',
        access: 'history.read',
        tag: 'export',
        produces: 'text/csv',
      }),
    ]);
  });

  it('its OpenAPI document (made from the catalog entry) is valid and names the query keys', async () => {
    const document = buildOpenApi(EXPORT_ROUTES, { version: 'test' });
    const result = await new Validator().validate(document);
    expect(result.valid, JSON.stringify(result.errors)).toBe(true);
    const paths = document.paths as Record<
      string,
      { get: { parameters: { name: string; required: boolean; schema: { enum?: string[] } }[] } }
    >;
    const parameters = paths['/api/v1/export']!.get.parameters;
    expect(parameters.map((p) => [p.name, p.required])).toEqual([
      ['format', true],
      ['from', true],
      ['to', true],
      ['domain', false],
      ['ids', false],
      ['bbox', false],
      ['fields', false],
    ]);
    expect(parameters[0]!.schema.enum).toEqual(['csv', 'geojson', 'ndjson', 'parquet']);
  });

  it('CSV: header, RFC 4180 quoting, union of fields without licence plates, audited', async () => {
    const res = await fetch(url('format=csv'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ioc-all-${FILE_WINDOW}.csv"`);
    const text = await res.text();
    expect(text).not.toContain('98A');
    expect(text).toContain('"a, ""quoted""\nsecond line"');
    const records = parseCsv(text);
    expect(records).toEqual([
      ['time', 'domain', 'id', 'lat', 'lon', 'level', 'note', 'ok', 'pm25', 'speed'],
      ['2026-11-01T08:00:00.000Z', 'sensor', 'S-1', '21.27', '106.19', '', NOTE, '', '42', ''],
      ['2026-11-01T08:00:01.000Z', 'sensor', 'S-2', '21.3', '106.3', '', '', '', '10', ''],
      ['2026-11-01T08:00:02.000Z', 'sensor', 'S-1', '21.27', '106.19', '', '', 'true', '40.5', ''],
      ['2026-11-01T08:00:03.000Z', 'traffic', 'cam-1', '21.28', '106.2', '', '', '', '', '30'],
      ['2026-11-01T08:00:04.000Z', 'sensor', 'S-3', '', '', '1.5', '', '', '', ''],
    ]);
    const entry = await waitFor(
      () => audit.entries.find((e) => e.target === 'csv' && e.details.rows === 5),
      'the csv audit entry',
    );
    expect(entry).toMatchObject({
      actor: 'ana',
      action: 'export',
      target: 'csv',
      ip: expect.stringMatching(/127\.0\.0\.1/) as unknown,
    });
    expect(entry.details).toMatchObject({ from: T0, to: T1, rows: 5, complete: true });
  });

  it('CSV: domain, ids, bbox and fields filter rows and columns', async () => {
    const res = await fetch(
      url('format=csv&domain=sensor&ids=S-1,S-2,S-3&bbox=106.1,21.2,106.25,21.29&fields=pm25,note'),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ioc-sensor-${FILE_WINDOW}.csv"`);
    expect(parseCsv(await res.text())).toEqual([
      ['time', 'domain', 'id', 'lat', 'lon', 'pm25', 'note'],
      ['2026-11-01T08:00:00.000Z', 'sensor', 'S-1', '21.27', '106.19', '42', NOTE],
      ['2026-11-01T08:00:02.000Z', 'sensor', 'S-1', '21.27', '106.19', '40.5', ''],
    ]);
    const entry = await waitFor(
      () => audit.entries.find((e) => e.details.domain === 'sensor' && e.target === 'csv'),
      'the filtered audit entry',
    );
    expect(entry.details).toMatchObject({
      domain: 'sensor',
      ids: ['S-1', 'S-2', 'S-3'],
      bbox: [106.1, 21.2, 106.25, 21.29],
      fields: ['pm25', 'note'],
      rows: 2,
    });
  });

  it('CSV: a narrower window keeps only what lies in it', async () => {
    const res = await fetch(`${app.base}/api/v1/export?format=csv&from=${T0 + 1000}&to=${T0 + 3000}&fields=pm25`);
    const records = parseCsv(await res.text());
    expect(records.slice(1).map((r) => [r[0], r[2], r[5]])).toEqual([
      ['2026-11-01T08:00:01.000Z', 'S-2', '10'],
      ['2026-11-01T08:00:02.000Z', 'S-1', '40.5'],
      ['2026-11-01T08:00:03.000Z', 'cam-1', ''],
    ]);
  });

  it('GeoJSON: one Point feature per observation with a position', async () => {
    const res = await fetch(url('format=geojson'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ioc-all-${FILE_WINDOW}.geojson"`);
    const text = await res.text();
    expect(text).not.toContain('98A');
    const collection = JSON.parse(text) as { type: string; features: unknown[] };
    expect(collection.type).toBe('FeatureCollection');
    expect(collection.features).toEqual([
      feature(106.19, 21.27, 'sensor', 'S-1', '2026-11-01T08:00:00.000Z', { pm25: 42, note: NOTE }),
      feature(106.3, 21.3, 'sensor', 'S-2', '2026-11-01T08:00:01.000Z', { pm25: 10 }),
      feature(106.19, 21.27, 'sensor', 'S-1', '2026-11-01T08:00:02.000Z', { pm25: 40.5, ok: true }),
      feature(106.2, 21.28, 'traffic', 'cam-1', '2026-11-01T08:00:03.000Z', { speed: 30 }),
    ]);
    await waitFor(
      () => audit.entries.find((e) => e.target === 'geojson' && e.details.rows === 4),
      'the geojson audit entry (4 features)',
    );
  });

  it('GeoJSON: an empty selection is still a valid FeatureCollection', async () => {
    const res = await fetch(url('format=geojson&ids=nobody'));
    expect(JSON.parse(await res.text())).toEqual({ type: 'FeatureCollection', features: [] });
  });

  it('NDJSON: one wire Observation per line, plates gone from fields and tags', async () => {
    const res = await fetch(url('format=ndjson&domain=traffic'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ioc-traffic-${FILE_WINDOW}.ndjson"`);
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      {
        domain: 'traffic',
        id: 'cam-1',
        ts: T0 + 3000,
        lat: 21.28,
        lon: 106.2,
        fields: { speed: 30 },
        tags: { lane: '2' },
      },
    ]);

    const all = (await (await fetch(url('format=ndjson'))).text()).trim().split('\n');
    expect(all.map((line) => (JSON.parse(line) as Observation).ts)).toEqual([
      T0,
      T0 + 1000,
      T0 + 2000,
      T0 + 3000,
      T0 + 4000,
    ]);
    expect(JSON.parse(all[4]!)).toEqual({ domain: 'sensor', id: 'S-3', ts: T0 + 4000, fields: { level: 1.5 } });
  });

  it('Parquet: readable by an independent reader, typed columns, no plates', async () => {
    const res = await fetch(url('format=parquet'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ioc-all-${FILE_WINDOW}.parquet"`);
    const file = await res.arrayBuffer();
    const metadata = parquetMetadata(file);
    expect(metadata.schema.map((s) => s.name)).toEqual([
      'root',
      'time',
      'domain',
      'id',
      'lat',
      'lon',
      'level',
      'note',
      'ok',
      'pm25',
      'speed',
    ]);
    expect(Number(metadata.num_rows)).toBe(5);
    const rows = await parquetReadObjects({ file });
    expect(rows).toEqual([
      parquetRow(T0, 'sensor', 'S-1', 21.27, 106.19, { pm25: 42, note: NOTE }),
      parquetRow(T0 + 1000, 'sensor', 'S-2', 21.3, 106.3, { pm25: 10 }),
      parquetRow(T0 + 2000, 'sensor', 'S-1', 21.27, 106.19, { pm25: 40.5, ok: true }),
      parquetRow(T0 + 3000, 'traffic', 'cam-1', 21.28, 106.2, { speed: 30 }),
      parquetRow(T0 + 4000, 'sensor', 'S-3', null, null, { level: 1.5 }),
    ]);
    expect(Buffer.from(file).includes('98A')).toBe(false);
  });

  it('Parquet: the Apache Arrow Rust reader (parquet-wasm) reads the same rows with UTC millisecond timestamps', async () => {
    const file = new Uint8Array(await (await fetch(url('format=parquet'))).arrayBuffer());
    const table = tableFromIPC(readParquet(file).intoIPCStream());
    expect(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
      'time:Timestamp<MILLISECOND, UTC>',
      'domain:Utf8',
      'id:Utf8',
      'lat:Float64',
      'lon:Float64',
      'level:Float64',
      'note:Utf8',
      'ok:Bool',
      'pm25:Float64',
      'speed:Float64',
    ]);
    expect(table.toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON())).toEqual(
      [
        parquetRow(T0, 'sensor', 'S-1', 21.27, 106.19, { pm25: 42, note: NOTE }),
        parquetRow(T0 + 1000, 'sensor', 'S-2', 21.3, 106.3, { pm25: 10 }),
        parquetRow(T0 + 2000, 'sensor', 'S-1', 21.27, 106.19, { pm25: 40.5, ok: true }),
        parquetRow(T0 + 3000, 'traffic', 'cam-1', 21.28, 106.2, { speed: 30 }),
        parquetRow(T0 + 4000, 'sensor', 'S-3', null, null, { level: 1.5 }),
      ].map((row) => ({ ...row, time: row.time.getTime() })),
    );
  });

  it('Parquet: an empty selection is a valid file with no rows', async () => {
    const file = await (await fetch(url('format=parquet&ids=nobody'))).arrayBuffer();
    expect(Number(parquetMetadata(file).num_rows)).toBe(0);
    expect(await parquetReadObjects({ file })).toEqual([]);
  });

  it('Parquet: fields and ids select columns and rows', async () => {
    const res = await fetch(url('format=parquet&ids=S-1&fields=ok,pm25'));
    const file = await res.arrayBuffer();
    expect(await parquetReadObjects({ file })).toEqual([
      { time: new Date(T0), domain: 'sensor', id: 'S-1', lat: 21.27, lon: 106.19, ok: null, pm25: 42 },
      { time: new Date(T0 + 2000), domain: 'sensor', id: 'S-1', lat: 21.27, lon: 106.19, ok: true, pm25: 40.5 },
    ]);
  });

  it('CSV and Parquet read the window once: the columns come from the field catalogue, not a pass over the rows', async () => {
    const scans: number[] = [];
    const counting: TelemetryStore = Object.assign(Object.create(store) as TelemetryStore, {
      scan: (options: Parameters<TelemetryStore['scan']>[0]) => {
        scans.push(options.from);
        return store.scan(options);
      },
      fieldKeys: (options: Parameters<TelemetryStore['fieldKeys']>[0]) => store.fieldKeys(options),
    });
    const once = await startExportApp(counting, recordingAudit());
    try {
      const csv = await (await fetch(`${once.base}/api/v1/export?from=${T0}&to=${T1}&format=csv&domain=sensor`)).text();
      expect(parseCsv(csv)[0]).toEqual(['time', 'domain', 'id', 'lat', 'lon', 'level', 'note', 'ok', 'pm25']);
      const parquet = await (
        await fetch(`${once.base}/api/v1/export?from=${T0}&to=${T1}&format=parquet`)
      ).arrayBuffer();
      expect(await parquetReadObjects({ file: parquet })).toHaveLength(5);
      expect(scans).toEqual([T0, T0]);
    } finally {
      await once.close();
    }
  });

  it('answers 400 naming the key for a bad request, and audits nothing for it', async () => {
    const before = audit.entries.length;
    const cases: [string, string][] = [
      [`format=xml&from=${T0}&to=${T1}`, 'format'],
      [`from=${T0}&to=${T1}`, 'format'],
      [`format=csv&from=${T1}&to=${T0}`, 'to'],
      [`format=csv&from=${T0}&to=${T0}`, 'to'],
      [`format=csv&from=${T0}&to=${T0 + 367 * 86_400_000}`, 'to'],
      [`format=csv&from=${T0}&to=${T1}&fields=pm25,plate`, 'fields'],
      [`format=csv&from=${T0}&to=${T1}&bbox=1,2,3`, 'bbox'],
      [`format=csv&from=${T0}&to=${T1}&ids=bad id`, 'ids'],
      [`format=csv&from=${T0}&to=${T1}&domain=Bad`, 'domain'],
      [`format=csv&from=${T0}&to=${T1}&colour=red`, 'colour'],
      [`format=csv&to=${T1}`, 'from'],
    ];
    for (const [query, key] of cases) {
      const res = await fetch(`${app.base}/api/v1/export?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; issues: { path: string }[] } };
      expect(body.error.code).toBe('bad_request');
      expect(body.error.message, query).toContain(key);
    }
    expect(audit.entries.length).toBe(before);
  });
});

function feature(lon: number, lat: number, domain: string, id: string, time: string, fields: Record<string, unknown>) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: { domain, id, time, fields },
  };
}

function parquetRow(
  ts: number,
  domain: string,
  id: string,
  lat: number | null,
  lon: number | null,
  fields: Record<string, unknown>,
) {
  return {
    time: new Date(ts),
    domain,
    id,
    lat,
    lon,
    level: null,
    note: null,
    ok: null,
    pm25: null,
    speed: null,
    ...fields,
  };
}

describe('GET /api/v1/export, integer fields', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-export-int-'));
  const store = new EmbeddedStore({ dataDir: dir });
  let app: Awaited<ReturnType<typeof startExportApp>>;
  const url = (query: string) => `${app.base}/api/v1/export?from=${T0}&to=${T1}&domain=meter&${query}`;
  // As ingest admits them into an integer field: the nearest double in `fields`, the exact text in `integers`.
  const METER: Observation[] = [
    { domain: 'meter', id: 'M-1', ts: T0, fields: { wh: 2 ** 63, volts: 229.5 }, integers: { wh: '9223372036854775807' } },
    { domain: 'meter', id: 'M-1', ts: T0 + 1000, fields: { wh: -(2 ** 63) }, integers: { wh: '-9223372036854775808' } },
    { domain: 'meter', id: 'M-2', ts: T0 + 2000, fields: { wh: 42 }, integers: { wh: '42' } },
  ];

  beforeAll(async () => {
    await store.init();
    store.write(METER);
    await store.flush();
    app = await startExportApp(store, recordingAudit());
  });

  afterAll(async () => {
    await app?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CSV writes int64 extremes exactly', async () => {
    const rows = parseCsv<Record<string, string>>(await (await fetch(url('format=csv'))).text(), { columns: true });
    expect(rows.map((r) => r.wh)).toEqual(['9223372036854775807', '-9223372036854775808', '42']);
    expect(rows[0]?.volts).toBe('229.5');
  });

  it('NDJSON carries the exact text beside the value, as the wire observation does', async () => {
    const lines = (await (await fetch(url('format=ndjson'))).text()).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as Observation).integers)).toEqual([
      { wh: '9223372036854775807' },
      { wh: '-9223372036854775808' },
      { wh: '42' },
    ]);
  });

  it('Parquet types the column INT64 and holds the exact values', async () => {
    const file = await (await fetch(url('format=parquet'))).arrayBuffer();
    const wh = parquetMetadata(file).schema.find((s) => s.name === 'wh');
    expect(wh?.type).toBe('INT64');
    const rows = (await parquetReadObjects({ file })) as { wh: bigint | null }[];
    expect(rows.map((r) => r.wh)).toEqual([9223372036854775807n, -9223372036854775808n, 42n]);
  });
});

describe('GET /api/v1/export, large', () => {
  const ROWS = 200_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-export-large-'));
  const store = new EmbeddedStore({ dataDir: dir });
  const audit = recordingAudit();
  let app: Awaited<ReturnType<typeof startExportApp>>;
  const from = T0;
  const to = T0 + ROWS * 10;

  beforeAll(async () => {
    await store.init();
    for (let start = 0; start < ROWS; start += 10_000) {
      const batch: Observation[] = [];
      for (let i = start; i < start + 10_000; i++) {
        batch.push({
          domain: 'sensor',
          id: `S-${i % 500}`,
          ts: T0 + i * 10,
          lat: 21.2 + (i % 100) / 1000,
          lon: 106.1 + (i % 77) / 1000,
          fields: { pm25: i % 300, noise: 40 + (i % 50) / 10, label: `site ${i % 13}, "north"`, plate: PLATE },
        });
      }
      store.write(batch);
      await store.flush();
    }
    app = await startExportApp(store, audit);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Downloads the whole window as CSV into a file while sampling memory every 100 ms. */
  async function downloadCsv(file: string, sampleLiveHeap: boolean) {
    collectGarbage();
    const baseline = process.memoryUsage();
    const peak = { heap: baseline.heapUsed, live: baseline.heapUsed, rss: baseline.rss };
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak.heap = Math.max(peak.heap, now.heapUsed);
      peak.rss = Math.max(peak.rss, now.rss);
      if (!sampleLiveHeap) return;
      // What is live mid-stream, not garbage awaiting a collection: a constant-memory export keeps this flat.
      collectGarbage();
      peak.live = Math.max(peak.live, process.memoryUsage().heapUsed);
    }, 100);
    const started = performance.now();
    try {
      const res = await fetch(`${app.base}/api/v1/export?format=csv&from=${from}&to=${to}`);
      expect(res.status).toBe(200);
      // The download goes to a file as a browser's would; parsing it here would put the reader's cost into the figures.
      await pipeline(Readable.fromWeb(res.body! as WebReadableStream<Uint8Array>), createWriteStream(file));
    } finally {
      clearInterval(sampler);
    }
    const ms = performance.now() - started;
    const mb = (bytes: number) => bytes / 2 ** 20;
    return {
      ms,
      heapMb: mb(peak.heap - baseline.heapUsed),
      liveMb: mb(peak.live - baseline.heapUsed),
      rssMb: mb(peak.rss - baseline.rss),
    };
  }

  it('streams 200 000 rows as CSV at flat memory; compared with a bare scan', async () => {
    let counted = 0;
    const scanStart = performance.now();
    for await (const chunk of store.scan({ from, to, chunkSize: 5000 })) counted += chunk.length;
    const scanMs = performance.now() - scanStart;
    expect(counted).toBe(ROWS);

    const file = path.join(dir, 'export.csv');
    // First run for throughput (no forced collections), second for the live heap (a full collection every sample).
    const timed = await downloadCsv(file, false);
    const sampled = await downloadCsv(file, true);

    // Counted by an independent streaming parser, never holding the file.
    let records = 0;
    let header: string[] | undefined;
    for await (const record of createReadStream(file).pipe(parseCsvStream()) as AsyncIterable<string[]>) {
      if (header === undefined) header = record;
      else records += 1;
    }
    expect(header).toEqual(['time', 'domain', 'id', 'lat', 'lon', 'label', 'noise', 'pm25']);
    expect(records).toBe(ROWS);

    const exportRate = Math.round(ROWS / (timed.ms / 1000));
    const scanRate = Math.round(ROWS / (scanMs / 1000));
    process.stdout.write(
      `export CSV ${ROWS} rows: ${exportRate} rows/s (${Math.round(timed.ms)} ms, one pass: columns from the field catalogue); ` +
        `bare scan: ${scanRate} rows/s (${Math.round(scanMs)} ms); export/scan = ${(exportRate / scanRate).toFixed(2)}; ` +
        `peak heap growth ${timed.heapMb.toFixed(1)} MB (garbage included), peak RSS growth ${timed.rssMb.toFixed(1)} MB; ` +
        `peak live heap growth ${sampled.liveMb.toFixed(1)} MB (server and downloading client share this process)\n`,
    );
    // The file is ~16 MB of text and the rows as objects well over 100 MB: a live heap that stays a small fraction of
    // that shows nothing accumulates. The peak with garbage is only printed: when V8 collects is its own choice.
    expect(sampled.liveMb).toBeLessThan(50);
    const entries = await waitFor(() => {
      const found = audit.entries.filter((e) => e.target === 'csv' && e.details.rows === ROWS);
      return found.length === 2 ? found : undefined;
    }, 'the audit entries of both large exports');
    expect(entries.every((e) => e.details.complete === true)).toBe(true);
    // Two downloads, one with a forced collection every 100 ms: on a loaded 2-core machine that takes a while.
  }, 180_000);

  it('Parquet: 200 000 rows in row groups of 10 000, read back whole', async () => {
    const res = await fetch(`${app.base}/api/v1/export?format=parquet&from=${from}&to=${to}&fields=pm25,label`);
    expect(res.status).toBe(200);
    const file = await res.arrayBuffer();
    const metadata = parquetMetadata(file);
    expect(Number(metadata.num_rows)).toBe(ROWS);
    expect(metadata.row_groups.length).toBe(ROWS / 10_000);
    const rows = await parquetReadObjects({ file, columns: ['time', 'id', 'pm25', 'label'] });
    expect(rows.length).toBe(ROWS);
    for (const i of [0, 9_999, 10_000, 123_457, ROWS - 1]) {
      expect(rows[i]).toEqual({
        time: new Date(T0 + i * 10),
        id: `S-${i % 500}`,
        pm25: i % 300,
        label: `site ${i % 13}, "north"`,
      });
    }
  });

  it('stops reading when the client goes away, and audits what was sent', async () => {
    const controller = new AbortController();
    const res = await fetch(`${app.base}/api/v1/export?format=ndjson&from=${from}&to=${to}`, {
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const entry = await waitFor(
      () => audit.entries.find((e) => e.target === 'ndjson'),
      'the audit entry of the abandoned export',
      20_000,
    );
    expect(entry.details.complete).toBe(false);
    expect(entry.details.rows as number).toBeLessThan(ROWS);
  });
});

describe('GET /api/v1/export, when the store fails', () => {
  /** A store whose scan yields `chunks` chunks of one observation, then throws. */
  function failingStore(chunks: number): TelemetryStore {
    return {
      kind: 'embedded',
      maxBuffered: 1000,
      init: () => Promise.resolve(),
      write: () => undefined,
      flush: () => Promise.resolve(),
      latest: () => Promise.resolve([]),
      history: () => Promise.resolve([]),
      fieldKeys: () => Promise.resolve([{ domain: 'sensor', field: 'pm25', kind: 'number' }]),
      async *scan() {
        for (let i = 0; i < chunks; i++) {
          await Promise.resolve();
          yield [{ domain: 'sensor', id: `S-${i}`, ts: T0 + i, fields: { pm25: i } }];
        }
        throw new Error('disk gone');
      },
      ping: () => Promise.resolve(),
      stats: () => ({ written: 0, buffered: 0, dropped: 0, failedWrites: 0 }),
      close: () => Promise.resolve(),
    };
  }

  it('before the first byte: a 500 from the error handler, not saved as a file', async () => {
    const audit = recordingAudit();
    const app = await startExportApp(failingStore(0), audit);
    try {
      const res = await fetch(`${app.base}/api/v1/export?format=ndjson&from=${T0}&to=${T1}`);
      expect(res.status).toBe(500);
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal');
      expect(audit.entries.map((e) => e.details)).toMatchObject([{ rows: 0, complete: false }]);
    } finally {
      await app.close();
    }
  });

  it('mid-stream: the connection is cut so the download fails instead of ending short', async () => {
    const audit = recordingAudit();
    const app = await startExportApp(failingStore(3), audit);
    try {
      // Headers and the first lines may or may not have left before the cut: either way the download fails.
      const outcome = await fetch(`${app.base}/api/v1/export?format=ndjson&from=${T0}&to=${T1}`)
        .then((res) => res.text())
        .then(
          () => 'complete',
          () => 'failed',
        );
      expect(outcome).toBe('failed');
      const entry = await waitFor(() => audit.entries[0], 'the audit entry of the failed export');
      expect(entry.details).toMatchObject({ rows: 3, complete: false });
    } finally {
      await app.close();
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleConfig } from '../../contract/index.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { buildPmtiles, solidPng } from '../support/pmtiles-fixture.js';

// The product serves a local PMTiles archive the way browsers read it (HTTP range requests), tells the console
// about it, and refuses to start with a file that is missing or not an archive.

describe('local PMTiles basemap', () => {
  let dir: string;
  let archive: Buffer;
  let ioc: TestIoc;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ioc-basemap-'));
    archive = buildPmtiles({
      tileType: 'png',
      minZoom: 0,
      maxZoom: 8,
      bounds: [105.9, 21.0, 106.5, 21.55],
      tile: () => solidPng([1, 2, 3]),
    });
    writeFileSync(path.join(dir, 'bac giang.pmtiles'), archive);
    writeFileSync(path.join(dir, 'not-an-archive.pmtiles'), 'hello');
    ioc = await startTestIoc({
      mqtt: { port: 0 },
      map: { pmtilesFile: path.join(dir, 'bac giang.pmtiles'), attribution: '© OSM' },
    });
  });

  afterAll(async () => {
    await ioc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the console where the archive is', async () => {
    const config = (await (await ioc.api.fetch(`/api/v1/console-config`)).json()) as ConsoleConfig;
    expect(config.map.basemap).toEqual({ kind: 'pmtiles', url: '/basemap/bac%20giang.pmtiles', attribution: '© OSM' });
    expect(config.map.pmtilesUrl).toBe('/basemap/bac%20giang.pmtiles');
  });

  it('answers range requests with exactly the bytes asked for', async () => {
    const url = `/basemap/bac%20giang.pmtiles`;
    // Public: the citizen report page (no account) reads it under its place picker.
    const anonymous = await fetch(`${ioc.baseUrl}${url}`, { headers: { range: 'bytes=0-126' } });
    expect(anonymous.status).toBe(206);
    expect(Buffer.from(await anonymous.arrayBuffer())).toEqual(archive.subarray(0, 127));
    const head = await ioc.api.fetch(url, { headers: { range: 'bytes=0-126' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-126/${archive.length}`);
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await head.arrayBuffer())).toEqual(archive.subarray(0, 127));
    const tail = await ioc.api.fetch(url, { headers: { range: `bytes=${archive.length - 100}-` } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(archive.subarray(archive.length - 100));
    const whole = await ioc.api.fetch(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('application/vnd.pmtiles');
    expect((await whole.arrayBuffer()).byteLength).toBe(archive.length);
  });

  it('answers 404 with a reason for any other name under /basemap', async () => {
    const response = await ioc.api.fetch(`/basemap/other.pmtiles`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toContain('/basemap/bac giang.pmtiles');
  });

  it('refuses to start with a missing file or a file that is not an archive, naming the key', async () => {
    await expect(
      startTestIoc({ mqtt: { port: 0 }, map: { pmtilesFile: path.join(dir, 'missing.pmtiles') } }),
    ).rejects.toThrow(/map\.pmtilesFile .*missing\.pmtiles.* cannot be opened: ENOENT/);
    await expect(
      startTestIoc({ mqtt: { port: 0 }, map: { pmtilesFile: path.join(dir, 'not-an-archive.pmtiles') } }),
    ).rejects.toThrow(/map\.pmtilesFile .* is not a PMTiles archive\. Point IOC_MAP_PMTILES_FILE/);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/ports.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { buildPmtiles, solidPng, waterAndRoadTile } from '../support/pmtiles-fixture.js';
import { isLocalUrl, launchChromium } from './support/browser.js';
import { decodePng, pixel } from './support/png.js';
import { signInPage } from './support/session.js';

// Tile basemaps in real Chromium: a PMTiles archive (raster and vector) served by the product itself, an XYZ
// tile server, and what the operator sees when the basemap cannot be read.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CENTER: [number, number] = [106.194, 21.273];
const BOUNDS = [105.9, 21.0, 106.5, 21.55] as const;
const RASTER_RGB: [number, number, number] = [200, 30, 160];
const TILE_SERVER_RGB: [number, number, number] = [30, 190, 90];
/** VECTOR_COLORS.water in client/map/basemap-style.ts. */
const WATER_RGB: [number, number, number] = [0x0a, 0x27, 0x47];
/** MAP_COLORS.vietnamFill in client/map/base-style.ts: the offline map at the city. */
const OFFLINE_RGB: [number, number, number] = [0x13, 0x24, 0x3b];
const SENSOR = { id: 'basemap-s1', lat: 21.273, lon: 106.194 };

interface IocHook {
  ready(): boolean;
  project(lon: number, lat: number): [number, number];
  whenIdle(): Promise<void>;
  basemap(): { state: string; detail?: string };
}
interface PageGlobals {
  __ioc: IocHook;
}

function near(actual: readonly number[], expected: readonly number[], tolerance = 4): boolean {
  return expected.every((value, i) => Math.abs((actual[i] ?? -1000) - value) <= tolerance);
}

describe('tile basemaps in Chromium', () => {
  let browser: Browser;
  let fixtureDir: string;
  let tileServer: Server;
  let tileServerUrl: string;
  const tileRequests: string[] = [];
  let tileServerFails = false;
  const running: TestIoc[] = [];

  beforeAll(async () => {
    fixtureDir = mkdtempSync(path.join(tmpdir(), 'ioc-basemap-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(
      path.join(fixtureDir, 'raster.pmtiles'),
      buildPmtiles({ tileType: 'png', minZoom: 0, maxZoom: 12, bounds: BOUNDS, tile: () => solidPng(RASTER_RGB) }),
    );
    writeFileSync(
      path.join(fixtureDir, 'vector.pmtiles'),
      buildPmtiles({
        tileType: 'mvt',
        minZoom: 0,
        maxZoom: 12,
        bounds: BOUNDS,
        tile: () => waterAndRoadTile(),
        metadata: {
          vector_layers: [
            { id: 'water', fields: {} },
            { id: 'roads', fields: {} },
          ],
        },
      }),
    );
    const tilePng = solidPng(TILE_SERVER_RGB);
    tileServer = createServer((req, res) => {
      tileRequests.push(req.url ?? '');
      if (tileServerFails) {
        res.writeHead(503).end('down for maintenance');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png', 'access-control-allow-origin': '*' }).end(tilePng);
    });
    await new Promise<void>((resolve) => tileServer.listen(0, '127.0.0.1', resolve));
    tileServerUrl = `http://127.0.0.1:${(tileServer.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const ioc of running) await ioc.stop();
    await new Promise((resolve) => tileServer?.close(resolve));
    if (fixtureDir) rmSync(fixtureDir, { recursive: true, force: true });
  });

  /** Starts the product with one basemap setting, posts a sensor and opens the console; returns the page. */
  async function openConsole(
    map: Record<string, unknown>,
  ): Promise<{ page: Page; ioc: TestIoc; requests: string[]; ranges: number[] }> {
    const ioc = await startTestIoc({ mqtt: { port: 0 }, map: { center: CENTER, zoom: 13, ...map } });
    running.push(ioc);
    const response = await fetch(`${ioc.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain: 'sensor', id: SENSOR.id, lat: SENSOR.lat, lon: SENSOR.lon, fields: { pm25: 42 } }),
    });
    expect(response.status).toBe(202);
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    const requests: string[] = [];
    const ranges: number[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('response', (res) => {
      if (res.url().includes('/basemap/')) ranges.push(res.status());
    });
    await signInPage(page, ioc.baseUrl);
    await page.goto(ioc.baseUrl);
    await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).__ioc?.ready() === true, null, {
      timeout: 30_000,
    });
    return { page, ioc, requests, ranges };
  }

  async function basemapState(page: Page, until: string[]): Promise<{ state: string; detail?: string }> {
    await page.waitForFunction(
      (states) => states.includes((globalThis as unknown as PageGlobals).__ioc.basemap().state),
      until,
      { timeout: 20_000 },
    );
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.whenIdle());
    return page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.basemap());
  }

  /** The colour drawn at a map pixel away from every marker (lower right of the map area). */
  async function basemapColour(page: Page): Promise<[number, number, number]> {
    const box = await page.locator('[data-testid=map]').boundingBox();
    if (!box) throw new Error('no map on the page');
    const x = Math.round(box.x + box.width * 0.8);
    const y = Math.round(box.y + box.height * 0.85);
    const png = await page.screenshot({ clip: { x: x - 2, y: y - 2, width: 5, height: 5 } });
    return pixel(decodePng(png), 2, 2);
  }

  /** The marker colour at the sensor's position (drawn over the basemap by deck.gl). */
  async function sensorColour(page: Page): Promise<[number, number, number]> {
    const [px, py] = await page.evaluate(
      ([lon, lat]) => (globalThis as unknown as PageGlobals).__ioc.project(lon, lat),
      [SENSOR.lon, SENSOR.lat] as const,
    );
    const box = await page.locator('[data-testid=map]').boundingBox();
    const x = Math.round((box?.x ?? 0) + px);
    const y = Math.round((box?.y ?? 0) + py);
    const png = await page.screenshot({ clip: { x: x - 2, y: y - 2, width: 5, height: 5 } });
    return pixel(decodePng(png), 2, 2);
  }

  const isAqiOrange = ([r, g, b]: readonly number[]) =>
    (r ?? 0) > 220 && (g ?? 0) > 90 && (g ?? 0) < 160 && (b ?? 255) < 60;

  /** Waits until the basemap pixel has `rgb` (fails with `what` after the deadline). */
  async function expectBasemapColour(page: Page, rgb: readonly number[], what: string): Promise<void> {
    const colour = await waitFor(async () => {
      const c = await basemapColour(page);
      return near(c, rgb) ? c : undefined;
    }, what);
    expect(near(colour, rgb)).toBe(true);
  }

  /** Waits until the sensor's marker is drawn in its AQI colour (42 µg/m³: orange). */
  async function expectSensorDrawn(page: Page, what: string): Promise<void> {
    const colour = await waitFor(async () => {
      const c = await sensorColour(page);
      return isAqiOrange(c) ? c : undefined;
    }, what);
    expect(isAqiOrange(colour)).toBe(true);
  }

  it('draws a raster PMTiles archive served by the product with range requests, markers on top', async () => {
    const { page, requests, ranges } = await openConsole({ pmtilesFile: path.join(fixtureDir, 'raster.pmtiles') });
    const status = await basemapState(page, ['ready', 'failed']);
    expect(status).toEqual({ state: 'ready', detail: 'PMTiles raster z0–12' });
    await expectBasemapColour(page, RASTER_RGB, 'the raster tile colour on the map');
    await expectSensorDrawn(page, 'the sensor drawn over the basemap');
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.every((s) => s === 206)).toBe(true);
    expect(requests.filter((url) => !isLocalUrl(url))).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'basemap-pmtiles-raster.png') });
    await page.close();
  });

  it('draws a vector PMTiles archive with the dark style built from its layer names', async () => {
    const { page, requests } = await openConsole({ pmtilesFile: path.join(fixtureDir, 'vector.pmtiles') });
    const status = await basemapState(page, ['ready', 'failed']);
    expect(status).toEqual({ state: 'ready', detail: 'PMTiles vector z0–12' });
    await expectBasemapColour(page, WATER_RGB, 'the water polygon in the basemap water colour');
    // Interleaved: basemap and markers share one canvas.
    expect(await page.locator('[data-testid=map] canvas').count()).toBe(1);
    expect(requests.filter((url) => !isLocalUrl(url))).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'basemap-pmtiles-vector.png') });
    await page.close();
  });

  it('draws XYZ raster tiles from a tile server', async () => {
    tileRequests.length = 0;
    tileServerFails = false;
    const { page } = await openConsole({
      tileUrl: `${tileServerUrl}/tiles/{z}/{x}/{y}.png`,
      attribution: '© Sở TT&TT Bắc Giang',
    });
    const status = await basemapState(page, ['ready', 'failed']);
    expect(status.state).toBe('ready');
    await expectBasemapColour(page, TILE_SERVER_RGB, 'the tile server colour on the map');
    // Map zoom 13 on 512-pixel units is zoom 14 in 256-pixel tiles.
    expect(tileRequests.some((url) => /^\/tiles\/14\/\d+\/\d+\.png$/.test(url))).toBe(true);
    await expect(page.locator('.maplibregl-ctrl-attrib').textContent()).resolves.toContain('Sở TT&TT Bắc Giang');
    await page.close();
  });

  it('keeps the offline map and tells the operator when the archive cannot be read', async () => {
    const { page, requests } = await openConsole({ pmtilesUrl: '/no-such-archive.pmtiles' });
    const status = await basemapState(page, ['ready', 'failed']);
    expect(status.state).toBe('failed');
    const notice = page.getByTestId('basemap-notice');
    await expect(notice.textContent()).resolves.toContain('Không tải được bản đồ nền');
    await expectBasemapColour(page, OFFLINE_RGB, 'the offline map colour');
    await expectSensorDrawn(page, 'the sensor drawn on the offline map');
    expect(requests.filter((url) => !isLocalUrl(url))).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'basemap-failed.png') });
    await page.close();
  });

  it('says so when the tile server fails', async () => {
    tileServerFails = true;
    const { page } = await openConsole({ tileUrl: `${tileServerUrl}/down/{z}/{x}/{y}.png` });
    const status = await basemapState(page, ['failed']);
    expect(status.state).toBe('failed');
    await expect(page.getByTestId('basemap-notice').isVisible()).resolves.toBe(true);
    await page.close();
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { startIoc, type RunningIoc } from '../../server/start-ioc.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { freePort, waitFor } from '../support/ports.js';
import { launchChromium } from './support/browser.js';
import { e2eOverrides } from './support/city.js';
import { decodePng, pixel } from './support/png.js';
import { signInPage } from './support/session.js';

// The console's side of the wall data in real Chromium against the real product: the data-quality view
// (counts and an MQTT refusal), the KPI board (tiles from live AQI sensors), and a Frigate camera drawn as
// its own layer with its events in the inspector. A field user is offered neither page.
// The console served is dist/client (built when missing) or IOC_E2E_CLIENT_DIR, a build of one's own.

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = '/tmp/shots';
const CAMERA = { id: 'cam-e2e', name: 'Cổng chợ Thương', lat: 21.279, lon: 106.197 };
const CAMERA_KEY = `camera/${CAMERA.id}`;
const SENSORS = [
  { id: 'aq-w1', lat: 21.27, lon: 106.185, aqi: 42 },
  { id: 'aq-w2', lat: 21.285, lon: 106.2, aqi: 88 },
  { id: 'aq-w3', lat: 21.262, lon: 106.205, aqi: 160 },
  { id: 'aq-w4', lat: 21.29, lon: 106.18, aqi: 99 },
];
const SIZES = [
  { name: '1920', width: 1920, height: 1080 },
  { name: '3840', width: 3840, height: 2160 },
  { name: '360', width: 360, height: 780 },
] as const;

/** What page callbacks use of the console's hook (client/app/test-hook.ts); this file has no DOM types. */
interface PageGlobals {
  __ioc?: {
    ready(): boolean;
    entity(key: string): { fields: Record<string, unknown> } | undefined;
    pickAt(x: number, y: number): string | null;
    project(lon: number, lat: number): [number, number];
    displayedPosition(key: string): [number, number] | undefined;
    whenIdle(): Promise<void>;
  };
}

/** A Frigate 0.16 `frigate/events` message for the test camera. */
function frigateMessage(type: 'new' | 'end', id: string, at: number, label: string, plate: string | null): string {
  const after = {
    id,
    camera: CAMERA.id,
    frame_time: at / 1000,
    label,
    sub_label: null,
    top_score: 0.91,
    score: 0.88,
    false_positive: false,
    start_time: (at - 2000) / 1000,
    end_time: type === 'end' ? at / 1000 : null,
    box: [424, 500, 536, 712],
    current_zones: ['cong-cho'],
    entered_zones: ['cong-cho'],
    has_snapshot: true,
    has_clip: true,
    active: true,
    stationary: false,
    recognized_license_plate: plate,
    recognized_license_plate_score: plate === null ? null : 0.93,
  };
  return JSON.stringify({ type, before: after, after });
}

/** A stand-in for Frigate's HTTP API: every snapshot is the same small picture. */
function startSnapshotServer(port: number): Promise<Server> {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="100"><rect width="160" height="100" fill="#34495e"/>' +
    '<rect x="40" y="40" width="80" height="36" rx="6" fill="#e0e0e0"/><circle cx="60" cy="80" r="9" fill="#111"/>' +
    '<circle cx="100" cy="80" r="9" fill="#111"/></svg>';
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/svg+xml' });
    res.end(svg);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('console: data quality, KPI board and cameras in Chromium', () => {
  let ioc: RunningIoc | undefined;
  let snapshots: Server | undefined;
  let publisher: MqttClient | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let admin: ApiSession;
  let baseUrl: string;
  let dataDir: string;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let operatorPassword = '';

  const hookReady = (p: Page) =>
    p.waitForFunction(() => (globalThis as unknown as PageGlobals).__ioc?.ready() === true, null, { timeout: 40_000 });
  const idle = () => page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc?.whenIdle());
  const shot = async (name: string) => {
    await idle();
    await page.screenshot({ path: path.join(SHOTS, `console-${name}.png`) });
  };
  const isPhone = () => (page.viewportSize()?.width ?? 1920) < 700;
  /** Opens a page from the header on a desk, from the user menu on a phone. */
  const openPage = async (which: 'kpis' | 'quality') => {
    if (isPhone()) {
      await page.getByTestId('user-menu').click();
      await page.getByTestId(`menu-open-${which}`).click();
    } else {
      await page.getByTestId(`open-${which}`).click();
    }
    await page.getByTestId(which).waitFor();
  };
  const closePage = () => page.getByTestId('close-panel').click();

  /** Where an entity is drawn, in page pixels. */
  async function screenPoint(key: string): Promise<[number, number]> {
    const point = await page.evaluate((k) => {
      const hook = (globalThis as unknown as PageGlobals).__ioc;
      const position = hook?.displayedPosition(k);
      return position && hook ? hook.project(position[0], position[1]) : null;
    }, key);
    const box = await page.locator('[data-testid=map]').boundingBox();
    if (!point || !box) throw new Error(`${key} is not on the map`);
    return [box.x + point[0], box.y + point[1]];
  }

  const ingest = async (body: unknown[]) => {
    const res = await admin.fetch('/api/v1/ingest', { method: 'POST', json: body });
    expect(res.status).toBe(202);
  };
  const sensorBody = (shift: number) =>
    SENSORS.map((s) => ({
      domain: 'sensor',
      id: s.id,
      lat: s.lat,
      lon: s.lon,
      fields: { aqi: s.aqi + shift, pm25: (s.aqi + shift) / 4 },
      tags: { name: `Trạm ${s.id}` },
    }));

  beforeAll(async () => {
    const clientDir = process.env.IOC_E2E_CLIENT_DIR ?? path.join(ROOT, 'dist/client');
    if (!existsSync(path.join(clientDir, 'index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-e2e-wallconsole-'));
    const snapshotPort = await freePort();
    snapshots = await startSnapshotServer(snapshotPort);
    const frigate = `http://127.0.0.1:${snapshotPort}/api/events/{id}`;
    const overrides = {
      ...e2eOverrides('mqtt://unused', 'unused', dataDir),
      mqtt: { port: 0 },
      cameras: [{ ...CAMERA, snapshotUrl: `${frigate}/snapshot.jpg`, clipUrl: `${frigate}/clip.mp4` }],
      quality: { window: '5m', silentAfter: '10m' },
      kpis: { trendStep: '10s' },
    };
    ioc = await startIoc(loadConfig({ noFile: true, env: {}, overrides }), { clientDir });
    baseUrl = `http://127.0.0.1:${ioc.port}`;
    admin = await signIn(baseUrl);
    operatorPassword = await admin.createUser('op-wall', ['operator']);
    publisher = await mqtt.connectAsync(ioc.mqttUrl, { clientId: 'e2e-wall-console' });

    // Live sensors with AQI, one whose reading arrives 90 s late, and one refused MQTT message.
    await ingest(sensorBody(0));
    await ingest([
      { domain: 'sensor', id: 'aq-old', ts: Date.now() - 90_000, lat: 21.275, lon: 106.21, fields: { aqi: 50 } },
    ]);
    await publisher.publishAsync('city/sensor/aq-bad', '{"lat": 21.27, "lon": 106.19, "aqi": ', { qos: 1 });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') consoleErrors.push(msg.text());
    });
    await signInPage(page, baseUrl, 'op-wall', operatorPassword);
  });

  afterAll(async () => {
    await browser?.close();
    await publisher?.endAsync();
    await ioc?.close();
    await new Promise((resolve) => (snapshots ? snapshots.close(resolve) : resolve(undefined)));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // A test that failed midway leaves no page over the map for the next one.
  beforeEach(async () => {
    if (page && (await page.getByTestId('close-panel').count()) > 0) await closePage();
  });

  it('draws a Frigate camera as its own layer and lists its events on click, without plates for an operator', async () => {
    await page.goto(baseUrl);
    await hookReady(page);
    const at = Date.now();
    await publisher?.publishAsync('frigate/events', frigateMessage('new', 'ev-car', at - 4000, 'car', '98A-123.45'), {
      qos: 1,
    });
    await publisher?.publishAsync('frigate/events', frigateMessage('new', 'ev-person', at, 'person', null), { qos: 1 });
    await page.waitForFunction(
      (k) => (globalThis as unknown as PageGlobals).__ioc?.entity(k) !== undefined,
      CAMERA_KEY,
      { timeout: 20_000 },
    );
    await idle();
    // Its own switch in the layer panel.
    const toggle = page.locator('.toggle[data-kind=camera]');
    await expect.poll(() => toggle.locator('.toggle__count').textContent()).toBe('1');

    const [x, y] = await screenPoint(CAMERA_KEY);
    const box = await page.locator('[data-testid=map]').boundingBox();
    const picked = await waitFor(
      () =>
        page.evaluate(([px, py]) => (globalThis as unknown as PageGlobals).__ioc?.pickAt(px, py), [
          x - (box?.x ?? 0),
          y - (box?.y ?? 0),
        ] as const),
      'the camera to be pickable where it is projected',
    );
    expect(picked).toBe(CAMERA_KEY);
    // Drawn in the camera colour (pink) on the disc's rim above the camera cut-out.
    await waitFor(
      async () => {
        const png = await page.screenshot({
          clip: { x: Math.round(x) - 2, y: Math.round(y) - 12, width: 5, height: 5 },
        });
        const [r, g, b] = pixel(decodePng(png), 2, 2);
        return r > 200 && g > 90 && g < 170 && b > 130 && b < 210;
      },
      'the camera drawn in its layer colour',
      15_000,
    );

    // Hovered, it is called a camera, not one of the "other entities" of the generic layer.
    await page.mouse.move(x, y);
    await expect.poll(() => page.locator('.tooltip__kind').textContent(), { timeout: 15_000 }).toBe('Camera');

    // A click while the map is still drawing a busy frame can be lost on software WebGL: click (after
    // the map is idle) until the inspector opens.
    const events = page.getByTestId('camera-events');
    await waitFor(
      async () => {
        await idle();
        await page.mouse.click(x, y);
        const opened = await events.waitFor({ timeout: 3_000 }).then(
          () => true,
          () => false,
        );
        return opened || undefined;
      },
      'the camera inspector to open on click',
      30_000,
      100,
    );
    await expect.poll(() => events.getByTestId('camera-event').count(), { timeout: 15_000 }).toBe(2);
    expect(await events.getByTestId('camera-event').first().getAttribute('data-label')).toBe('person');
    expect(await events.locator('[data-label=car] .cam-event__label').textContent()).toBe('Ô tô');
    // The snapshot: a thumbnail, or a link where the page's CSP does not list the camera server's origin.
    expect(await events.locator('[data-label=car] [data-testid=camera-snapshot]').getAttribute('href')).toContain(
      '/api/events/ev-car/snapshot.jpg',
    );
    expect(await events.locator('[data-label=car] .cam-event__clip').getAttribute('href')).toContain('ev-car/clip.mp4');
    // An operator may not see licence plates: the API leaves them out and the console shows none.
    expect(await events.getByTestId('camera-plate').count()).toBe(0);
    await page.mouse.move(5, 400);
    await shot('camera-1920');
  });

  it('shows per-domain counts, rate, lag and the refusal reason with its example in the quality view', async () => {
    await openPage('quality');
    const sensor = page.locator('[data-testid=quality-domain][data-domain=sensor]');
    await sensor.waitFor({ timeout: 20_000 });
    // Five sensors heard just now (one sent a reading 90 s old), none stale or silent yet.
    await expect
      .poll(() => sensor.getByTestId('q-reporting').locator('dd').textContent(), { timeout: 25_000 })
      .toBe('5');
    expect(await sensor.getByTestId('q-silent').locator('dd').textContent()).toBe('0');
    expect(await sensor.getByTestId('q-lag').locator('dd').textContent()).toMatch(/\d/);
    expect(await sensor.getByTestId('q-flagged').locator('dd').textContent()).toMatch(/^\d+$/);
    expect(Number(await sensor.getByTestId('q-rejected').locator('dd').textContent())).toBeGreaterThanOrEqual(1);
    const reject = sensor.getByTestId('quality-reject').first();
    expect((await reject.locator('.qreject__reason').textContent())?.length).toBeGreaterThan(3);
    await reject.getByTestId('quality-examples').click();
    await expect.poll(() => reject.locator('.qreject__example').first().textContent()).toContain('"aqi"');
    // The lagging sensor is listed among the worst, with its lag.
    const late = sensor.locator('[data-testid=quality-entity][data-key="sensor/aq-old"]');
    expect(await late.locator('.qentity__figures').textContent()).toMatch(/p95 \d+(,\d)? (s|min)/);
    // Per ward: the configured zone by its name, every sensor counted in one row.
    const wards = sensor.getByTestId('quality-ward');
    expect(await sensor.locator('[data-testid=quality-ward][data-zone=centre] th').textContent()).toBe('Khu trung tâm');
    const reporting = await wards.locator('td:first-of-type').allTextContents();
    expect(reporting.reduce((sum, n) => sum + Number(n), 0)).toBe(5);
    await shot('quality-1920');
  });

  it('shows KPI tiles with values, targets and status, grouped', async () => {
    await openPage('kpis');
    const air = page.locator('[data-testid=kpi-tile][data-kpi-id="air.good_share"]');
    await air.waitFor({ timeout: 20_000 });
    // Three of four sensors at AQI ≤ 100 (the stale one still counts as a sensor with a reading).
    await expect
      .poll(async () => (await air.getByTestId('kpi-tile-value').textContent()) ?? '', { timeout: 45_000 })
      .toMatch(/^\d+(,\d)?%$/);
    expect(await air.getAttribute('data-status')).toMatch(/^(ok|warn|bad)$/);
    expect(await air.locator('.kpi__target').textContent()).toContain('90%');
    expect(await page.locator('.kpis__group[data-group=air]').count()).toBe(1);
    expect(await page.getByTestId('kpi-tile').count()).toBeGreaterThanOrEqual(5);
    await shot('kpi-1920');
    await closePage();
  });

  it('looks right at 4K and on a phone', async () => {
    // A second sample, so the sparklines have a line.
    await ingest(sensorBody(-30));
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await idle();
      if (size.name !== '1920') {
        if (isPhone()) await page.locator('.views__tab').nth(1).click();
        await shot(`camera-${size.name}`);
      }
      await openPage('quality');
      await page.locator('[data-testid=quality-domain]').first().waitFor();
      if (size.name !== '1920') await shot(`quality-${size.name}`);
      await closePage();
      await openPage('kpis');
      await page.locator('[data-testid=kpi-tile]').first().waitFor();
      await shot(`kpi-${size.name}${size.name === '1920' ? '-trend' : ''}`);
      // Nothing runs past the right edge.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - innerWidth');
      expect(overflow).toBeLessThanOrEqual(0);
      await closePage();
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
    expect(pageErrors).toEqual([]);
    // deck.gl reports a layer it could not draw on the console, not as a page error.
    expect(consoleErrors.filter((text) => text.startsWith('deck'))).toEqual([]);
  });

  it('shows the worst entity of the quality view on the map with the inspector open', async () => {
    await openPage('quality');
    const worst = page.locator(
      '[data-testid=quality-domain][data-domain=sensor] [data-testid=quality-entity][data-key="sensor/aq-old"]',
    );
    // A click shows it on the map with the inspector open.
    await worst.locator('button').click();
    await page.getByTestId('quality').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('inspector').locator('h2').textContent()).toBe('aq-old');
    await idle();
    const [x, y] = await screenPoint('sensor/aq-old');
    const box = await page.locator('[data-testid=map]').boundingBox();
    if (!box) throw new Error('no map');
    // Centred on the map.
    expect(Math.abs(x - (box.x + box.width / 2))).toBeLessThan(box.width / 4);
    expect(Math.abs(y - (box.y + box.height / 2))).toBeLessThan(box.height / 4);
    await shot('quality-located-1920');
    await page.locator('[data-testid=inspector] button.icon-button').click();
  });

  it('offers a field user neither the KPI board nor the quality view', async () => {
    if (!browser) throw new Error('no browser');
    const password = await admin.createUser('field-wall', ['field']);
    const field = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    try {
      const fieldPage = await field.newPage();
      await signInPage(fieldPage, baseUrl, 'field-wall', password);
      await fieldPage.goto(baseUrl);
      await hookReady(fieldPage);
      await fieldPage.getByTestId('user-menu').click();
      await fieldPage.getByTestId('user-menu-panel').waitFor();
      expect(await fieldPage.locator('[data-testid$=open-kpis], [data-testid$=open-quality]').count()).toBe(0);
      const res = await fieldPage.request.get(`${baseUrl}/api/v1/kpis`);
      expect(res.status()).toBe(403);
    } finally {
      await field.close();
    }
  });
});

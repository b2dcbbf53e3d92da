import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { Alert } from '../../contract/alert.js';
import { defaultDomains } from '../../contract/domain-defaults.js';
import { startIoc, type RunningIoc } from '../../server/start-ioc.js';
import { signIn, TEST_ADMIN_PASSWORD, type ApiSession } from '../support/auth.js';
import { freePort, waitFor } from '../support/ports.js';
import { launchChromium } from './support/browser.js';
import { E2E_MAP } from './support/city.js';
import { copyClient, markBuild, measureText, startFeeder, type TextSample, type WallGlobals } from './support/wall.js';

// The wall display in real Chromium against the real product: a display token opens /wall, the scenes
// rotate, a critical alert takes over, the server goes away and comes back, a new build reloads the page.

const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'test-artifacts');
const SCENE_KINDS = ['map', 'kpis', 'alerts', 'cameras', 'quality'] as const;
const SENSORS = [
  { id: 'wall-a', lat: 21.27, lon: 106.19, name: 'Trạm Ngô Quyền' },
  { id: 'wall-b', lat: 21.285, lon: 106.2, name: 'Trạm Hoàng Văn Thụ' },
  { id: 'wall-c', lat: 21.262, lon: 106.205, name: 'Trạm Xương Giang' },
];
const RULE = {
  id: 'wall-pm',
  name: 'Bụi mịn PM2.5 nguy hại',
  domain: 'sensor',
  condition: { field: 'pm25', op: '>', value: 150 },
  severity: 'critical',
};
const SIZES = [
  { name: '1920', width: 1920, height: 1080 },
  { name: '3840', width: 3840, height: 2160 },
  { name: '360', width: 360, height: 780 },
] as const;

function overrides(port: number, dataDir: string): Record<string, unknown> {
  return {
    port,
    host: '127.0.0.1',
    dataDir,
    simulate: false,
    logLevel: 'warn',
    mqtt: { port: 0 },
    auth: { adminPassword: TEST_ADMIN_PASSWORD },
    rules: [RULE],
    // Sensors go stale after 8 s (the feeder sends every second), so a stopped feed shows within a test.
    domains: { ...defaultDomains(), sensor: { staleAfter: 8_000, layer: true } },
    // The shortest scenes the config allows, so a test sees the whole rotation.
    wall: { scenes: SCENE_KINDS.map((kind) => ({ kind, duration: '5s' })) },
    map: E2E_MAP,
  };
}

describe('wall display in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let ioc: RunningIoc | undefined;
  let admin: ApiSession;
  let port: number;
  let baseUrl: string;
  let dataDir: string;
  let clientDir: string;
  let feeder: { stop(): void } | undefined;
  const pageErrors: string[] = [];
  /** Requests the server refused the display session (403): the wall must ask only for what it may read. */
  const refused: string[] = [];

  const start = async () => {
    ioc = await startIoc(loadConfig({ noFile: true, env: {}, overrides: overrides(port, dataDir) }), { clientDir });
    admin = await signIn(baseUrl);
  };
  const stop = async () => {
    await ioc?.close();
    ioc = undefined;
  };
  const hook = <T>(read: (wall: NonNullable<WallGlobals['__wall']>) => T) =>
    // Serialised into the page: the reader runs against the page's own hook.
    page.evaluate<T>(`(${read.toString()})(globalThis.__wall)`);
  const waitScene = (kind: string, timeout = 40_000) =>
    page.waitForFunction((k) => (globalThis as unknown as WallGlobals).__wall?.scene() === k, kind, { timeout });
  const shot = async (name: string) => {
    await page.evaluate(() => (globalThis as unknown as WallGlobals).__wall?.whenIdle());
    await page.screenshot({ path: path.join(SHOTS, `wall-${name}.png`) });
  };
  const smallest = (samples: TextSample[]) => samples.reduce((min, s) => Math.min(min, s.size), Infinity);
  /** Waits until the board's fade-in is over (the map scene has none). */
  const settled = () =>
    waitFor(
      () =>
        page.evaluate<boolean>(
          `[...document.querySelectorAll('.wall__board')].every((el) => el.getAnimations().every((a) => a.playState !== 'running'))`,
        ),
      'the board to finish fading in',
      10_000,
      100,
    );

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-e2e-wall-'));
    clientDir = copyClient(path.join(ROOT, 'dist/client'), path.join(dataDir, 'client'));
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    await start();
    feeder = startFeeder(baseUrl, SENSORS);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', (response) => {
      if (response.status() === 403) refused.push(response.url());
    });
  });

  afterAll(async () => {
    feeder?.stop();
    await browser?.close();
    await stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens with a display token that then leaves the address bar, and never shows a login page', async () => {
    const token = await admin.createToken(['display'], 'e2e wall');
    await page.goto(`${baseUrl}/wall?token=${token}`);
    await page.waitForFunction(() => (globalThis as unknown as WallGlobals).__wall?.ready() === true, null, {
      timeout: 30_000,
    });
    expect(new URL(page.url()).pathname).toBe('/wall');
    expect(page.url()).not.toContain(token);
    expect(await page.locator('input[type=password]').count()).toBe(0);
    await page.waitForFunction(() => ((globalThis as unknown as WallGlobals).__wall?.entityCount() ?? 0) >= 3, null, {
      timeout: 20_000,
    });
    expect(await hook((w) => w.health().stale)).toBe(false);
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
  });

  it('rotates through every scene in the configured order, each for its own time', async () => {
    const first = await hook((w) => w.sceneIndex());
    let firstSeenAt = 0;
    for (let step = 1; step <= SCENE_KINDS.length; step++) {
      const index = (first + step) % SCENE_KINDS.length;
      await page.waitForFunction((i) => (globalThis as unknown as WallGlobals).__wall?.sceneIndex() === i, index, {
        timeout: 20_000,
      });
      expect(await hook((w) => w.scene())).toBe(SCENE_KINDS[index]);
      if (step === 1) firstSeenAt = Date.now();
    }
    // Four whole 5 s scenes passed between the first change seen and the last (less the polling's jitter).
    expect(Date.now() - firstSeenAt).toBeGreaterThan(4 * 5_000 - 1_500);
  });

  it('has no text under 24 px at 1920×1080 on any scene, and scales with the screen (4K, phone)', async () => {
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      for (const kind of SCENE_KINDS) {
        await waitScene(kind);
        // Hold the scene while a slow software-WebGL screenshot is taken.
        await hook((w) => w.pause());
        if (kind === 'kpis') await page.getByTestId('kpi').first().waitFor({ timeout: 20_000 });
        await settled();
        const samples = await measureText(page);
        expect(samples.length).toBeGreaterThan(0);
        if (size.name === '1920') {
          expect(
            samples.filter((s) => s.size < 24),
            `text under 24 px on the ${kind} scene`,
          ).toEqual([]);
        }
        if (size.name === '3840') expect(smallest(samples)).toBeGreaterThanOrEqual(48);
        if (size.name === '360') expect(smallest(samples)).toBeGreaterThanOrEqual(24);
        await shot(`${kind}-${size.name}`);
        await hook((w) => w.resume());
      }
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
  }, 900_000);

  it('shows KPI tiles with values, targets and a status colour', async () => {
    await waitScene('kpis');
    const tiles = page.getByTestId('kpi');
    await tiles.first().waitFor({ timeout: 20_000 });
    expect(await tiles.count()).toBeGreaterThan(3);
    const values = await page.getByTestId('kpi-value').allTextContents();
    expect(values.some((text) => /\d/.test(text))).toBe(true);
    const statuses = await tiles.evaluateAll((els) =>
      els.map((el) => (el as unknown as { dataset: { status?: string } }).dataset.status),
    );
    for (const status of statuses) expect(['ok', 'warn', 'bad']).toContain(status);
  });

  it('lets a new critical alert take over the wall until it is acknowledged elsewhere, then rotates on', async () => {
    const [sensor] = SENSORS;
    const res = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        domain: 'sensor',
        id: 'wall-hot',
        lat: sensor?.lat,
        lon: sensor?.lon,
        fields: { pm25: 320 },
        tags: { name: 'Trạm Lê Lợi' },
      }),
    });
    expect(res.status).toBe(202);
    await waitScene('critical', 20_000);
    const card = page.getByTestId('wall-critical');
    await expect.poll(() => card.textContent()).toContain('Trạm Lê Lợi');
    expect(await card.textContent()).toContain('Khu trung tâm');
    expect(await card.textContent()).toContain('320');
    // The rule's name, read by the display session from /rule-names (it may not read the rules).
    expect(await card.textContent()).toContain(RULE.name);
    expect(refused).toEqual([]);
    await shot('critical-1920');
    expect((await measureText(page)).filter((s) => s.size < 24)).toEqual([]);
    // It holds while the rotation would have moved on: this waits one whole scene (5 s) on purpose.
    const heldFrom = await hook((w) => w.sceneIndex());
    await page.waitForTimeout(6_000);
    expect(await hook((w) => w.scene())).toBe('critical');
    expect(await hook((w) => w.sceneIndex())).toBe(heldFrom);

    const alertId = (await card.getAttribute('data-alert-id')) ?? '';
    const acked = await admin.fetch(`/api/v1/alerts/${alertId}/ack`, {
      method: 'POST',
      json: {},
      headers: { origin: baseUrl },
    });
    expect(acked.status).toBe(200);
    await page.waitForFunction(() => (globalThis as unknown as WallGlobals).__wall?.scene() !== 'critical', null, {
      timeout: 15_000,
    });
    await waitScene('alerts');
    await expect.poll(() => page.locator(`[data-testid=wall-alert][data-alert-id="${alertId}"]`).count()).toBe(1);
    expect(await page.locator(`[data-testid=wall-alert][data-alert-id="${alertId}"]`).textContent()).toContain(RULE.name);
    await shot('alerts-open-1920');
    // Clean up: the ingest of normal values clears nothing by itself; resolve it.
    const resolved = await admin.fetch(`/api/v1/alerts/${alertId}/resolve`, {
      method: 'POST',
      json: {},
      headers: { origin: baseUrl },
    });
    expect(resolved.status).toBe(200);
    expect((await resolved.json()) as Alert).toMatchObject({ state: 'resolved' });
  });

  it('tells a stopped feed from a quiet city: the server still beats, the sensors stop → "data stale since", gone when they resume', async () => {
    const banner = page.getByTestId('wall-stale');
    expect(await banner.count()).toBe(0);
    feeder?.stop();
    const stoppedAt = Date.now();
    await banner.waitFor({ timeout: 30_000 });
    // The connection is fine (heartbeats come): only the data is old, since the last reading the server took in.
    expect(await banner.getAttribute('data-lost')).toBe('false');
    expect(await banner.textContent()).toMatch(/^Dữ liệu cũ từ \d{2}:\d{2}$/);
    const since = await hook((w) => w.health().since);
    expect(since).toBeLessThanOrEqual(stoppedAt + 1_000);
    expect(since).toBeGreaterThan(stoppedAt - 10_000);
    await shot('feed-stopped-1920');
    feeder = startFeeder(baseUrl, SENSORS);
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('keeps the last picture with a "stale since" banner when the server goes away, and recovers by itself', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as WallGlobals).__wallMark = 'before-restart';
    });
    await stop();
    const banner = page.getByTestId('wall-stale');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toMatch(/^Mất kết nối — dữ liệu cũ từ \d{2}:\d{2}/);
    await shot('stale-1920');
    expect((await measureText(page)).filter((s) => s.size < 24)).toEqual([]);
    // The rotation goes on with the last data; no login page, same address.
    const index = await hook((w) => w.sceneIndex());
    await page.waitForFunction((i) => (globalThis as unknown as WallGlobals).__wall?.sceneIndex() !== i, index, {
      timeout: 15_000,
    });
    expect(await page.locator('input[type=password]').count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/wall');

    await start();
    await banner.waitFor({ state: 'detached', timeout: 60_000 });
    expect(await hook((w) => w.live())).toBe('live');
    // Recovered in place: the page was not reloaded and no token was needed.
    expect(await page.evaluate(() => (globalThis as unknown as WallGlobals).__wallMark)).toBe('before-restart');
  });

  it('reloads itself when the server serves a new console build', async () => {
    const before = await hook((w) => w.build());
    await stop();
    markBuild(clientDir, `e2e build ${Date.now()}`);
    await start();
    await page.waitForFunction(() => (globalThis as unknown as WallGlobals).__wallMark === undefined, null, {
      timeout: 60_000,
    });
    await page.waitForFunction(() => (globalThis as unknown as WallGlobals).__wall?.ready() === true, null, {
      timeout: 30_000,
    });
    expect(new URL(page.url()).pathname).toBe('/wall');
    expect(await hook((w) => w.build())).not.toBe(before);
    expect(pageErrors).toEqual([]);
  });
});

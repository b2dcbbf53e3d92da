import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { launchChromium } from './support/browser.js';
import { e2eOverrides } from './support/city.js';
import { busTrack, cityInput, waitForPlayhead, type ReplayPageGlobals } from './support/replay-data.js';
import { signInPage } from './support/session.js';

// Console replay in real Chromium: history ingested over HTTP, seek to an alert, play at 60× (a bus
// drives), export the window as CSV from the dialog, choose a free window, play at 600×, back to live.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
/** Where the screenshots go (IOC_SHOTS_DIR, else test-artifacts/). */
const SHOTS = process.env.IOC_SHOTS_DIR ?? ARTIFACTS;
const MIN = 60_000;
const KEY = 'sensor/replay-1';
const BUS = 'traffic/bus-replay-1';
/** Fixes every 30 s, from 30 min ago to 4 min ago. */
const BUS_EVERY_MS = 30_000;
/** Fires at the 44 reading (now-20 min): the replay queue shows it open from then on. */
const HIGH_RULE = {
  id: 'replay-high',
  name: 'PM2.5 high (replay test)',
  domain: 'sensor',
  condition: { field: 'pm25', op: '>', value: 40 },
  severity: 'critical',
};

type PageGlobals = ReplayPageGlobals;

describe('console replay in Chromium', () => {
  let product: TestIoc;
  let browser: Browser;
  let page: Page;
  /** The readings, oldest first: pm25 11 at now-50 min … 55 at now-10 min; 66 is the live one. */
  let readings: { ts: number; pm25: number }[];
  let busFixes: ReturnType<typeof busTrack>;

  const pm25 = () =>
    page.evaluate((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25 ?? null, KEY);
  const search = () => page.evaluate(() => (globalThis as unknown as PageGlobals).location.search);

  async function ingest(items: object[]): Promise<void> {
    const res = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(items),
    });
    expect(res.status).toBe(202);
  }

  async function shoot(name: string, width: number, height: number): Promise<void> {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.whenIdle());
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(SHOTS, name) });
  }

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(SHOTS, { recursive: true });
    const { map, auth } = e2eOverrides('mqtt://127.0.0.1:1', 'unused', '') as { map: unknown; auth: unknown };
    product = await startTestIoc({ mqtt: { port: 0 }, map, auth, rules: [HIGH_RULE] });
    const now = Date.now();
    readings = [50, 40, 30, 20, 10].map((ago, i) => ({ ts: now - ago * MIN, pm25: 11 * (i + 1) }));
    await ingest(
      readings.map((r) => ({
        domain: 'sensor',
        id: 'replay-1',
        ts: r.ts,
        lat: 21.28,
        lon: 106.2,
        tags: { name: 'Trạm xem lại' },
        fields: { pm25: r.pm25 },
      })),
    );
    await ingest([{ domain: 'sensor', id: 'replay-1', ts: now, lat: 21.28, lon: 106.2, fields: { pm25: 66 } }]);
    busFixes = busTrack('bus-replay-1', now - 30 * MIN, now - 4 * MIN, BUS_EVERY_MS);
    await ingest(busFixes);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 900 }, acceptDownloads: true });
    await signInPage(page, product.baseUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  /** The playhead the first test seeks to: between the 44 (now-20 min) and the 55 (now-10 min) readings. */
  let at = 0;

  it('seeks to an alert, shows its marker and queue entry, plays at 60× (a bus drives) and charts the playhead', async () => {
    await page.goto(product.baseUrl);
    await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).__ioc?.ready() === true, null, {
      timeout: 30_000,
    });
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k) !== undefined, KEY);
    expect(await pm25()).toBe(66);

    await page.getByTestId('open-replay').click();
    await page.getByTestId('replay-bar').waitFor();
    expect(await page.getByTestId('replay-banner').isVisible()).toBe(true);

    at = (readings[3]?.ts ?? 0) + 2 * MIN;
    // A range input: Playwright sets its value and fires input and change, as a drag would.
    await page.getByTestId('replay-playhead').fill(String(at));
    await waitForPlayhead(page, at);
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25 === 44, KEY);
    expect(await pm25()).toBe(44);
    // The marker: the sensor is drawn with the alert ring, and the density track shows a critical bar.
    await page.waitForFunction(
      (k) => (globalThis as unknown as PageGlobals).__ioc.entityStatus(k)?.alert === true,
      KEY,
    );
    expect(await page.locator('.replay-density__bar--critical').count()).toBeGreaterThan(0);
    // The alert open then is listed, read-only: no lifecycle buttons.
    const row = page.getByTestId('alert-queue').locator('li', { hasText: 'PM2.5 high' }).first();
    await row.waitFor();
    expect(await page.getByTestId('queue-replay').isVisible()).toBe(true);
    expect(await row.locator('button', { hasText: /Tiếp nhận|Xử lý xong|Giao việc/ }).count()).toBe(0);
    expect(await page.getByTestId('replay-banner').isVisible()).toBe(true);
    expect(await page.getByTestId('replay-banner').textContent()).toMatch(/^Xem lại — \d{2}:\d{2} \d{2}\/\d{2}$/);
    const url = new URLSearchParams(await search());
    expect(url.get('replay')).toMatch(/^\d+,\d+$/);
    expect(Math.abs(Number(url.get('at')) - at)).toBeLessThan(1000);
    // The live socket keeps running but never reaches the replay map.
    await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        domain: 'sensor',
        id: 'replay-1',
        ts: Date.now(),
        lat: 21.28,
        lon: 106.2,
        fields: { pm25: 77 },
      }),
    });
    await page.waitForTimeout(1500);
    expect(await pm25()).toBe(44);

    // Play at 60×: each frame is 30 s of the past, and the bus drives east.
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k) !== undefined, BUS);
    const busLon = () => page.evaluate((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.lon ?? 0, BUS);
    const busShown = () =>
      page.evaluate((k) => (globalThis as unknown as PageGlobals).__ioc.displayedPosition(k) ?? null, BUS);
    const lonBefore = await busLon();
    const shownBefore = await busShown();
    await page.getByTestId('replay-speed-60').click();
    await page.getByTestId('replay-play').click();
    await page.waitForFunction(
      ([k, lon]) => ((globalThis as unknown as PageGlobals).__ioc.entity(k)?.lon ?? 0) > lon + 0.001,
      [BUS, lonBefore] as const,
      { timeout: 20_000 },
    );
    await page.getByTestId('replay-play').click();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.replayAt())).toBeGreaterThan(at);
    expect(await busShown()).not.toEqual(shownBefore);
    // Back to the alert moment.
    await page.getByTestId('replay-playhead').fill(String(at));
    await waitForPlayhead(page, at);
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25 === 44, KEY);

    // The inspector's chart spans the replay window, with a line at the playhead. The alert's "show on
    // map" opens it (a map click is covered by console.test.ts).
    await row.getByRole('button', { name: 'Xem bản đồ' }).click();
    const inspector = page.getByTestId('inspector');
    await inspector.locator('.chart[data-state="ready"] canvas').waitFor({ timeout: 15_000 });
    expect(await inspector.locator('h2').textContent()).toBe('Trạm xem lại');

    await shoot('replay-1920x1080.png', 1920, 1080);
    await shoot('replay-3840x2160.png', 3840, 2160);
    await shoot('replay-360x780.png', 360, 780);
  });

  it('exports the window as CSV from the dialog, picks a free window, plays at 600× and goes back to live', async () => {
    expect(at).toBeGreaterThan(0);
    await page.getByTestId('replay-export').click();
    await page.getByTestId('export-dialog').waitFor();
    await shoot('replay-export-1920x1080.png', 1920, 1080);
    await shoot('replay-export-3840x2160.png', 3840, 2160);
    await shoot('replay-export-360x780.png', 360, 780);
    await page.setViewportSize({ width: 1600, height: 900 });

    // Export the whole window as CSV from the dialog: the file holds every reading in it, oldest first.
    const exported = async (): Promise<Record<string, string>[]> => {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 30_000 }),
        page.getByTestId('export-start').click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^ioc-[a-z]+-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
      return parse<Record<string, string>>(readFileSync(await download.path()), {
        columns: true,
        skip_empty_lines: true,
      });
    };
    await page.getByTestId('export-format-csv').check();
    await page.getByTestId('export-scope-city').check();
    const cityRows = await exported();
    expect(cityRows.filter((r) => r.id === 'replay-1').map((r) => Number(r.pm25))).toEqual([11, 22, 33, 44, 55, 66]);
    const busRows = cityRows.filter((r) => r.id === 'bus-replay-1');
    expect(busRows.map((r) => Date.parse(r.time ?? ''))).toEqual(busFixes.map((fix) => fix.ts));
    expect(cityRows).toHaveLength(6 + busFixes.length);
    expect(await page.getByTestId('export-done').textContent()).toContain(`${cityRows.length} bản ghi`);
    await page.screenshot({ path: path.join(SHOTS, 'replay-export-done-1600x900.png') });
    // On a slow line the bar shows what has arrived, and the download can be stopped without a file.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 50,
      downloadThroughput: 600,
      uploadThroughput: -1,
    });
    let saved = false;
    page.once('download', () => {
      saved = true;
    });
    await page.getByTestId('export-start').click();
    await page
      .getByTestId('export-progress')
      .getByText(/Đã nhận .* · [1-9]\d* bản ghi/)
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(SHOTS, 'replay-export-progress-1600x900.png') });
    await page.getByTestId('export-cancel').click();
    await page.getByTestId('export-dialog').getByText('Đã dừng tải. Chưa có tệp nào được lưu.').waitFor();
    expect(saved).toBe(false);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    await page.keyboard.press('Escape');
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
    // From the inspector: the inspected sensor only.
    await page.getByTestId('inspector-export').click();
    expect(await page.getByTestId('export-scope-entity').isChecked()).toBe(true);
    const sensorRows = await exported();
    expect(sensorRows.map((r) => `${r.domain}/${r.id}:${r.pm25}`)).toEqual(
      [11, 22, 33, 44, 55, 66].map((v) => `${KEY}:${v}`),
    );
    await page.getByTestId('export-dialog').getByRole('button', { name: 'Đóng' }).click();

    // A free window: from an hour before the first reading to five minutes after the last, in Vietnam time.
    const from2 = (readings[0]?.ts ?? 0) - 60 * MIN;
    const to2 = (readings[4]?.ts ?? 0) + 5 * MIN;
    await page.getByTestId('replay-window-custom').click();
    await page.getByTestId('replay-window-from').fill(cityInput(from2));
    await page.getByTestId('replay-window-to').fill(cityInput(to2));
    await page.getByTestId('replay-window-apply').click();
    const minute = (ms: number) => Math.floor(ms / MIN) * MIN;
    await page.waitForFunction(
      (expected) =>
        new URLSearchParams((globalThis as unknown as PageGlobals).location.search).get('replay') === expected,
      `${minute(from2)},${minute(to2)}`,
    );
    await waitForPlayhead(page, at);

    // Reload: the link opens the same moment.
    await page.reload();
    await page.getByTestId('replay-bar').waitFor({ timeout: 30_000 });
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25 === 44, KEY, {
      timeout: 30_000,
    });

    await page.getByTestId('replay-speed-600').click();
    await page.getByTestId('replay-play').click();
    await page.waitForFunction(
      (k) => {
        const value = (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25;
        return value === 55 || value === 66;
      },
      KEY,
      { timeout: 20_000 },
    );
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.replayAt())).toBeGreaterThan(at);

    await page.getByTestId('replay-live').click();
    await page.getByTestId('replay-bar').waitFor({ state: 'detached' });
    expect(await page.getByTestId('replay-banner').count()).toBe(0);
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25 === 77, KEY);
    expect(await pm25()).toBe(77);
    const after = new URLSearchParams(await search());
    expect(after.has('replay')).toBe(false);
    expect(after.has('at')).toBe(false);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { launchChromium } from './support/browser.js';
import { e2eOverrides } from './support/city.js';
import { signInPage } from './support/session.js';

// Console replay in real Chromium: history ingested over HTTP, seek, play at 600×, back to live.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const MIN = 60_000;
const KEY = 'sensor/replay-1';
/** Fires at the 44 reading (now-20 min): the replay queue shows it open from then on. */
const HIGH_RULE = {
  id: 'replay-high',
  name: 'PM2.5 high (replay test)',
  domain: 'sensor',
  condition: { field: 'pm25', op: '>', value: 40 },
  severity: 'critical',
};

/** The parts of `window.__ioc` (client/app/test-hook.ts) this file uses. */
interface IocHook {
  ready(): boolean;
  entity(key: string): { fields: Record<string, unknown> } | undefined;
  replayAt(): number | null;
  replayLoading(): boolean;
  whenIdle(): Promise<void>;
}
/** What page callbacks reach through `globalThis` (this file is compiled without DOM types). */
interface PageGlobals {
  __ioc: IocHook;
  location: { search: string };
}

describe('console replay in Chromium', () => {
  let product: TestIoc;
  let browser: Browser;
  let page: Page;
  /** The readings, oldest first: pm25 11 at now-50 min … 55 at now-10 min; 66 is the live one. */
  let readings: { ts: number; pm25: number }[];

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
    await page.screenshot({ path: path.join(ARTIFACTS, name) });
  }

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
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
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await signInPage(page, product.baseUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('seeks to a past moment, plays at 600× and goes back to live', async () => {
    await page.goto(product.baseUrl);
    await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).__ioc?.ready() === true, null, {
      timeout: 30_000,
    });
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k) !== undefined, KEY);
    expect(await pm25()).toBe(66);

    await page.getByTestId('open-replay').click();
    await page.getByTestId('replay-bar').waitFor();
    expect(await page.getByTestId('replay-banner').isVisible()).toBe(true);

    // Between the 44 (now-20 min) and the 55 (now-10 min) readings.
    const at = (readings[3]?.ts ?? 0) + 2 * MIN;
    // A range input: Playwright sets its value and fires input and change, as a drag would.
    await page.getByTestId('replay-playhead').fill(String(at));
    await page.waitForFunction((expected) => {
      const hook = (globalThis as unknown as PageGlobals).__ioc;
      return Math.abs((hook.replayAt() ?? 0) - expected) < 1000 && !hook.replayLoading();
    }, at);
    await page.waitForFunction((k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.fields.pm25 === 44, KEY);
    expect(await pm25()).toBe(44);
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

    await shoot('replay-1920x1080.png', 1920, 1080);
    await shoot('replay-3840x2160.png', 3840, 2160);
    await shoot('replay-360x780.png', 360, 780);
    await page.setViewportSize({ width: 1600, height: 900 });

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

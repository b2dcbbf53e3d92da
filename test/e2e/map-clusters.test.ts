import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/ports.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { launchChromium } from './support/browser.js';
import { E2E_MAP } from './support/city.js';
import { decodePng, pixel } from './support/png.js';
import { signInPage } from './support/session.js';

// Many entities in the console: zoomed out they are drawn as clusters (count, worst status, click zooms in),
// zoomed in one by one again. Asserts on what deck.gl draws and picks, through the console's test hook.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

interface DrawnCluster {
  lon: number;
  lat: number;
  count: number;
  worst: number;
  key: string | null;
}
/** The part of `window.__ioc` (client/app/test-hook.ts) used here; this file is compiled without DOM types. */
interface IocHook {
  ready(): boolean;
  entityCount(): number;
  clusters(): DrawnCluster[];
  clusterAt(x: number, y: number): DrawnCluster | null;
  pickAt(x: number, y: number): string | null;
  project(lon: number, lat: number): [number, number];
  whenIdle(): Promise<void>;
}
/** Page callbacks run in the page: each reaches the hook through `globalThis` itself. */
type G = { __ioc: IocHook };

/** Two tight groups in the north of the city (A all live, B with 10 silent for 10 minutes) and a spread-out south. */
const A = { lon: 106.175, lat: 21.29, n: 2000 };
const B = { lon: 106.21, lat: 21.29, n: 1000, stale: 10 };
const SOUTH = { west: 106.17, east: 106.215, south: 21.255, north: 21.272, n: 3000 };
const TOTAL = A.n + B.n + SOUTH.n;

function observations(): object[] {
  const now = Date.now();
  const out: object[] = [];
  // A 0.002° square is 23 px at zoom 13: well inside one 60 px cluster radius.
  const square = (centre: { lon: number; lat: number }, i: number, n: number) => {
    const side = Math.ceil(Math.sqrt(n));
    return {
      lon: centre.lon - 0.001 + ((i % side) / side) * 0.002,
      lat: centre.lat - 0.001 + (Math.floor(i / side) / side) * 0.002,
    };
  };
  for (let i = 0; i < A.n; i++) out.push({ domain: 'sensor', id: `a-${i}`, ...square(A, i, A.n), fields: { pm25: 8 } });
  for (let i = 0; i < B.n; i++) {
    const ts = i < B.stale ? now - 600_000 : now;
    out.push({ domain: 'sensor', id: `b-${i}`, ts, ...square(B, i, B.n), fields: { pm25: 8 } });
  }
  for (let i = 0; i < SOUTH.n; i++) {
    const lon = SOUTH.west + (((i * 7919) % 1000) / 1000) * (SOUTH.east - SOUTH.west);
    const lat = SOUTH.south + (((i * 104_729) % 1000) / 1000) * (SOUTH.north - SOUTH.south);
    out.push({ domain: 'sensor', id: `s-${i}`, lon, lat, fields: { pm25: 5 + (i % 60) } });
  }
  return out;
}

/** Clusters drawn within 0.003° of a point. */
function near(clusters: DrawnCluster[], at: { lon: number; lat: number }): DrawnCluster[] {
  return clusters.filter((c) => Math.abs(c.lon - at.lon) < 0.003 && Math.abs(c.lat - at.lat) < 0.003);
}

describe('map clusters in Chromium', () => {
  let ioc: TestIoc;
  let browser: Browser;

  beforeAll(async () => {
    // npm test builds first; a lone e2e run builds here so it never tests a stale bundle silently.
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    ioc = await startTestIoc({ mqtt: { port: 0 }, map: E2E_MAP });
    const all = observations();
    for (let i = 0; i < all.length; i += 2000) {
      const response = await fetch(`${ioc.baseUrl}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(all.slice(i, i + 2000)),
      });
      expect(response.status).toBe(202);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await ioc?.stop();
  });

  async function open(width: number, height: number): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height } });
    await signInPage(page, ioc.baseUrl);
    await page.goto(ioc.baseUrl);
    await page.waitForFunction(
      (n) => {
        const h = (globalThis as unknown as { __ioc?: IocHook }).__ioc;
        return h?.ready() === true && h.entityCount() === n && h.clusters().length > 0;
      },
      TOTAL,
      { timeout: 60_000 },
    );
    await page.evaluate(() => (globalThis as unknown as G).__ioc.whenIdle());
    return page;
  }

  /** Page pixel of a coordinate (the map fills the page's map pane). */
  async function screen(page: Page, lon: number, lat: number): Promise<[number, number]> {
    const [x, y] = await page.evaluate(([lo, la]) => (globalThis as unknown as G).__ioc.project(lo, la), [
      lon,
      lat,
    ] as const);
    const box = await page.locator('[data-testid=map]').boundingBox();
    return [(box?.x ?? 0) + x, (box?.y ?? 0) + y];
  }

  it('draws clusters with counts and worst status zoomed out, and entities one by one once zoomed in', async () => {
    const page = await open(1600, 900);
    const clusters = await page.evaluate(() => (globalThis as unknown as G).__ioc.clusters());
    // Every entity is in exactly one drawn item, and 6 000 entities make far fewer items.
    expect(clusters.reduce((sum, c) => sum + c.count, 0)).toBe(TOTAL);
    expect(clusters.length).toBeLessThan(200);
    expect(near(clusters, A).map(({ count, worst, key }) => ({ count, worst, key }))).toEqual([
      { count: A.n, worst: 0, key: null },
    ]);
    // Ten sensors silent for 10 minutes: the default 'sensor-silent' rule puts them in alert, and the alert
    // (worst status) colours the whole group of 1 000.
    const bGroup = await waitFor(async () => {
      const found = near(await page.evaluate(() => (globalThis as unknown as G).__ioc.clusters()), B);
      return found.length === 1 && found[0]?.worst === 2 ? found : undefined;
    }, 'the group with silent sensors drawn in alert');
    expect(bGroup.map(({ count, worst, key }) => ({ count, worst, key }))).toEqual([
      { count: B.n, worst: 2, key: null },
    ]);

    // What deck.gl picks at the cluster's pixel is that cluster; no single entity is pickable there.
    const a = near(clusters, A)[0] as DrawnCluster;
    const [ax, ay] = await screen(page, a.lon, a.lat);
    const box = await page.locator('[data-testid=map]').boundingBox();
    const local = (x: number, y: number) => [x - (box?.x ?? 0), y - (box?.y ?? 0)] as const;
    expect(
      await page.evaluate(([x, y]) => (globalThis as unknown as G).__ioc.clusterAt(x, y), local(ax, ay)),
    ).toMatchObject({ count: A.n });
    expect(await page.evaluate(([x, y]) => (globalThis as unknown as G).__ioc.pickAt(x, y), local(ax, ay))).toBeNull();
    // Drawn in the all-well teal below its count label; B in alert red.
    const colour = async (x: number, y: number) =>
      pixel(
        decodePng(await page.screenshot({ clip: { x: Math.round(x), y: Math.round(y), width: 1, height: 1 } })),
        0,
        0,
      );
    const [r, g, b] = await colour(ax, ay + 24);
    expect(g - r).toBeGreaterThan(80);
    expect(b - r).toBeGreaterThan(70);
    const bCluster = bGroup[0] as DrawnCluster;
    const [bx, by] = await screen(page, bCluster.lon, bCluster.lat);
    const [red, green, blue] = await colour(bx, by + 22);
    expect(red).toBeGreaterThan(180);
    expect(Math.max(green, blue)).toBeLessThan(110);

    // Hovering names the cluster in the console's language (Vietnamese by default).
    await page.mouse.move(ax, ay);
    await expect.poll(() => page.locator('[role=tooltip]').textContent(), { timeout: 10_000 }).toContain('Cụm 2.000');
    await page.screenshot({ path: path.join(ARTIFACTS, 'clusters-1600.png') });

    // A click on a cluster zooms in to it, until the map draws entities individually again.
    for (let step = 0; step < 8; step++) {
      const drawn = await page.evaluate(() => (globalThis as unknown as G).__ioc.clusters());
      if (drawn.length === 0) break;
      const target = drawn.filter((c) => c.count > 1).sort((x, y) => y.count - x.count)[0];
      if (!target) break;
      const [tx, ty] = await screen(page, target.lon, target.lat);
      await page.mouse.click(tx, ty);
      await waitFor(
        () =>
          page.evaluate(
            (before) => JSON.stringify((globalThis as unknown as G).__ioc.clusters()) !== before,
            JSON.stringify(drawn),
          ),
        'the map to zoom in after a click on a cluster',
        20_000,
      );
      await page.evaluate(() => (globalThis as unknown as G).__ioc.whenIdle());
    }
    expect(await page.evaluate(() => (globalThis as unknown as G).__ioc.clusters())).toEqual([]);
    // Individual again: the sensor under the pointer is picked, no cluster.
    const [sx, sy] = await screen(page, A.lon - 0.001, A.lat - 0.001);
    const picked = await waitFor(
      () => page.evaluate(([x, y]) => (globalThis as unknown as G).__ioc.pickAt(x, y), local(sx, sy)),
      'a sensor pickable one by one',
    );
    expect(picked).toMatch(/^sensor\/a-\d+$/);
    expect(
      await page.evaluate(([x, y]) => (globalThis as unknown as G).__ioc.clusterAt(x, y), local(sx, sy)),
    ).toBeNull();
    await page.close();
  });

  it('keeps clusters readable on a wall and on a phone', async () => {
    for (const [width, height] of [
      [1920, 1080],
      [3840, 2160],
      [360, 780],
    ] as const) {
      const page = await open(width, height);
      if (width < 600) {
        // A phone opens on the alert list: the operator switches to the map tab.
        await page.getByText('Bản đồ', { exact: true }).click();
        await page.evaluate(() => (globalThis as unknown as G).__ioc.whenIdle());
      }
      const drawn = (await page.evaluate(() => (globalThis as unknown as G).__ioc.clusters())).reduce(
        (sum, c) => sum + c.count,
        0,
      );
      // The whole city fits on a wall; a phone shows (and queries) only part of it.
      if (width >= 1920) expect(drawn).toBe(TOTAL);
      else expect(drawn).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `clusters-${width}x${height}.png`) });
      await page.close();
    }
  });
});

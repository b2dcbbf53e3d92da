import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contract/field.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { launchChromium } from './support/browser.js';
import { FIELD_ZONES, SIZES, twoFrames } from './support/field-city.js';

// The public report page's map picker in real Chromium on a phone that does not share its location:
// the citizen opens the map, taps a point in a ward, reads the ward's name, confirms and files; the
// stored report sits where the tap was and in that ward. The picker is shot at three sizes.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const PHONE = { width: 360, height: 780 };
/** Inside the north ward (21.28–21.30), so a tap a little above the centre stays in it. */
const CENTER: [number, number] = [106.19, 21.285];
const ZOOM = 13;
/** Where the test taps, from the map's centre, in CSS pixels (up and to the right). */
const TAP = { dx: 40, dy: -60 };

/** maplibre's Web Mercator: 512 px tiles, so the world is 512·2^zoom pixels wide. */
function pixelToLngLat(dx: number, dy: number): { lat: number; lon: number } {
  const world = 512 * 2 ** ZOOM;
  const [lon0, lat0] = CENTER;
  const x = ((lon0 + 180) / 360) * world + dx;
  const phi = (lat0 * Math.PI) / 180;
  const y = ((1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2) * world + dy;
  const lon = (x / world) * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / world))) * 180) / Math.PI;
  return { lat, lon };
}

/** Metres between two nearby points (equirectangular is plenty at this scale). */
function metresBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * 6_371_000;
}

describe('citizen report placed on the map', () => {
  let product: TestIoc;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/report.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    product = await startTestIoc({
      mqtt: { port: 0 },
      map: { center: CENTER, zoom: ZOOM, zones: FIELD_ZONES },
      reports: {
        categories: [
          { id: 'lighting', name: { vi: 'Đèn chiếu sáng', en: 'Street lights' }, deadline: '48h' },
          { id: 'rubbish', name: { vi: 'Rác thải', en: 'Rubbish' }, deadline: '12h' },
        ],
      },
    });
    browser = await launchChromium();
    // No geolocation permission: the citizen refuses to share the phone's location.
    context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('files a report at a point picked on the map, in the ward picked', async () => {
    const mapRequests: string[] = [];
    page.on('request', (request) => {
      if (/maplibre|picker-map/.test(request.url())) mapRequests.push(request.url());
    });
    await page.goto(`${product.baseUrl}/report`);
    await page.waitForSelector('[data-testid=report-form]');
    await page.locator('[data-testid=category]', { hasText: 'Đèn chiếu sáng' }).tap();
    await page.fill('[data-testid=report-description]', 'Đèn đường tắt cả tuần ở đầu ngõ');
    // The page stays light until the picker opens: no map code yet.
    expect(mapRequests).toEqual([]);

    await page.getByTestId('report-pick-map').tap();
    await page.waitForSelector('[data-testid=picker-map][data-ready=true] canvas');
    expect(mapRequests.length).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=picker-ward]')).toBe('Chưa chọn điểm nào.');
    expect(await page.getByTestId('picker-confirm').isDisabled()).toBe(true);

    const canvas = page.locator('[data-testid=picker-map] canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (box === null) throw new Error('the picker map has no canvas on screen');
    await page.mouse.click(box.x + box.width / 2 + TAP.dx, box.y + box.height / 2 + TAP.dy);
    await expect.poll(() => page.textContent('[data-testid=picker-ward]')).toBe('Phường Bắc');
    await page.locator('.rpin').waitFor();

    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.getByTestId('report-picker').scrollIntoViewIfNeeded();
      await twoFrames(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `report-map-picker-${size.name}.png`) });
    }
    await page.setViewportSize(PHONE);
    await twoFrames(page);

    await page.getByTestId('picker-confirm').tap();
    await expect.poll(() => page.locator('[data-testid=report-picker]').count()).toBe(0);
    const placeText = (await page.textContent('[data-testid=report-place]')) ?? '';
    expect(placeText).toMatch(/^Đã chọn trên bản đồ: 21\.\d{5}, 106\.\d{5} · Phường Bắc$/);
    // Focus goes back to the button that opened the picker.
    expect(await page.locator(':focus').getAttribute('data-testid')).toBe('report-pick-map');

    await page.getByTestId('report-submit').tap();
    await page.waitForSelector('[data-testid=report-filed]');
    const code = (await page.textContent('[data-testid=report-code]')) ?? '';

    const list = (await (await product.api.fetch('/api/v1/reports?limit=10')).json()) as { reports: Report[] };
    const report = list.reports.find((r) => r.code === code);
    expect(report).toBeDefined();
    expect(report?.zone).toBe('north');
    expect(report?.category).toBe('lighting');
    const tapped = pixelToLngLat(TAP.dx, TAP.dy);
    const stored = { lat: report?.lat ?? 0, lon: report?.lon ?? 0 };
    // A pixel is about 17 m at zoom 13; the canvas centre may sit half a pixel off the container's.
    expect(metresBetween(stored, tapped)).toBeLessThan(40);
  });

  it('drops the pin from the keyboard and closes with Escape', async () => {
    await page.getByTestId('report-filed').waitFor();
    await page.goto(`${product.baseUrl}/report`);
    await page.waitForSelector('[data-testid=report-form]');
    await page.getByTestId('report-pick-map').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=picker-map][data-ready=true]');
    await page.getByTestId('picker-centre').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('[data-testid=picker-ward]')).toBe('Phường Bắc');
    expect(await page.textContent('[data-testid=picker-coords]')).toBe(`${CENTER[1].toFixed(5)}, ${CENTER[0].toFixed(5)}`);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid=report-picker]').count()).toBe(0);
    expect(await page.locator('[data-testid=report-place]').count()).toBe(0);
  });
});

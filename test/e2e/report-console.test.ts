import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, ReportCreated } from '../../contract/field.js';
import type { ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { launchChromium } from './support/browser.js';
import { FIELD_ZONES, PLACES } from './support/field-city.js';
import { decodePng, pixel } from './support/png.js';
import { signInPage } from './support/session.js';

// Citizen reports on the operator's console in real Chromium: a report filed on the public route
// appears in the reports queue and on the map live, goes overdue visibly (red, first in the queue,
// a red disc on the map), and the operator starts one from the queue.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** The console's test hook (client/app/test-hook.ts), as page callbacks see it without DOM types. */
interface PageGlobals {
  __ioc?: { ready(): boolean; project(lon: number, lat: number): [number, number]; whenIdle(): Promise<void> };
}

describe('citizen reports on the console', () => {
  let product: TestIoc;
  let admin: ApiSession;
  let browser: Browser;
  let page: Page;
  let urgent: ReportCreated;
  let flooding: ReportCreated;

  const fileReport = async (category: string, place: { lat: number; lon: number }, description: string) => {
    const res = await fetch(`${product.baseUrl}/api/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category, description, ...place, contact: { phone: '0987654321' } }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as ReportCreated;
  };
  const row = (id: string) => page.locator(`[data-testid=report-row][data-report-id="${id}"]`);

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    product = await startTestIoc({
      mqtt: { port: 0 },
      map: { center: [106.19, 21.2775], zoom: 14, zones: FIELD_ZONES },
      reports: {
        categories: [
          { id: 'flooding', name: { vi: 'Ngập úng', en: 'Flooding' }, deadline: '24h' },
          // Due almost at once, so the test sees a report go overdue.
          { id: 'urgent', name: { vi: 'Sự cố khẩn', en: 'Urgent' }, deadline: '3s' },
        ],
        overdueCheckInterval: '1s',
      },
    });
    admin = product.api;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await signInPage(page, product.baseUrl);
    await page.goto(product.baseUrl);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__ioc?.ready() === true, null, { timeout: 30_000 });
    await page.getByTestId('reports-queue').waitFor();
    await page.locator('[data-testid=reports-queue] .queue__empty', { hasText: 'Không có phản ánh nào đang mở' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('shows new reports live, and an overdue one first and red', async () => {
    flooding = await fileReport('flooding', PLACES.south, 'Ngập đường Lê Lợi');
    await row(flooding.id).waitFor({ timeout: 15_000 });
    expect(await row(flooding.id).getAttribute('data-overdue')).toBe('false');
    expect(await row(flooding.id).locator('.rq-row__category').textContent()).toBe('Ngập úng');
    expect(await row(flooding.id).locator('.rq-row__meta').first().textContent()).toContain('Phường Nam');
    // Staff see the contact.
    expect(await row(flooding.id).textContent()).toContain('0987654321');

    urgent = await fileReport('urgent', PLACES.north, 'Cây đổ chắn ngang đường');
    await row(urgent.id).waitFor({ timeout: 15_000 });
    await expect.poll(() => row(urgent.id).getAttribute('data-overdue'), { timeout: 70_000 }).toBe('true');
    const order = await page.locator('[data-testid=report-row]').evaluateAll((rows) =>
      rows.map((r) => (r as unknown as { dataset: { reportId: string } }).dataset.reportId),
    );
    expect(order).toEqual([urgent.id, flooding.id]);
    expect(await row(urgent.id).locator('.sev').first().textContent()).toMatch(/^Quá hạn /);
    expect(await page.textContent('[data-testid=reports-count]')).toBe('2 đang mở');
  });

  it('draws reports on the map: the overdue one red, the other orange', async () => {
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc?.whenIdle());
    const at = (place: { lat: number; lon: number }) =>
      page.evaluate(([lon, lat]) => (globalThis as unknown as PageGlobals).__ioc?.project(lon, lat) ?? [0, 0], [place.lon, place.lat] as const);
    // The hook projects into the map's own box; the screenshot is of the whole page.
    const box = await page.getByTestId('map').boundingBox();
    const [ux, uy] = (await at(PLACES.north)).map((v, i) => v + (i === 0 ? (box?.x ?? 0) : (box?.y ?? 0)));
    const [fx, fy] = (await at(PLACES.south)).map((v, i) => v + (i === 0 ? (box?.x ?? 0) : (box?.y ?? 0)));
    const shot = decodePng(await page.screenshot({ path: path.join(ARTIFACTS, 'console-reports-1920x1080.png') }));
    const [ur, ug, ub] = pixel(shot, Math.round(ux ?? 0), Math.round(uy ?? 0));
    const [fr, fg, fb] = pixel(shot, Math.round(fx ?? 0), Math.round(fy ?? 0));
    expect(ur).toBeGreaterThan(200);
    expect(ug).toBeLessThan(90);
    expect(ub).toBeLessThan(120);
    expect(fr).toBeGreaterThan(200);
    expect(fg).toBeGreaterThan(100);
    expect(fg).toBeLessThan(190);
    expect(fb).toBeLessThan(80);
  });

  it('starts a report from the queue', async () => {
    await row(flooding.id).getByTestId('report-start').click();
    await expect.poll(async () => ((await (await admin.fetch(`/api/v1/reports/${flooding.id}`)).json()) as Report).status).toBe('in_progress');
    await expect.poll(() => row(flooding.id).getAttribute('data-status')).toBe('in_progress');
    expect(await row(flooding.id).getByTestId('report-start').count()).toBe(0);
    await page.setViewportSize({ width: 3840, height: 2160 });
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc?.whenIdle());
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-reports-3840x2160.png') });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });
});

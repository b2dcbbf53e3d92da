import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../contract/field.js';
import type { ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { launchChromium } from './support/browser.js';
import { FIELD_ZONES, PLACES, shootSizes } from './support/field-city.js';

// The public citizen report page in real Chromium on a phone against the real product: a citizen
// files a report with a photo and the phone's location, gets the code, tracks it without seeing any
// personal data, and rates it once staff resolved it over the API; too many reports answer 429.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const PHONE = { width: 360, height: 780 };
const CITIZEN = { name: 'Trần Thị Bình', phone: '0912 345 678' };
const PER_MINUTE = 3;

describe('citizen report from a phone', () => {
  let product: TestIoc;
  let admin: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let code = '';
  let reportId = '';

  const staffView = async (): Promise<Report> => {
    const res = await admin.fetch(`/api/v1/reports/${encodeURIComponent(reportId)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  };

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/report.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    product = await startTestIoc({
      mqtt: { port: 0 },
      map: { center: [106.19, 21.28], zoom: 13, zones: FIELD_ZONES },
      reports: {
        categories: [
          { id: 'flooding', name: { vi: 'Ngập úng', en: 'Flooding' }, deadline: '24h' },
          { id: 'lighting', name: { vi: 'Đèn chiếu sáng', en: 'Street lights' }, deadline: '48h' },
          { id: 'rubbish', name: { vi: 'Rác thải', en: 'Rubbish' }, deadline: '12h' },
        ],
        rateLimit: { perMinute: PER_MINUTE, perDay: 30 },
      },
    });
    admin = product.api;
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      geolocation: { latitude: PLACES.north.lat, longitude: PLACES.north.lon, accuracy: 12 },
      permissions: ['geolocation'],
      locale: 'vi-VN',
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('files a report with a photo and the phone location, and shows the tracking code', async () => {
    await page.goto(`${product.baseUrl}/report`);
    await page.waitForSelector('[data-testid=report-form]');
    await expect.poll(() => page.locator('[data-testid=category]').allTextContents()).toEqual(['Ngập úng', 'Đèn chiếu sáng', 'Rác thải']);
    expect(await page.textContent('[data-testid=contact-note]')).toContain('chỉ cán bộ thành phố xem được');

    // Sending an empty form names what is missing and sends nothing.
    await page.getByTestId('report-submit').tap();
    expect(await page.textContent('[data-testid=report-missing]')).toBe('Còn thiếu: loại sự cố, mô tả (ít nhất 3 ký tự), vị trí');

    await page.locator('[data-testid=category]', { hasText: 'Ngập úng' }).tap();
    await page.fill('[data-testid=report-description]', 'Nước ngập qua bánh xe trước trường tiểu học');
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#557a95' } }).jpeg().toBuffer();
    await page.setInputFiles('[data-testid=report-photo-input]', { name: 'ngap.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.locator('[data-testid=report-photo]').waitFor();
    expect(await page.getAttribute('[data-testid=report-photo-input]', 'capture')).toBe('environment');
    await page.getByTestId('report-locate').tap();
    await expect.poll(() => page.textContent('[data-testid=report-place]')).toBe('Đã lấy vị trí: 21.29000, 106.19000 (sai số khoảng 12 m)');
    await page.fill('[data-testid=report-name]', CITIZEN.name);
    await page.fill('[data-testid=report-phone]', CITIZEN.phone);
    await shootSizes(page, (size) => path.join(ARTIFACTS, `report-form-${size}.png`), PHONE);

    await page.getByTestId('report-submit').tap();
    await page.waitForSelector('[data-testid=report-filed]');
    code = (await page.textContent('[data-testid=report-code]')) ?? '';
    expect(code.length).toBeGreaterThanOrEqual(6);
    expect(await page.getAttribute('[data-testid=report-track-link]', 'href')).toBe(`/report/track/${encodeURIComponent(code)}`);
    await shootSizes(page, (size) => path.join(ARTIFACTS, `report-filed-${size}.png`), PHONE);

    // Staff see it with the contact, the photo, the ward from the place, and the category's deadline.
    const res = await admin.fetch('/api/v1/reports?limit=10');
    const list = (await res.json()) as { reports: Report[] };
    const found = list.reports.find((r) => r.code === code);
    expect(found).toBeDefined();
    reportId = found?.id ?? '';
    const report = await staffView();
    expect(report).toMatchObject({
      category: 'flooding',
      description: 'Nước ngập qua bánh xe trước trường tiểu học',
      zone: 'north',
      status: 'received',
      lat: PLACES.north.lat,
      lon: PLACES.north.lon,
      contact: { name: CITIZEN.name, phone: CITIZEN.phone },
    });
    expect(report.attachments).toHaveLength(1);
    expect(report.attachments[0]?.contentType).toBe('image/jpeg');
    expect(report.deadline - report.createdAt).toBe(24 * 3_600_000);
  });

  it('tracks it by the code without any personal data', async () => {
    await page.getByTestId('report-track-link').tap();
    await page.waitForSelector('[data-testid=track-report]');
    expect(await page.textContent('[data-testid=track-code]')).toBe(code);
    expect(await page.textContent('[data-testid=track-status]')).toBe('Đã tiếp nhận');
    const body = (await page.textContent('body')) ?? '';
    expect(body).not.toContain(CITIZEN.name);
    expect(body).not.toContain(CITIZEN.phone);
    expect(body).toContain('Loại: Ngập úng');
    expect(await page.getByTestId('rating-form').count()).toBe(0);
    // English on request.
    await page.locator('button[lang=en]').tap();
    expect(await page.textContent('[data-testid=track-status]')).toBe('Received');
    await page.locator('button[lang=vi]').tap();
    await shootSizes(page, (size) => path.join(ARTIFACTS, `report-track-${size}.png`), PHONE);
  });

  it('shows the result once staff resolved it, and takes a rating once', async () => {
    for (const [move, body] of [
      ['start', {}],
      ['resolve', { result: 'Đã nạo vét cống, nước rút sau 30 phút' }],
    ] as const) {
      const res = await admin.fetch(`/api/v1/reports/${encodeURIComponent(reportId)}/${move}`, { method: 'POST', json: body });
      expect(res.status, `${move}: ${await res.clone().text()}`).toBe(200);
    }
    await page.reload();
    await page.waitForSelector('[data-testid=track-report][data-status=resolved]');
    expect(await page.textContent('[data-testid=track-status]')).toBe('Đã xử lý xong');
    expect(await page.textContent('[data-testid=track-result]')).toBe('Đã nạo vét cống, nước rút sau 30 phút');
    await page.getByTestId('star-4').tap();
    await page.fill('[data-testid=rating-comment]', 'Xử lý nhanh, cảm ơn');
    await shootSizes(page, (size) => path.join(ARTIFACTS, `report-rate-${size}.png`), PHONE);
    await page.getByTestId('rating-submit').tap();
    await page.waitForSelector('[data-testid=track-rated]');
    expect(await page.textContent('[data-testid=track-rated]')).toContain('Bạn đã đánh giá 4/5 sao');
    expect(await page.getByTestId('rating-form').count()).toBe(0);
    const rated = await staffView();
    expect(rated.rating).toMatchObject({ score: 4, comment: 'Xử lý nhanh, cảm ơn' });
  });

  it('says how long to wait when this connection sent too many reports', async () => {
    // The first report counted; fill the minute's allowance from the same address.
    for (let i = 1; i < PER_MINUTE; i++) {
      const res = await fetch(`${product.baseUrl}/api/v1/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ category: 'rubbish', description: `Rác số ${i}`, ...PLACES.south }),
      });
      expect(res.status).toBe(201);
    }
    await page.goto(`${product.baseUrl}/report`);
    await page.locator('[data-testid=category]', { hasText: 'Rác thải' }).tap();
    await page.fill('[data-testid=report-description]', 'Rác đổ trộm ở góc phố');
    await page.getByTestId('report-locate').tap();
    await page.waitForSelector('[data-testid=report-place]');
    await page.getByTestId('report-submit').tap();
    const error = page.getByTestId('report-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^Có quá nhiều phản ánh từ kết nối này, vui lòng thử lại sau \d+ phút\.$/);
  });
});

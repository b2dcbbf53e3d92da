import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../contract/alert.js';
import type { Report, ReportCreated } from '../../contract/field.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { launchChromium } from './support/browser.js';
import { FIELD_ZONES, PLACES, shootSizes } from './support/field-city.js';

// The field app in real Chromium on a 360×780 phone against the real product: a field user of the
// north ward sees that ward's alert and report only, acknowledges each in two taps, adds a photo,
// resolves while offline and sees the resolution reach the server when the connection returns.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const PHONE = { width: 360, height: 780 };
const FIELD_USER = 'e2e.field.north';
const RULE = {
  id: 'e2e-field-pm',
  name: 'PM2.5 cao',
  domain: 'sensor',
  condition: { field: 'pm25', op: '>', value: 100 },
  severity: 'critical',
};

/** What page callbacks use (compiled without DOM types). */
interface PageGlobals {
  navigator: {
    serviceWorker: {
      getRegistration(scope: string): Promise<
        | {
            scope: string;
            active: { scriptURL: string; state: string } | null;
            getNotifications(): Promise<
              { title: string; body: string; tag: string; actions: { action: string; title: string }[] }[]
            >;
          }
        | undefined
      >;
      ready: Promise<unknown>;
    };
  };
}

describe('field app on a phone', () => {
  let product: TestIoc;
  let admin: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const alerts: Record<'north' | 'south', string> = { north: '', south: '' };
  const reports: Record<'north' | 'south', ReportCreated | null> = { north: null, south: null };

  const getJson = async <T>(pathname: string): Promise<T> => {
    const res = await admin.fetch(`/api/v1${pathname}`);
    expect(res.status, `${pathname}: ${res.status}`).toBe(200);
    return (await res.json()) as T;
  };
  const alertNow = (id: string) => getJson<Alert>(`/alerts/${encodeURIComponent(id)}`);
  const reportNow = (id: string) => getJson<Report>(`/reports/${encodeURIComponent(id)}`);
  const row = (key: string) => page.locator(`[data-testid=field-row][data-key="${key}"]`);

  async function ingestSensor(id: string, place: { lat: number; lon: number }): Promise<void> {
    const res = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { domain: 'sensor', id, ts: Date.now(), ...place, fields: { pm25: 180 }, tags: { name: id } },
      ]),
    });
    expect(res.status).toBe(202);
  }

  async function fileReport(place: { lat: number; lon: number }, description: string): Promise<ReportCreated> {
    const res = await fetch(`${product.baseUrl}/api/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'flooding', description, ...place, contact: { name: 'Nguyễn Văn A' } }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as ReportCreated;
  }

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/field.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    product = await startTestIoc({
      mqtt: { port: 0 },
      map: { center: [106.19, 21.28], zoom: 13, zones: FIELD_ZONES },
      rules: [RULE],
      reports: {
        categories: [
          { id: 'flooding', name: { vi: 'Ngập úng', en: 'Flooding' }, deadline: '24h' },
          { id: 'lighting', name: { vi: 'Đèn chiếu sáng', en: 'Street lights' }, deadline: '48h' },
        ],
      },
    });
    admin = product.api;
    const password = await admin.createUser(FIELD_USER, ['field'], ['north']);

    await ingestSensor('e2e-field-north', PLACES.north);
    await ingestSensor('e2e-field-south', PLACES.south);
    await waitFor(
      async () => {
        const { alerts: open } = await getJson<{ alerts: Alert[] }>('/alerts?state=firing');
        for (const alert of open) {
          if (alert.entityId === 'e2e-field-north') alerts.north = alert.id;
          if (alert.entityId === 'e2e-field-south') alerts.south = alert.id;
        }
        return alerts.north !== '' && alerts.south !== '';
      },
      'both alerts firing',
      20_000,
    );
    reports.north = await fileReport(PLACES.north, 'Nước ngập sâu 30 cm trước cổng chợ');
    reports.south = await fileReport(PLACES.south, 'Ngập ở phường Nam');
    expect(reports.north.zone).toBe('north');

    browser = await launchChromium();
    context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      geolocation: { latitude: PLACES.phone.lat, longitude: PLACES.phone.lon },
      permissions: ['geolocation', 'notifications'],
      locale: 'vi-VN',
    });
    page = await context.newPage();
    await page.goto(`${product.baseUrl}/field`);
    await page.waitForSelector('[data-testid=login]');
    await shootSizes(page, (size) => path.join(ARTIFACTS, `field-login-${size}.png`), PHONE);
    await page.fill('[data-testid=login-username]', FIELD_USER);
    await page.fill('[data-testid=login-password]', password);
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=field-list]');
  });

  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });

  it('lists only the north ward: its alert and its report, worst first, with distance and directions', async () => {
    await expect.poll(() => page.locator('[data-testid=field-row]').count(), { timeout: 15_000 }).toBe(2);
    const keys = await page
      .locator('[data-testid=field-row]')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { key: string } }).dataset.key));
    // The critical alert ranks above the report that is not yet due.
    expect(keys).toEqual([`alert/${alerts.north}`, `report/${reports.north?.id}`]);
    expect(await page.textContent('[data-testid=field-count]')).toBe('2 việc đang mở');
    expect(await page.textContent('[data-testid=field-user]')).toBe(FIELD_USER);
    // English on request, and back.
    await page.locator('.fbar button[lang=en]').tap();
    expect(await page.textContent('[data-testid=field-count]')).toBe('2 open');
    expect(await row(`report/${reports.north?.id}`).locator('.frow__title').textContent()).toBe('Flooding');
    await page.locator('.fbar button[lang=vi]').tap();

    const alertRow = row(`alert/${alerts.north}`);
    expect(await alertRow.locator('.frow__title').textContent()).toContain('PM2.5');
    // 0.005° of latitude from the phone: about 560 m.
    await expect.poll(() => alertRow.getByTestId('distance').textContent()).toBe('Cách 560 m');
    expect(await alertRow.getByTestId('directions').getAttribute('href')).toBe(
      `https://www.google.com/maps/dir/?api=1&destination=${PLACES.north.lat},${PLACES.north.lon}`,
    );
    const reportRow = row(`report/${reports.north?.id}`);
    expect(await reportRow.locator('.frow__title').textContent()).toBe('Ngập úng');
    expect(await reportRow.locator('.frow__detail').textContent()).toBe('Nước ngập sâu 30 cm trước cổng chợ');
    expect(await reportRow.locator('.frow__meta').textContent()).toContain('Phường Bắc');
    // Every button on the list is at least 48 px tall (a thumb outdoors).
    const heights = await page
      .locator('.frow .fbtn')
      .evaluateAll((buttons) =>
        buttons.map(
          (b) => (b as unknown as { getBoundingClientRect(): { height: number } }).getBoundingClientRect().height,
        ),
      );
    expect(heights.length).toBeGreaterThan(0);
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(48);
    // Notifications are allowed in this browser: the app offers to turn them on.
    expect(await page.getByTestId('push').getAttribute('data-status')).toBe('off');
    await shootSizes(page, (size) => path.join(ARTIFACTS, `field-list-${size}.png`), PHONE);
  });

  it('acknowledges an alert and a report in two taps each from the list', async () => {
    const alertRow = row(`alert/${alerts.north}`);
    await alertRow.getByTestId('ack').tap();
    await alertRow.getByTestId('ack-confirm').tap();
    await expect.poll(async () => (await alertNow(alerts.north)).state, { timeout: 10_000 }).toBe('acknowledged');
    expect((await alertNow(alerts.north)).history?.at(-1)).toMatchObject({ action: 'ack', by: FIELD_USER });

    const reportKey = `report/${reports.north?.id}`;
    await row(reportKey).getByTestId('ack').tap();
    await row(reportKey).getByTestId('ack-confirm').tap();
    await expect
      .poll(async () => (await reportNow(reports.north?.id ?? '')).status, { timeout: 10_000 })
      .toBe('in_progress');
    // The list follows the server: both rows now show they were taken on, without an ack button.
    await expect.poll(() => row(reportKey).getAttribute('data-state')).toBe('in_progress');
    await expect.poll(() => row(`alert/${alerts.north}`).getAttribute('data-state')).toBe('acknowledged');
    expect(await row(reportKey).getByTestId('ack').count()).toBe(0);
  });

  it('adds a photo from the camera input to the report', async () => {
    const id = reports.north?.id ?? '';
    await row(`report/${id}`).getByTestId('field-row-open').tap();
    await page.waitForSelector(`[data-testid=field-item][data-key="report/${id}"]`);
    expect(await page.getAttribute('[data-testid=photo-input]', 'capture')).toBe('environment');
    expect(await page.getAttribute('[data-testid=photo-input]', 'accept')).toBe('image/*');
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a6f97' } })
      .jpeg()
      .toBuffer();
    await page.setInputFiles('[data-testid=photo-input]', {
      name: 'hien-truong.jpg',
      mimeType: 'image/jpeg',
      buffer: photo,
    });
    await expect.poll(async () => (await reportNow(id)).attachments.length, { timeout: 15_000 }).toBe(1);
    const stored = (await reportNow(id)).attachments[0];
    expect(stored).toMatchObject({ contentType: 'image/jpeg', by: FIELD_USER });
    // The page shows the server's copy once the list reloaded.
    await page.locator('[data-testid=photo]').first().waitFor({ timeout: 10_000 });
    // The element appears before its bytes arrive: wait until the image has decoded.
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid=photo]')
            .first()
            .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);
  });

  it('starts offline from the service worker, resolves offline, and sends it when the connection returns', async () => {
    const id = reports.north?.id ?? '';
    await context.setOffline(true);
    await page.waitForSelector('[data-testid=offline]');
    // A reload without a connection still starts the app: the shell from the service worker, the last list kept.
    await page.reload();
    await page.waitForSelector(`[data-testid=field-item][data-key="report/${id}"]`, { timeout: 15_000 });
    await page.waitForSelector('[data-testid=offline]');
    await page.fill('[data-testid=result-input]', 'Đã khơi thông cống, nước rút hết');
    await page.getByTestId('resolve').tap();
    await page.getByTestId('resolve-confirm').tap();
    const waiting = page.getByTestId('queue-waiting');
    await waiting.waitFor();
    expect(await waiting.getAttribute('data-count')).toBe('1');
    expect(await waiting.locator('span').first().textContent()).toBe('1 thao tác đang chờ gửi');
    expect(await page.textContent('[data-testid=item-pending]')).toBe('Đã xử lý · chờ gửi');
    await shootSizes(page, (size) => path.join(ARTIFACTS, `field-offline-${size}.png`), PHONE);
    // The server has not heard of it.
    expect((await reportNow(id)).status).toBe('in_progress');

    await context.setOffline(false);
    await expect.poll(async () => (await reportNow(id)).status, { timeout: 20_000 }).toBe('resolved');
    const resolved = await reportNow(id);
    expect(resolved.result).toBe('Đã khơi thông cống, nước rút hết');
    expect(resolved.history.at(-1)).toMatchObject({ action: 'resolve', by: FIELD_USER });
    await page.getByTestId('queue-waiting').waitFor({ state: 'detached', timeout: 15_000 });
    await expect
      .poll(() => page.locator('[data-testid=item-state]').textContent(), { timeout: 15_000 })
      .toBe('Đã xử lý');
    expect(await page.getByTestId('queue-failed').count()).toBe(0);
  });

  it('shows a refused action clearly: resolving what someone else resolved first is a 409', async () => {
    await page.goto(`${product.baseUrl}/field/alert/${encodeURIComponent(alerts.north)}`);
    await page.waitForSelector('[data-testid=field-item]');
    await context.setOffline(true);
    await page.fill('[data-testid=result-input]', 'Đã kiểm tra trạm');
    await page.getByTestId('resolve').tap();
    await page.getByTestId('resolve-confirm').tap();
    await page.getByTestId('queue-waiting').waitFor();
    // Meanwhile an operator resolves it at the centre.
    const res = await admin.fetch(`/api/v1/alerts/${encodeURIComponent(alerts.north)}/resolve`, {
      method: 'POST',
      json: {},
    });
    expect(res.status).toBe(200);
    await context.setOffline(false);
    const failed = page.getByTestId('queue-failed');
    await failed.waitFor({ timeout: 20_000 });
    expect(await failed.getAttribute('data-status')).toBe('409');
    expect(await failed.textContent()).toContain('Không gửi được: Xử lý xong');
    await failed.getByRole('button', { name: 'Bỏ qua' }).tap();
    await failed.waitFor({ state: 'detached' });
  });

  it('is installable: a manifest with icons and a service worker controlling /field', async () => {
    const registration = await page.evaluate(async () => {
      const g = globalThis as unknown as PageGlobals;
      await g.navigator.serviceWorker.ready;
      const r = await g.navigator.serviceWorker.getRegistration('/field');
      return r ? { scope: r.scope, script: r.active?.scriptURL ?? '', state: r.active?.state ?? '' } : null;
    });
    expect(registration).toEqual({
      scope: `${product.baseUrl}/field`,
      script: `${product.baseUrl}/field-sw.js`,
      state: 'activated',
    });
    const manifestHref = await page.getAttribute('link[rel=manifest]', 'href');
    const manifest = (await (await fetch(`${product.baseUrl}${manifestHref}`)).json()) as {
      name: string;
      start_url: string;
      display: string;
      theme_color: string;
      icons: { src: string; sizes: string; purpose: string }[];
    };
    expect(manifest).toMatchObject({ start_url: '/field', display: 'standalone', theme_color: '#0b5cab' });
    expect(manifest.name).toContain('Hiện trường');
    expect(manifest.icons.map((i) => `${i.sizes} ${i.purpose}`).sort()).toEqual([
      '192x192 any',
      '512x512 any',
      '512x512 maskable',
    ]);
    for (const icon of manifest.icons) {
      const res = await fetch(`${product.baseUrl}${icon.src}`);
      expect(res.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect(`${meta.width}x${meta.height}`).toBe(icon.sizes);
    }
  });

  it('shows a pushed alert as a notification with an "ack" action', async () => {
    // No browser push service here: the DevTools protocol hands the service worker a push as one would.
    const cdp = await context.newCDPSession(page);
    const registrationId = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
        const found = event.registrations.find((r) => r.scopeURL === `${product.baseUrl}/field` && !r.isDeleted);
        if (found) resolve(found.registrationId);
      });
    });
    await cdp.send('ServiceWorker.enable');
    const payload = {
      kind: 'alert',
      id: alerts.south,
      title: 'PM2.5 cao',
      body: 'Phường Bắc · 180 µg/m³',
      url: `/field/alerts/${alerts.south}`,
      ackToken: 'token-0123456789',
    };
    // A push delivered before the worker is active is dropped: wait until the page's worker is ready.
    await expect
      .poll(
        () =>
          page.evaluate(async () => {
            const r = await (globalThis as unknown as PageGlobals).navigator.serviceWorker.getRegistration('/field');
            return r?.active?.state ?? 'none';
          }),
        { timeout: 10_000 },
      )
      .toBe('activated');
    const id = await registrationId;
    const deliver = () =>
      cdp.send('ServiceWorker.deliverPushMessage', {
        origin: product.baseUrl,
        registrationId: id,
        data: JSON.stringify(payload),
      });
    await deliver();
    const shown = async () => {
      const list = await page.evaluate(async () => {
        const r = await (globalThis as unknown as PageGlobals).navigator.serviceWorker.getRegistration('/field');
        const notifications = (await r?.getNotifications()) ?? [];
        return notifications.map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          actions: n.actions.map((a) => `${a.action}:${a.title}`),
        }));
      });
      // Nothing shown yet: push again. The notification's tag makes a second one replace the first.
      if (list.length === 0) await deliver();
      return list;
    };
    await expect
      .poll(shown, { timeout: 10_000 })
      .toEqual([
        { title: 'PM2.5 cao', body: 'Phường Bắc · 180 µg/m³', tag: `alert/${alerts.south}`, actions: ['ack:Xác nhận'] },
      ]);
    await cdp.detach();
  });

  it('never shows the south ward to the north field user, also not over the API', async () => {
    const session = await signIn(product.baseUrl, FIELD_USER, `pw-${FIELD_USER}-0123456789`);
    const south = await session.fetch(`/api/v1/alerts/${encodeURIComponent(alerts.south)}`);
    expect([403, 404]).toContain(south.status);
    await page.goto(`${product.baseUrl}/field`);
    await page.waitForSelector('[data-testid=field-list]');
    await expect.poll(() => page.textContent('[data-testid=field-count]')).toMatch(/việc đang mở$/);
    expect(await row(`alert/${alerts.south}`).count()).toBe(0);
    expect(await row(`report/${reports.south?.id}`).count()).toBe(0);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import type { Alert } from '../../contract/alert.js';
import { startIoc } from '../../server/start-ioc.js';
import { startMosquitto, uniqueName, type RunningService } from '../support/services.js';
import { launchChromium } from './support/browser.js';
import { e2eOverrides } from './support/city.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { signInPage } from './support/session.js';

// The alert console in real Chromium against the real product: Mosquitto → rule → /live → queue, ack, resolve, rules.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const SENSOR = { id: 'e2e-pm', key: 'sensor/e2e-pm', lat: 21.28, lon: 106.2, name: 'Trạm Hoàng Văn Thụ' };
const RULE = {
  id: 'e2e-pm',
  name: 'PM2.5 e2e',
  domain: 'sensor',
  condition: { field: 'pm25', op: '>', value: 100 },
  severity: 'critical',
};

/** What page callbacks use from the console's test hook (client/app/test-hook.ts); no DOM types here. */
interface PageGlobals {
  __ioc: {
    ready(): boolean;
    entity(key: string): { status: string } | undefined;
    whenIdle(): Promise<void>;
  };
  localStorage: { getItem(key: string): string | null };
}

describe('alert console in Chromium', () => {
  let mosquitto: RunningService;
  let ioc: Awaited<ReturnType<typeof startIoc>>;
  let publisher: MqttClient;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let dataDir: string;
  let alertId = '';

  let admin: ApiSession;
  const api = async <T>(pathname: string): Promise<T> => {
    const res = await admin.fetch(`/api/v1${pathname}`);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const row = () => page.locator(`[data-testid=alert-row][data-alert-id="${alertId}"]`);

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    mosquitto = await startMosquitto();
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-e2e-alerts-'));
    const overrides = { ...e2eOverrides(mosquitto.url, uniqueName('ingest'), dataDir), rules: [RULE] };
    ioc = await startIoc(loadConfig({ noFile: true, env: {}, overrides }));
    baseUrl = `http://127.0.0.1:${ioc.port}`;
    publisher = await mqtt.connectAsync(mosquitto.url, { clientId: uniqueName('e2e-pub') });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    admin = await signIn(baseUrl);
    await signInPage(page, baseUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await publisher?.endAsync();
    await ioc?.close();
    await mosquitto?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a published value that trips a rule in the queue, announces it and pulses the entity', async () => {
    await page.goto(baseUrl);
    await page.waitForFunction(() => (globalThis as unknown as Partial<PageGlobals>).__ioc?.ready() === true, null, {
      timeout: 30_000,
    });
    const queue = page.getByTestId('alert-queue');
    await expect.poll(() => queue.locator('.queue__empty').textContent()).toBe('Không có cảnh báo nào đang mở');

    await publisher.publishAsync(
      `city/sensor/${SENSOR.id}`,
      JSON.stringify({ lat: SENSOR.lat, lon: SENSOR.lon, pm25: 180, tags: { name: SENSOR.name } }),
      { qos: 1 },
    );
    const first = queue.getByTestId('alert-row').first();
    await first.waitFor({ timeout: 20_000 });
    alertId = (await first.getAttribute('data-alert-id')) ?? '';
    expect(alertId).not.toBe('');
    expect(await row().getAttribute('data-state')).toBe('firing');
    expect(await row().getAttribute('data-severity')).toBe('critical');
    expect(await row().locator('.alert__rule').textContent()).toBe('PM2.5 e2e');
    await expect.poll(() => row().locator('.alert__entity').textContent()).toContain(SENSOR.name);
    expect(await row().locator('.alert__where').textContent()).toMatch(/^Khu trung tâm · /);
    // A new critical alert flashes a banner (and beeps, unless muted).
    expect(await page.getByTestId('critical-toast').textContent()).toContain('PM2.5 e2e');
    // The map draws the entity in alert (the pulsing ring).
    await page.waitForFunction(
      (k) => (globalThis as unknown as PageGlobals).__ioc.entity(k)?.status === 'alert',
      SENSOR.key,
      { timeout: 10_000 },
    );
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.whenIdle());
    await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-firing.png') });
  });

  it('flies to the entity and opens the inspector when the row is clicked', async () => {
    await page.getByTestId('critical-toast').getByRole('button', { name: 'Đóng thông báo' }).click();
    await row().locator('.alert__main').click();
    const inspector = page.getByTestId('inspector');
    await inspector.waitFor({ timeout: 10_000 });
    await expect.poll(() => inspector.locator('h2').textContent()).toBe(SENSOR.name);
    await expect.poll(() => inspector.getByTestId('inspector-status').textContent()).toBe('Đang cảnh báo');
  });

  it('acknowledges, assigns and resolves from the queue, and the server agrees', async () => {
    await row().getByRole('button', { name: 'Tiếp nhận' }).click();
    await expect.poll(() => row().getAttribute('data-state')).toBe('acknowledged');
    expect(await row().getByTestId('alert-state').textContent()).toBe('Đã tiếp nhận');
    expect((await api<Alert>(`/alerts/${alertId}`)).state).toBe('acknowledged');

    await row().getByRole('button', { name: 'Giao việc' }).click();
    await row().getByRole('textbox', { name: 'Người hoặc đội phụ trách' }).fill('Đội môi trường 1');
    await row().getByRole('button', { name: 'Xác nhận' }).click();
    await expect.poll(() => row().locator('.alert__assignee').textContent()).toBe('Phụ trách: Đội môi trường 1');
    expect((await api<Alert>(`/alerts/${alertId}`)).assignee).toBe('Đội môi trường 1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-acknowledged.png') });

    await row().getByRole('button', { name: 'Xử lý xong' }).click();
    await expect.poll(() => row().count()).toBe(0);
    expect((await api<Alert>(`/alerts/${alertId}`)).state).toBe('resolved');
    // The recently resolved view still lists it.
    await page.getByLabel('Đã xử lý gần đây').check();
    await expect.poll(() => row().getAttribute('data-state')).toBe('resolved');
    await page.getByLabel('Đã xử lý gần đây').uncheck();
  });

  it('shows a refused action in the row, and drops an alert resolved elsewhere', async () => {
    await publisher.publishAsync('city/sensor/e2e-pm-2', JSON.stringify({ lat: 21.27, lon: 106.19, pm25: 150 }), {
      qos: 1,
    });
    const second = page.locator('[data-testid=alert-row][data-state=firing]').first();
    await second.waitFor({ timeout: 20_000 });
    const id = await second.getAttribute('data-alert-id');
    // Snoozing until a past time: the server answers 400 and the row says so in its words.
    await second.getByRole('button', { name: 'Tạm hoãn' }).click();
    await second.locator('input[type=datetime-local]').fill('2020-01-01T10:00');
    await second.getByRole('button', { name: 'Xác nhận' }).click();
    await expect
      .poll(() => second.getByTestId('alert-error').textContent())
      .toBe('Máy chủ báo lỗi 400: snooze end must be in the future');
    await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-action-error.png') });

    // Resolved by someone else: the `alert` event takes it out of this console's queue.
    const res = await admin.fetch(`/api/v1/alerts/${id}/resolve`, { method: 'POST', json: {} });
    expect(res.status).toBe(200);
    await expect.poll(() => page.locator(`[data-testid=alert-row][data-alert-id="${id}"]`).count()).toBe(0);
    // Acting on it now is an illegal move: 409.
    expect((await admin.fetch(`/api/v1/alerts/${id}/ack`, { method: 'POST' })).status).toBe(409);
  });

  it('mutes the alarm and remembers it', async () => {
    await page.getByTestId('mute').click();
    expect(await page.getByTestId('mute').getAttribute('aria-pressed')).toBe('true');
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).localStorage.getItem('ioc.alerts.muted')),
    ).toBe('1');
  });

  it('validates rules in the editor, shows the server 400 verbatim, and backtests', async () => {
    await page.getByTestId('open-rules').click();
    const dialog = page.getByTestId('rules');
    await dialog.waitFor();
    await dialog.locator('[data-rule-id="e2e-pm"]').click();
    const text = dialog.getByTestId('rule-json');
    expect(JSON.parse(await text.inputValue())).toMatchObject({ id: 'e2e-pm', name: 'PM2.5 e2e' });
    // A config-file rule can be edited or turned off, never offered for deletion.
    await expect.poll(() => dialog.getByTestId('rule-from-config').textContent()).toMatch(/^Quy tắc từ tệp cấu hình/);
    expect(await dialog.getByTestId('rule-delete').count()).toBe(0);

    await text.fill(JSON.stringify({ ...RULE, severity: 'urgent' }, null, 2));
    await expect.poll(() => dialog.getByTestId('rule-check').textContent()).toMatch(/^Sai ở "severity": /);
    expect(await dialog.getByTestId('rule-save').isDisabled()).toBe(true);
    await text.fill('{"name": ');
    await expect.poll(() => dialog.getByTestId('rule-check').textContent()).toMatch(/^JSON không hợp lệ/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-rule-invalid.png') });

    // Valid for the schema, refused by the server: clear above a ">" threshold.
    await text.fill(JSON.stringify({ ...RULE, condition: { ...RULE.condition, clear: 120 } }, null, 2));
    await expect.poll(() => dialog.getByTestId('rule-check').textContent()).toBe('✓ Hợp lệ');
    await dialog.getByTestId('rule-save').click();
    await expect
      .poll(() => dialog.getByTestId('rule-error').textContent())
      .toBe('Máy chủ báo lỗi 400: invalid rule at "condition.clear": with ">" clear must be at or below value 100');

    await dialog.getByTestId('backtest-run').click();
    const result = dialog.getByTestId('backtest-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.locator('.backtest__count').textContent()).toMatch(/^2 cảnh báo sẽ được mở/);
    expect(await result.locator('li').count()).toBe(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-rule-backtest.png') });
    await dialog.getByRole('button', { name: 'Đóng' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('groups a storm into one card per rule and zone', async () => {
    const ts = Date.now();
    const storm = Array.from({ length: 40 }, (_, i) => ({
      domain: 'sensor',
      id: `storm-${i}`,
      ts,
      lat: 21.26 + (i % 8) * 0.004,
      lon: 106.175 + Math.floor(i / 8) * 0.008,
      fields: { pm25: 160 + i },
    }));
    const res = await fetch(`${baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(storm),
    });
    expect(res.status).toBe(202);
    const card = page.getByTestId('storms').locator('.storm').first();
    await card.waitFor({ timeout: 20_000 });
    await expect
      .poll(() => card.locator('.storm__text').textContent())
      .toBe('PM2.5 e2e: 40 cảnh báo tại Khu trung tâm');
    // The card replaces the flood: the storm's firing alerts are folded into it.
    await expect.poll(() => page.getByTestId('alert-row').count()).toBe(0);
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__ioc.whenIdle());
    await page.screenshot({ path: path.join(ARTIFACTS, 'alerts-storm-wall.png') });
    // Opened, the queue lists each of them (re-read over REST: a storm pushes counts, not alerts).
    await page.getByTestId('storms').getByRole('button', { name: 'Hiện từng cảnh báo' }).click();
    await expect.poll(() => page.getByTestId('alert-row').count(), { timeout: 20_000 }).toBe(40);
  });

  it('makes the queue the main view on a phone, with one-tap actions', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signInPage(phone, baseUrl);
    await phone.goto(baseUrl);
    const first = phone.getByTestId('alert-row').first();
    await first.waitFor({ timeout: 30_000 });
    expect(await phone.getByTestId('alert-queue').isVisible()).toBe(true);
    const ack = first.getByRole('button', { name: 'Tiếp nhận' });
    const box = await ack.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThanOrEqual(38);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'alerts-phone.png') });
    await ack.tap();
    await expect.poll(() => first.getAttribute('data-state')).toBe('acknowledged');
    await phone.close();
  });
});

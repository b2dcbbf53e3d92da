import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { startIoc } from '../../server/start-ioc.js';
import { launchChromium } from './support/browser.js';
import { e2eOverrides } from './support/city.js';

// Sign-in in real Chromium against the real product: login page, wrong password, the console after
// sign-in, what an operator does not see, admin page, a session ended elsewhere, and sign-out.

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const ADMIN_PASSWORD = 'e2e-admin-password-1';
const OPERATOR = { username: 'e2e.operator', password: 'e2e-operator-pass', displayName: 'Trần Văn Điều Hành' };
const SIZES = [
  { name: '1920x1080', width: 1920, height: 1080 },
  { name: '3840x2160', width: 3840, height: 2160 },
  { name: '360x780', width: 360, height: 780 },
] as const;

/** The part of the console's test hook this file uses (compiled without DOM types). */
interface PageGlobals {
  __ioc?: { ready(): boolean };
  requestAnimationFrame(callback: () => void): number;
}

describe('sign-in in Chromium', () => {
  let ioc: Awaited<ReturnType<typeof startIoc>>;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let dataDir: string;
  const sockets: string[] = [];

  const me = () => page.request.get(`${baseUrl}/api/v1/auth/me`);

  async function signIn(username: string, password: string): Promise<void> {
    await page.fill('[data-testid=login-username]', username);
    await page.fill('[data-testid=login-password]', password);
    await page.click('[data-testid=login-submit]');
  }

  async function mapReady(): Promise<void> {
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__ioc?.ready() === true, null, {
      timeout: 30_000,
    });
  }

  /** Screenshots of what is on screen now at the three target sizes, back to 1920×1080 after. */
  async function shootAllSizes(name: string): Promise<void> {
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      // Two frames: layout and paint at the new size.
      await page.evaluate(
        () =>
          new Promise<void>((resolve) => {
            const g = globalThis as unknown as PageGlobals;
            g.requestAnimationFrame(() => g.requestAnimationFrame(resolve));
          }),
      );
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${size.name}.png`) });
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
  }

  beforeAll(async () => {
    // npm test builds first; a lone `vitest --project e2e` run builds here so it never tests a stale bundle silently.
    if (!existsSync(path.join(ROOT, 'dist/client/index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-e2e-login-'));
    // The in-process broker on a free port: this file publishes nothing.
    const overrides = {
      ...e2eOverrides('mqtt://127.0.0.1:1883', 'unused', dataDir),
      mqtt: { port: 0 },
      auth: { adminPassword: ADMIN_PASSWORD, demoAccounts: false },
    };
    ioc = await startIoc(loadConfig({ noFile: true, env: {}, overrides }));
    baseUrl = `http://127.0.0.1:${ioc.port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('request', (request) => {
      if (request.url().includes('/socket.io/')) sockets.push(request.url());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await ioc?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the login page, and no live connection, before anyone signs in', async () => {
    await page.goto(baseUrl);
    await page.waitForSelector('[data-testid=login]');
    expect(await page.isVisible('[data-testid=login-username]')).toBe(true);
    expect(await page.isVisible('[data-testid=session-ended]')).toBe(false);
    expect((await me()).status()).toBe(401);
    await shootAllSizes('login');
    expect(sockets).toEqual([]);
  });

  it('says so when the password is wrong', async () => {
    await signIn('admin', 'not-the-password');
    const error = page.locator('[data-testid=login-error]');
    await error.waitFor();
    expect(await error.textContent()).toBe('Sai tên đăng nhập hoặc mật khẩu');
    await page.click('button[lang=en]');
    expect(await error.textContent()).toBe('Wrong username or password');
    expect(await page.inputValue('[data-testid=login-password]')).toBe('');
    expect(sockets).toEqual([]);
  });

  it('signs the admin in: the map, who is signed in, and the admin page', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    await mapReady();
    expect(sockets.length).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=user-name]')).toBe('Administrator');
    expect(await page.textContent('[data-testid=user-roles]')).toBe('Admin');
    expect(await page.isVisible('[data-testid=open-admin]')).toBe(true);
    expect(await page.isVisible('[data-testid=open-audit]')).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-signed-in-1920x1080.png') });

    // The operator the next test signs in as, created through the API with the admin's session.
    const created = await page.request.post(`${baseUrl}/api/v1/users`, {
      data: {
        username: OPERATOR.username,
        displayName: OPERATOR.displayName,
        password: OPERATOR.password,
        roles: ['operator'],
      },
    });
    expect(created.status()).toBe(201);

    await page.click('[data-testid=open-admin]');
    await page.waitForSelector(`[data-testid=admin-users] tr[data-username="${OPERATOR.username}"]`);
    await page.click('[data-testid=user-new]');
    await shootAllSizes('admin');

    // A too-short password: the server's 400 names the key, shown next to the form.
    await page.fill('[data-testid=user-username]', 'e2e.short');
    await page.fill('[data-testid=user-password]', 'short');
    await page.click('[data-testid=user-save]');
    const error = page.locator('[data-testid=user-form] [data-testid=admin-error]');
    await error.waitFor();
    expect(await error.textContent()).toContain('password');
    await page.click('[data-testid=close-panel]');
  });

  it('goes back to the login page with a notice when the session ends elsewhere', async () => {
    expect((await page.request.post(`${baseUrl}/api/v1/auth/logout`)).status()).toBe(204);
    // Either way ends it: the next call answered 401, or the server closing the live connection (it
    // re-checks sessions every 30 s). When the latter came first the button is already gone.
    const notice = page.locator('[data-testid=session-ended]');
    if (!(await notice.isVisible())) await page.click('[data-testid=open-audit]', { timeout: 5_000 }).catch(() => undefined);
    await notice.waitFor();
    expect(await page.textContent('[data-testid=session-ended]')).toBe('Your session ended, please sign in again');
  });

  it('shows an operator neither the admin page nor the rule-writing actions', async () => {
    await signIn(OPERATOR.username, OPERATOR.password);
    await mapReady();
    expect(await page.textContent('[data-testid=user-name]')).toBe(OPERATOR.displayName);
    expect(await page.isVisible('[data-testid=open-admin]')).toBe(false);
    expect(await page.isVisible('[data-testid=open-audit]')).toBe(false);
    await page.click('[data-testid=open-rules]');
    await page.waitForSelector('[data-testid=rules-read-only]');
    expect(await page.isVisible('[data-testid=rule-new]')).toBe(false);
    expect(await page.isVisible('[data-testid=rule-save]')).toBe(false);
    expect(await page.isVisible('[data-testid=rule-delete]')).toBe(false);
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 360, height: 780 });
    await page.click('[data-testid=user-menu]');
    await page.waitForSelector('[data-testid=menu-sign-out]');
    expect(await page.isVisible('[data-testid=menu-open-admin]')).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-operator-menu-360x780.png') });
    await page.click('[data-testid=user-menu]');
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('signs out: the login page again, and the server forgets the session', async () => {
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('[data-testid=login]');
    expect(await page.isVisible('[data-testid=session-ended]')).toBe(false);
    expect((await me()).status()).toBe(401);
  });
});

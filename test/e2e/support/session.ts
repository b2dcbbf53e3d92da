import type { Page } from 'playwright-core';
import { TEST_ADMIN_PASSWORD } from '../../support/auth.js';

/** Signs the page's browser context in (the cookie lands in the context), so the next goto opens the console. */
export async function signInPage(page: Page, baseUrl: string, username = 'admin', password = TEST_ADMIN_PASSWORD): Promise<void> {
  const res = await page.request.post(`${baseUrl}/api/v1/auth/login`, { data: { username, password } });
  if (res.status() !== 200) throw new Error(`sign-in as ${username} failed: ${res.status()} ${await res.text()}`);
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../contract/index.js';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';

// Behind a reverse proxy on the same machine (config trustProxy), callers are told apart by X-Forwarded-For.
describe('behind a trusted reverse proxy', () => {
  let product: TestIoc;
  beforeAll(async () => {
    product = await startTestIoc({ mqtt: { port: 0 }, trustProxy: 'loopback' });
  });
  afterAll(async () => {
    await product?.stop();
  });

  const ingest = (headers: Record<string, string>) =>
    fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ domain: 'sensor', id: 'proxy-1', ts: Date.now() - 1000, fields: { pm25: 1 } }),
    });

  it('opens loopback ingest only to callers on this machine, not to everyone the proxy forwards', async () => {
    expect((await ingest({})).status).toBe(202);
    expect((await ingest({ 'x-forwarded-for': '203.0.113.9' })).status).toBe(401);
  });

  it('records and throttles the real caller address', async () => {
    const login = (ip: string, password: string) =>
      fetch(`${product.baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username: 'admin', password }),
      });
    for (let i = 0; i < 4; i++) expect((await login('203.0.113.10', 'wrong-password')).status).toBe(401);
    expect((await login('203.0.113.10', 'wrong-password')).status).toBe(429);
    // Another address behind the same proxy keeps its own budget.
    expect((await login('198.51.100.7', TEST_ADMIN_PASSWORD)).status).toBe(200);
    const entries = ((await (await product.api.fetch('/api/v1/audit?action=login_failed')).json()) as { entries: AuditEntry[] }).entries;
    expect(entries.length).toBeGreaterThanOrEqual(5);
    expect(new Set(entries.map((e) => e.ip))).toEqual(new Set(['203.0.113.10']));
  });
});

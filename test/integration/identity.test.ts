import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, Me, TokenInfo, User } from '../../contract/index.js';
import { signIn, TEST_ADMIN_PASSWORD, type ApiSession } from '../support/auth.js';
import { connectLive, startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

const IDLE_MS = 1500;

const login = (product: TestIoc, username: string, password: string) =>
  fetch(`${product.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

async function auditOf(admin: ApiSession, query = ''): Promise<AuditEntry[]> {
  const res = await admin.fetch(`/api/v1/audit?${query.includes('limit=') ? '' : 'limit=1000'}${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

// Sign-in, sessions, throttling, users, tokens and the audit trail through the real product (SQLite state store).
describe('people, sessions, tokens and audit', () => {
  let product: TestIoc;

  beforeAll(async () => {
    product = await startTestIoc({ mqtt: { port: 0 }, auth: { idleTimeout: IDLE_MS, maxFailedLogins: 3, failedLoginWindow: '1m' } });
  });
  afterAll(async () => {
    await product?.stop();
  });
  // The idle timeout here is short: every test starts with a fresh admin session.
  beforeEach(async () => {
    product.api = await signIn(product.baseUrl);
  });

  it('signs in with an HttpOnly SameSite cookie, answers who is asking, and signs out', async () => {
    const res = await login(product, 'admin', TEST_ADMIN_PASSWORD);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ioc_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
    const body = (await res.json()) as { user: Me };
    expect(body.user).toMatchObject({ username: 'admin', roles: ['admin'], kind: 'session', idleTimeout: IDLE_MS });
    expect(JSON.stringify(body)).not.toContain(TEST_ADMIN_PASSWORD);

    const session = await signIn(product.baseUrl);
    expect((await session.fetch('/api/v1/auth/logout', { method: 'POST' })).status).toBe(204);
    const after = await session.fetch('/api/v1/auth/me');
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('refuses a wrong password with 401, then throttles with 429 and Retry-After, per user and address', async () => {
    await product.api.createUser('throttled', ['operator']);
    for (let i = 0; i < 2; i++) expect((await login(product, 'throttled', 'wrong-password-1')).status).toBe(401);
    const third = await login(product, 'throttled', 'wrong-password-1');
    expect(third.status).toBe(429);
    const retryAfter = Number(third.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(30);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    // Blocked even with the right password now; another user from the same address is not.
    expect((await login(product, 'throttled', 'pw-throttled-0123456789')).status).toBe(429);
    expect((await login(product, 'admin', TEST_ADMIN_PASSWORD)).status).toBe(200);
    // An unknown user answers exactly like a wrong password.
    const unknown = await login(product, 'nobody-here', 'whatever-password');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ error: { code: 'unauthorized', message: 'Wrong username or password.' } });
  });

  it('ends a session after the idle timeout, and activity keeps it alive', async () => {
    const password = await product.api.createUser('idle-op', ['operator']);
    const busy = await signIn(product.baseUrl, 'idle-op', password);
    const idle = await signIn(product.baseUrl, 'idle-op', password);
    const started = Date.now();
    // Busy: a request every third of the timeout, for twice the timeout.
    while (Date.now() - started < IDLE_MS * 2) {
      expect((await busy.fetch('/api/v1/auth/me')).status).toBe(200);
      await new Promise((r) => setTimeout(r, IDLE_MS / 3));
    }
    expect((await idle.fetch('/api/v1/auth/me')).status).toBe(401);
    expect((await busy.fetch('/api/v1/auth/me')).status).toBe(200);
  });

  it('keeps a wall display session past the idle timeout', async () => {
    const password = await product.api.createUser('wall-1', ['display']);
    const wall = await signIn(product.baseUrl, 'wall-1', password);
    const me = (await (await wall.fetch('/api/v1/auth/me')).json()) as Me;
    expect(me.idleTimeout).toBeUndefined();
    await new Promise((r) => setTimeout(r, IDLE_MS + 500));
    expect((await wall.fetch('/api/v1/auth/me')).status).toBe(200);
    expect((await wall.fetch('/api/v1/rules', { method: 'POST', json: {} })).status).toBe(403);
  });

  it('trades a display token in /wall?token= for a display session without the token in the URL', async () => {
    const created = (await (await product.api.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'wall 1', scopes: ['display'] } })).json()) as { id: string; token: string };
    const entry = await fetch(`${product.baseUrl}/wall?token=${created.token}`, { redirect: 'manual' });
    expect(entry.status).toBe(303);
    expect(entry.headers.get('location')).toBe('/wall');
    const cookie = /ioc_session=[^;]+/.exec(entry.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const me = async () => fetch(`${product.baseUrl}/api/v1/auth/me`, { headers: { cookie } });
    const body = (await (await me()).json()) as Me;
    expect(body).toMatchObject({ kind: 'token', scopes: ['display'], permissions: ['live.read', 'alerts.read', 'kpis.read'] });
    expect(body.idleTimeout).toBeUndefined();
    await new Promise((r) => setTimeout(r, IDLE_MS + 500));
    expect((await me()).status).toBe(200);
    // Revoking the token ends the wall's session (the admin signs in again: their own session idled out meanwhile).
    product.api = await signIn(product.baseUrl);
    expect((await product.api.fetch(`/api/v1/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await me()).status).toBe(401);
    // A wrong or non-display token sends the browser to the login page with the reason.
    const bad = await fetch(`${product.baseUrl}/wall?token=ioc_wrong`, { redirect: 'manual' });
    expect(bad.headers.get('location')).toBe('/?login_error=bad_token');
    const readToken = await product.api.createToken(['read']);
    expect((await fetch(`${product.baseUrl}/wall?token=${readToken}`, { redirect: 'manual' })).headers.get('location')).toBe('/?login_error=bad_token');
  });

  it('disabling a user or changing their password ends their sessions and sockets', async () => {
    const password = await product.api.createUser('leaver', ['operator']);
    const leaver = await signIn(product.baseUrl, 'leaver', password);
    const live = await connectLive(product.baseUrl, leaver);
    expect((await leaver.fetch('/api/v1/entities')).status).toBe(200);
    const patched = await product.api.fetch('/api/v1/users/leaver', { method: 'PATCH', json: { disabled: true } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as User).disabled).toBe(true);
    expect((await leaver.fetch('/api/v1/entities')).status).toBe(401);
    expect((await login(product, 'leaver', password)).status).toBe(401);
    live.close();
    // Re-enabled with a new password: the old one no longer works.
    await product.api.fetch('/api/v1/users/leaver', { method: 'PATCH', json: { disabled: false, password: 'a-brand-new-password' } });
    expect((await login(product, 'leaver', password)).status).toBe(401);
    expect((await login(product, 'leaver', 'a-brand-new-password')).status).toBe(200);
  });

  it('never returns a password hash, and validates users with the bad key named', async () => {
    const listed = (await (await product.api.fetch('/api/v1/users')).json()) as { users: User[] };
    expect(listed.users.map((u) => u.username)).toContain('admin');
    expect(JSON.stringify(listed)).not.toMatch(/argon2|passwordHash/);
    const bad = await product.api.fetch('/api/v1/users', { method: 'POST', json: { username: 'Bad Name', roles: ['wizard'] } });
    expect(bad.status).toBe(400);
    const message = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('username');
    expect(message).toContain('roles');
    expect((await product.api.fetch('/api/v1/users', { method: 'POST', json: { username: 'admin', roles: ['admin'] } })).status).toBe(409);
    expect((await product.api.fetch('/api/v1/users/admin', { method: 'DELETE' })).status).toBe(409);
  });

  it('shows a token once, lets it read with its scope, and refuses it once revoked', async () => {
    const created = await product.api.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'open data', scopes: ['read'] } });
    expect(created.status).toBe(201);
    const token = (await created.json()) as TokenInfo & { token: string };
    expect(token.token).toMatch(/^ioc_[A-Za-z0-9_-]{43}$/);
    const listed = (await (await product.api.fetch('/api/v1/tokens')).json()) as { tokens: TokenInfo[] };
    const entry = listed.tokens.find((t) => t.id === token.id);
    expect(entry).toMatchObject({ name: 'open data', scopes: ['read'], createdBy: 'admin' });
    expect(JSON.stringify(listed)).not.toContain(token.token);
    const asToken = (path: string) => fetch(`${product.baseUrl}${path}`, { headers: { authorization: `Bearer ${token.token}` } });
    expect((await asToken('/api/v1/entities')).status).toBe(200);
    expect((await asToken('/api/v1/users')).status).toBe(403);
    expect((await product.api.fetch(`/api/v1/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await asToken('/api/v1/entities')).status).toBe(401);
    // An expired token is refused too.
    const expiring = await product.api.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'short', scopes: ['read'], expiresAt: Date.now() + 1200 } });
    const shortToken = ((await expiring.json()) as { token: string }).token;
    await waitFor(async () => (await fetch(`${product.baseUrl}/api/v1/entities`, { headers: { authorization: `Bearer ${shortToken}` } })).status === 401, 'expired token refused', 15_000, 250);
  });

  it('records every kind of action in the audit log with actor, time, address and target, filterable', async () => {
    const t0 = Date.now();
    const password = await product.api.createUser('auditee', ['supervisor']);
    const supervisor = await signIn(product.baseUrl, 'auditee', password);
    await login(product, 'auditee', 'not-the-password');
    await product.api.fetch('/api/v1/users/auditee', { method: 'PATCH', json: { displayName: 'Chị Lan' } });
    const token = (await (await product.api.fetch('/api/v1/tokens', { method: 'POST', json: { name: 'audit-token', scopes: ['read'] } })).json()) as { id: string };
    await product.api.fetch(`/api/v1/tokens/${token.id}`, { method: 'DELETE' });
    await product.api.fetch('/api/v1/devices', { method: 'POST', json: { id: 'audit-dev', domain: 'sensor' } });
    await product.api.fetch('/api/v1/devices/audit-dev', { method: 'DELETE' });
    const rule = { id: 'audit-rule', name: 'Audit rule', domain: 'sensor', condition: { field: 'pm25', op: '>', value: 999 }, severity: 'info' };
    expect((await supervisor.fetch('/api/v1/rules', { method: 'POST', json: rule })).status).toBe(201);
    expect((await supervisor.fetch('/api/v1/rules/audit-rule', { method: 'PUT', json: { ...rule, enabled: false } })).status).toBe(200);
    expect((await supervisor.fetch('/api/v1/rules/audit-rule', { method: 'DELETE' })).status).toBe(204);
    await product.api.fetch('/api/v1/users/auditee', { method: 'DELETE' });

    const entries = (await auditOf(product.api, `&from=${t0}`)).reverse();
    const seen = entries.map((e) => `${e.action} ${e.actor} ${e.target}`);
    expect(seen).toEqual([
      'user.create admin auditee',
      'login auditee auditee',
      'login_failed auditee auditee',
      'user.update admin auditee',
      `token.create admin ${token.id}`,
      `token.delete admin ${token.id}`,
      'device.create admin audit-dev',
      'device.delete admin audit-dev',
      'rule.create auditee audit-rule',
      'rule.update auditee audit-rule',
      'rule.delete auditee audit-rule',
      'user.delete admin auditee',
    ]);
    for (const entry of entries) {
      expect(entry.ip).toMatch(/127\.0\.0\.1/);
      expect(entry.at).toBeGreaterThanOrEqual(t0);
    }
    expect(JSON.stringify(entries)).not.toMatch(/pw-auditee|not-the-password/);
    // Filters.
    expect((await auditOf(product.api, `&from=${t0}&actor=auditee`)).map((e) => e.action).sort()).toEqual(
      ['login', 'login_failed', 'rule.create', 'rule.delete', 'rule.update'].sort(),
    );
    expect((await auditOf(product.api, `&from=${t0}&action=rule.update`)).map((e) => e.target)).toEqual(['audit-rule']);
    expect(await auditOf(product.api, `&from=${t0}&limit=2`)).toHaveLength(2);
    expect(await auditOf(product.api, `&to=${t0 - 1}&action=rule.create`)).toEqual([]);
    const badQuery = await product.api.fetch('/api/v1/audit?action=dance');
    expect(badQuery.status).toBe(400);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Me, Permission } from '../../../contract/identity.js';
import { translator } from '../../../client/i18n/format.js';
import { ApiFailure, call, parseRetryAfter } from '../../../client/live/http.js';
import { failureText, loginFailureText, retryMinutes } from '../../../client/session/failure-text.js';
import { alertPermissions, can, consoleAccess } from '../../../client/session/permissions.js';
import { currentMe, session, sessionEnded, signedIn, signedOut } from '../../../client/session/session.js';

const tEn = translator('en');
const tVi = translator('vi');

/** What the server lists in `permissions` per role (DESIGN, "Identity and access"). */
const ROLE_PERMISSIONS: Record<string, Permission[]> = {
  admin: [
    'live.read',
    'alerts.read',
    'alerts.act',
    'alerts.assign',
    'rules.read',
    'rules.write',
    'history.read',
    'kpis.read',
    'admin',
    'audit.read',
  ],
  supervisor: [
    'live.read',
    'alerts.read',
    'alerts.act',
    'alerts.assign',
    'rules.read',
    'rules.write',
    'history.read',
    'kpis.read',
    'audit.read',
  ],
  operator: ['live.read', 'alerts.read', 'alerts.act', 'alerts.assign', 'rules.read', 'history.read', 'kpis.read'],
  field: ['live.read', 'alerts.read', 'alerts.act'],
  analyst: ['live.read', 'alerts.read', 'rules.read', 'history.read', 'kpis.read'],
  display: ['live.read', 'alerts.read', 'kpis.read'],
};

function me(role: keyof typeof ROLE_PERMISSIONS): Me {
  return {
    username: role,
    displayName: role,
    roles: [role as Me['roles'][number]],
    zones: [],
    kind: 'session',
    permissions: ROLE_PERMISSIONS[role] ?? [],
  };
}

describe('permissions', () => {
  it('offers the header doors by role', () => {
    expect(consoleAccess(me('admin'))).toEqual({
      rules: true,
      rulesWrite: true,
      backtest: true,
      admin: true,
      audit: true,
    });
    expect(consoleAccess(me('supervisor'))).toEqual({
      rules: true,
      rulesWrite: true,
      backtest: true,
      admin: false,
      audit: true,
    });
    expect(consoleAccess(me('operator'))).toEqual({
      rules: true,
      rulesWrite: false,
      backtest: true,
      admin: false,
      audit: false,
    });
    expect(consoleAccess(me('field'))).toEqual({
      rules: false,
      rulesWrite: false,
      backtest: false,
      admin: false,
      audit: false,
    });
    expect(consoleAccess(me('analyst'))).toMatchObject({ rules: true, rulesWrite: false, admin: false });
    expect(consoleAccess(me('display'))).toMatchObject({ rules: false, admin: false, audit: false });
  });

  it('shows alert actions only to those who may act, assign only to those who may assign', () => {
    expect(alertPermissions(me('operator'))).toEqual({ act: true, assign: true });
    expect(alertPermissions(me('field'))).toEqual({ act: true, assign: false });
    expect(alertPermissions(me('analyst'))).toEqual({ act: false, assign: false });
    expect(alertPermissions(me('display'))).toEqual({ act: false, assign: false });
  });

  it('lets nobody do anything when nobody is signed in', () => {
    expect(can(null, 'live.read')).toBe(false);
    expect(consoleAccess(null).rules).toBe(false);
    expect(alertPermissions(null)).toEqual({ act: false, assign: false });
  });
});

describe('session state', () => {
  beforeEach(() => session.set({ status: 'checking' }));

  it('ends a signed-in session with a notice, but a sign-out the person asked for has none', () => {
    signedIn(me('operator'));
    expect(currentMe()?.username).toBe('operator');
    sessionEnded();
    expect(session.get()).toEqual({ status: 'signedOut', ended: true });
    expect(currentMe()).toBeNull();
    signedIn(me('operator'));
    signedOut();
    expect(session.get()).toEqual({ status: 'signedOut', ended: false });
  });

  it('does not turn a login page or the first check into "session ended"', () => {
    sessionEnded();
    expect(session.get()).toEqual({ status: 'checking' });
    signedOut();
    sessionEnded();
    expect(session.get()).toEqual({ status: 'signedOut', ended: false });
  });
});

describe('the one fetch helper', () => {
  const answers: Response[] = [];
  beforeEach(() => {
    answers.length = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(answers.shift() ?? new Response(null, { status: 204 }))),
    );
    signedIn(me('operator'));
  });
  afterEach(() => vi.unstubAllGlobals());

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  it('ends the session on 401 and says so', async () => {
    answers.push(json(401, { error: { code: 'unauthorized', message: 'sign in first' } }));
    const failure = await call('GET', '/alerts').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApiFailure);
    expect(session.get()).toEqual({ status: 'signedOut', ended: true });
    expect(failureText(failure, tEn)).toBe('Your session ended, please sign in again');
  });

  it('keeps the session on 401 for anonymous calls (a wrong password)', async () => {
    answers.push(json(401, { error: { code: 'unauthorized', message: 'wrong username or password' } }));
    const failure = await call('POST', '/auth/login', { body: {}, anonymous: true }).catch((err: unknown) => err);
    expect(session.get().status).toBe('signedIn');
    expect(loginFailureText(failure, tEn)).toBe('Wrong username or password');
    expect(loginFailureText(failure, tVi)).toBe('Sai tên đăng nhập hoặc mật khẩu');
  });

  it('turns 403 into "not allowed for your role" and keeps the session', async () => {
    answers.push(json(403, { error: { code: 'forbidden', message: 'forbidden' } }));
    const failure = await call('POST', '/rules', { body: {} }).catch((err: unknown) => err);
    expect((failure as ApiFailure).code).toBe('forbidden');
    expect(session.get().status).toBe('signedIn');
    expect(failureText(failure, tEn)).toBe('Not allowed for your role');
  });

  it('reads Retry-After of a 429 into "try again in N min"', async () => {
    answers.push(json(429, { error: { code: 'too_many_requests', message: 'slow down' } }, { 'retry-after': '300' }));
    const failure = await call('POST', '/auth/login', { body: {}, anonymous: true }).catch((err: unknown) => err);
    expect((failure as ApiFailure).retryAfterS).toBe(300);
    expect(loginFailureText(failure, tEn)).toBe('Too many attempts, try again in 5 min');
    expect(loginFailureText(failure, tVi)).toBe('Đăng nhập sai quá nhiều lần, vui lòng thử lại sau 5 phút');
    expect(loginFailureText(new ApiFailure(429, 'too_many_requests', 'x'), tEn)).toBe(
      'Too many attempts, try again later',
    );
  });

  it('shows a 400 with the server message naming the key', async () => {
    answers.push(json(400, { error: { code: 'bad_request', message: 'password: at least 10 characters' } }));
    const failure = await call('POST', '/users', { body: {} }).catch((err: unknown) => err);
    expect(failureText(failure, tEn)).toContain('password: at least 10 characters');
  });
});

describe('Retry-After', () => {
  it('reads seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120);
    const now = Date.parse('2026-03-01T08:00:00Z');
    expect(parseRetryAfter('Sun, 01 Mar 2026 08:02:30 GMT', now)).toBe(150);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('rounds the wait up to whole minutes, at least one', () => {
    expect(retryMinutes(0)).toBe(1);
    expect(retryMinutes(1)).toBe(1);
    expect(retryMinutes(60)).toBe(1);
    expect(retryMinutes(61)).toBe(2);
    expect(retryMinutes(900)).toBe(15);
  });
});

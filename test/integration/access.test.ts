import { Validator } from '@seriousme/openapi-schema-validator';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role, TokenScope } from '../../contract/index.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

/*
 * Every route in the OpenAPI document × every role and token scope: 401 without identity, 403
 * for a role the role table refuses, through the door (and 2xx for list reads) for the others.
 * The expectations below are written from the product's role table (README, "Roles"), not read
 * from the code's policy module, so a drift between the two fails here.
 */

type Caller = { kind: 'none' } | { kind: 'role'; role: Role } | { kind: 'scope'; scope: TokenScope };

const ALL: Role[] = ['admin', 'supervisor', 'operator', 'field', 'analyst', 'display'];
/** Who may call what: [method path] → roles and scopes allowed; 'public' for everyone. */
const EXPECTED: Record<string, 'public' | 'any' | { roles: Role[]; scopes: TokenScope[] }> = {};
const allow = (roles: Role[], scopes: TokenScope[], ...routes: string[]) => {
  for (const route of routes) EXPECTED[route] = { roles, scopes };
};
for (const route of [
  'get /wall',
  'get /healthz',
  'get /readyz',
  'get /api/v1/auth/options',
  'post /api/v1/auth/login',
  'get /api/v1/auth/oidc/login',
  'get /api/v1/auth/oidc/callback',
]) {
  EXPECTED[route] = 'public';
}
for (const route of ['post /api/v1/auth/logout', 'get /api/v1/auth/me', 'get /api/v1/openapi.json'])
  EXPECTED[route] = 'any';
allow([], ['metrics'], 'get /metrics');
allow([], ['ingest'], 'post /api/v1/ingest');
allow(
  ALL,
  ['read', 'display'],
  'get /api/v1/entities',
  'get /api/v1/console-config',
  'get /api/v1/alerts',
  'get /api/v1/alerts/{id}',
  'get /api/v1/rule-names',
);
allow(
  ['admin', 'supervisor', 'operator', 'analyst'],
  ['read'],
  'get /api/v1/entities/{domain}/{id}/history',
  'post /api/v1/rules/{id}/backtest',
  'get /api/v1/rules',
  'get /api/v1/rules/{id}',
);
allow(
  ['admin', 'supervisor', 'operator', 'analyst'],
  ['read'],
  'get /api/v1/replay/state',
  'get /api/v1/replay/frames',
  'get /api/v1/replay/alerts',
  'get /api/v1/export',
);
allow(
  ['admin', 'supervisor', 'operator', 'analyst', 'display'],
  ['read', 'display'],
  'get /api/v1/kpis',
  'get /api/v1/quality',
);
allow(ALL, ['read', 'display'], 'get /api/v1/cameras/events');
allow(
  ['admin', 'supervisor'],
  [],
  'post /api/v1/rules',
  'put /api/v1/rules/{id}',
  'delete /api/v1/rules/{id}',
  'get /api/v1/audit',
);
allow(
  ['admin', 'supervisor', 'operator', 'field'],
  [],
  'post /api/v1/alerts/{id}/ack',
  'post /api/v1/alerts/{id}/snooze',
  'post /api/v1/alerts/{id}/resolve',
  'post /api/v1/alerts/{id}/note',
);
allow(['admin', 'supervisor', 'operator'], [], 'post /api/v1/alerts/{id}/assign');
// Citizen reports share the alerts' permissions; filing, tracking, rating and the place picker's map
// (wards and the basemap, which is a street map and not city data) are public.
for (const route of [
  'get /api/v1/reports/categories',
  'get /api/v1/reports/map',
  'get /basemap/{name}',
  'post /api/v1/reports',
  'get /api/v1/reports/track/{code}',
  'post /api/v1/reports/track/{code}/rating',
])
  EXPECTED[route] = 'public';
allow(ALL, ['read', 'display'], 'get /api/v1/reports', 'get /api/v1/reports/{id}', 'get /api/v1/attachments/{id}');
allow(
  ['admin', 'supervisor', 'operator', 'field'],
  [],
  'post /api/v1/reports/{id}/start',
  'post /api/v1/reports/{id}/resolve',
  'post /api/v1/reports/{id}/reject',
  'post /api/v1/reports/{id}/note',
  'post /api/v1/reports/{id}/attachments',
  'post /api/v1/alerts/{id}/attachments',
);
allow(['admin', 'supervisor', 'operator'], [], 'post /api/v1/reports/{id}/assign');
for (const route of ['/api/v1/users', '/api/v1/tokens', '/api/v1/devices'])
  allow(['admin'], [], `get ${route}`, `post ${route}`);
// Notifications: pushes go to people, so tokens are refused by the route itself (403) after the door lets them in.
for (const route of ['post /api/v1/push/ack', 'post /api/v1/notify/telegram']) EXPECTED[route] = 'public';
EXPECTED['get /api/v1/push/vapid-public-key'] = 'any';
allow(ALL, [], 'post /api/v1/push/subscriptions', 'delete /api/v1/push/subscriptions');
allow(['admin', 'supervisor', 'operator'], [], 'get /api/v1/notifications');
allow(['admin'], [], 'post /api/v1/notifications/test');
// Escalation policies: read like rules, written by whoever writes rules.
allow(
  ['admin', 'supervisor', 'operator', 'analyst'],
  ['read'],
  'get /api/v1/escalation-policies',
  'get /api/v1/escalation-policies/{id}',
);
allow(
  ['admin', 'supervisor'],
  [],
  'post /api/v1/escalation-policies',
  'put /api/v1/escalation-policies/{id}',
  'delete /api/v1/escalation-policies/{id}',
);
allow(
  ['admin'],
  [],
  'get /api/v1/users/{username}',
  'patch /api/v1/users/{username}',
  'delete /api/v1/users/{username}',
  'delete /api/v1/tokens/{id}',
  'delete /api/v1/devices/{id}',
);

const label = (caller: Caller) =>
  caller.kind === 'none' ? 'nobody' : caller.kind === 'role' ? caller.role : `token:${caller.scope}`;

describe('access: every route × every role', () => {
  let product: TestIoc;
  let document: { paths: Record<string, Record<string, unknown>> };
  const sessions = new Map<Role, ApiSession>();
  const tokens = new Map<TokenScope, string>();

  beforeAll(async () => {
    // Loopback ingest off, so ingest is judged like any other door.
    product = await startTestIoc({ mqtt: { port: 0 }, ingest: { allowLoopback: false } });
    sessions.set('admin', product.api);
    for (const role of ALL.filter((r) => r !== 'admin')) {
      const password = await product.api.createUser(`u-${role}`, [role], role === 'field' ? ['central'] : []);
      sessions.set(role, await signIn(product.baseUrl, `u-${role}`, password));
    }
    for (const scope of ['ingest', 'read', 'display', 'metrics'] as const)
      tokens.set(scope, await product.api.createToken([scope]));
    document = (await (await product.api.fetch('/api/v1/openapi.json')).json()) as typeof document;
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('serves an OpenAPI document that a standard validator accepts, listing exactly the routes of the role table', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const listed = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(Object.keys(EXPECTED).sort());
    // Uploads describe their form fields, so a client generator makes a file upload of them.
    const form = (path: string) =>
      (
        document.paths[path]?.post as {
          requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
        }
      ).requestBody.content['multipart/form-data']?.schema.properties;
    expect(form('/api/v1/alerts/{id}/attachments')).toEqual({ photo: { type: 'string', format: 'binary' } });
    expect(form('/api/v1/reports')).toEqual({
      report: { type: 'string' },
      photos: { type: 'array', items: { type: 'string', format: 'binary' } },
    });
  });

  it('answers 401 without identity, 403 for a refused role or scope, and lets the allowed ones through', async () => {
    const callers: Caller[] = [
      { kind: 'none' },
      ...ALL.map((role) => ({ kind: 'role', role }) as const),
      ...[...tokens.keys()].map((scope) => ({ kind: 'scope', scope }) as const),
    ];
    const failures: string[] = [];
    // Logout last: it ends the session the other calls use.
    const routes = Object.keys(EXPECTED).sort((a, b) => Number(a.includes('logout')) - Number(b.includes('logout')));
    let checked = 0;
    for (const route of routes) {
      const [method = 'get', template = ''] = route.split(' ');
      const path = template.replace(/\{[^}]+\}/g, 'x');
      const rule = EXPECTED[route];
      for (const caller of callers) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (caller.kind === 'scope') headers.authorization = `Bearer ${tokens.get(caller.scope)}`;
        const init: RequestInit = {
          method: method.toUpperCase(),
          headers,
          redirect: 'manual',
          ...(method === 'get' || method === 'delete' ? {} : { body: '{}' }),
        };
        const res =
          caller.kind === 'role'
            ? await (sessions.get(caller.role) as ApiSession).fetch(path, init)
            : await fetch(`${product.baseUrl}${path}`, init);
        const status = res.status;
        await res.arrayBuffer();
        checked += 1;
        const allowed =
          rule === 'public' ||
          (rule === 'any' && caller.kind !== 'none') ||
          (typeof rule === 'object' &&
            ((caller.kind === 'role' && rule.roles.includes(caller.role)) ||
              (caller.kind === 'scope' && rule.scopes.includes(caller.scope))));
        const expected = allowed ? 'through' : caller.kind === 'none' ? 401 : 403;
        const got = status === 401 || status === 403 ? status : status >= 500 ? `error ${status}` : 'through';
        if (got !== expected) failures.push(`${route} as ${label(caller)}: expected ${expected}, got ${status}`);
        // A read that is let through and needs no parameters answers 2xx.
        const parameters =
          (document.paths[template]?.[method] as { parameters?: { in: string; required: boolean }[] } | undefined)
            ?.parameters ?? [];
        const needsInput = parameters.some((p) => p.required);
        if (allowed && method === 'get' && !needsInput && !path.includes('oidc') && (status < 200 || status >= 300)) {
          failures.push(`${route} as ${label(caller)}: allowed but answered ${status}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(routes.length * callers.length);
    // The walk ended every session with logout: sign in again for the tests below.
    expect((await product.api.fetch('/api/v1/auth/me')).status).toBe(401);
    for (const role of ALL)
      sessions.set(
        role,
        await signIn(
          product.baseUrl,
          role === 'admin' ? 'admin' : `u-${role}`,
          role === 'admin' ? undefined : `pw-u-${role}-0123456789`,
        ),
      );
    product.api = sessions.get('admin') as ApiSession;
  });

  it('refuses a socket without identity and accepts a session or a token', async () => {
    const attempt = (options: Record<string, unknown>) =>
      new Promise<string>((resolve) => {
        const socket = connect(`${product.baseUrl}/live`, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          ...options,
        });
        socket.once('connect', () => {
          socket.disconnect();
          resolve('connected');
        });
        socket.once('connect_error', (err) => {
          socket.disconnect();
          resolve(err.message);
        });
      });
    expect(await attempt({})).toBe('unauthorized');
    expect(await attempt({ auth: { token: 'ioc_not-a-real-token' } })).toBe('unauthorized');
    expect(await attempt({ extraHeaders: { cookie: 'ioc_session=s%3Aforged.signature' } })).toBe('unauthorized');
    expect(await attempt({ auth: { token: tokens.get('ingest') } })).toBe('unauthorized');
    expect(await attempt({ auth: { token: tokens.get('display') } })).toBe('connected');
    expect(await attempt({ extraHeaders: { cookie: (sessions.get('field') as ApiSession).cookie } })).toBe('connected');
  });

  it('lets a read token export open data, and audits the export', async () => {
    const ts = Date.now() - 60_000;
    const ingest = await product.api.fetch('/api/v1/ingest', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get('ingest')}` },
      json: [{ domain: 'sensor', id: 'open-1', ts, lat: 21.27, lon: 106.19, fields: { pm25: 12.5 } }],
    });
    expect(ingest.status).toBe(202);
    const url = `${product.baseUrl}/api/v1/export?format=csv&domain=sensor&ids=open-1&from=${ts - 1000}&to=${ts + 1000}`;
    const res = await waitFor(
      async () => {
        const answer = await fetch(url, { headers: { authorization: `Bearer ${tokens.get('read')}` } });
        const text = await answer.text();
        return text.includes('open-1') ? { answer, text } : undefined;
      },
      'the observation in the export',
      5_000,
    );
    expect(res.answer.headers.get('content-disposition')).toMatch(/^attachment; filename="ioc-sensor-.*\.csv"$/);
    expect(res.text.split('\r\n')[1]).toContain('open-1');
    expect(res.text).toContain('12.5');
    const audit = (await (await product.api.fetch('/api/v1/audit?action=export')).json()) as {
      entries: { actor: string; target: string }[];
    };
    expect(audit.entries[0]).toMatchObject({ actor: 'token:test-read', target: 'csv' });
  });

  it('refuses a cross-site write carrying the session cookie', async () => {
    const res = await product.api.fetch('/api/v1/tokens', {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
      json: { name: 'x', scopes: ['read'] },
    });
    expect(res.status).toBe(403);
    const listed = (await (await product.api.fetch('/api/v1/tokens')).json()) as { tokens: { name: string }[] };
    expect(listed.tokens.some((t) => t.name === 'x')).toBe(false);
    const sameSite = await product.api.fetch('/api/v1/tokens', {
      method: 'POST',
      headers: { origin: product.baseUrl },
      json: { name: 'y', scopes: ['read'] },
    });
    expect(sameSite.status).toBe(201);
  });

  it('sends security headers on the console and the API', async () => {
    for (const path of ['/', '/api/v1/auth/options']) {
      const res = await fetch(`${product.baseUrl}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuthOptions, Me } from '../../contract/index.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { freePort } from '../support/ports.js';

/** The little of oidc-provider (which ships no types) this test uses. */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type OidcProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

const ADMIN_PASSWORD = 'test-admin-password';
const CLIENT_ID = 'ioc-console';
const CLIENT_SECRET = 'ioc-console-client-secret';
const CALLBACK_PATH = '/api/v1/auth/oidc/callback';

/** People at the provider: their claims as the provider hands them out. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: {
    preferred_username: 'Alice',
    name: 'Alice Nguyen',
    roles: ['ioc-operators', 'canteen-committee'],
    zones: ['district-1', 'district-3'],
  },
  carol: { preferred_username: 'carol', name: 'Carol Tran', roles: 'ioc-supervisors ioc-field', zones: ['district-7'] },
  bob: { preferred_username: 'bob', name: 'Bob Le', roles: ['canteen-committee'], zones: [] },
  mallory: { preferred_username: 'admin', name: 'Not The Admin', roles: ['ioc-operators'], zones: [] },
};

/** Cookies by name (the provider scopes some by path; sending them all is harmless here). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** Signs `account` in at the provider's development login and consent forms; returns the callback URL it sends the browser to. */
async function signInAtProvider(authorizationUrl: string, account: string): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(authorizationUrl);
  let res = await fetch(url, { redirect: 'manual' });
  for (let step = 0; step < 20; step += 1) {
    jar.store(res);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') ?? '', url);
      if (url.pathname === CALLBACK_PATH) return url;
      res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`provider answered ${res.status} at ${url.pathname}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (action === undefined || prompt === undefined)
      throw new Error(`no login or consent form at ${url.pathname}: ${html.slice(0, 500)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', account);
      form.set('password', 'any password');
    }
    url = new URL(action, url);
    res = await fetch(url, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: jar.header() } });
  }
  throw new Error('the provider never sent the browser back');
}

describe('OpenID Connect single sign-on against oidc-provider', () => {
  let ioc: TestIoc;
  let providerServer: Server | undefined;
  let issuer: string;

  /** The whole browser round trip: product login → provider forms → product callback. */
  async function singleSignOn(
    account: string,
    tamper?: (callback: URL) => void,
  ): Promise<{ location: string; jar: CookieJar }> {
    const jar = new CookieJar();
    const start = await fetch(`${ioc.baseUrl}/api/v1/auth/oidc/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    jar.store(start);
    const callback = await signInAtProvider(start.headers.get('location') ?? '', account);
    tamper?.(callback);
    // publicUrl defaults to http://localhost:<port>; the product listens on 127.0.0.1.
    callback.hostname = '127.0.0.1';
    const back = await fetch(callback, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(back);
    expect(back.status).toBe(302);
    return { location: back.headers.get('location') ?? '', jar };
  }

  /** GET `path` as the local admin (password sign-in). */
  async function asAdmin(path: string): Promise<Response> {
    const login = await fetch(`${ioc.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const jar = new CookieJar();
    jar.store(login);
    return fetch(`${ioc.baseUrl}${path}`, { headers: { cookie: jar.header() } });
  }

  const me = (jar: CookieJar) => fetch(`${ioc.baseUrl}/api/v1/auth/me`, { headers: { cookie: jar.header() } });

  beforeAll(async () => {
    const providerPort = await freePort();
    issuer = `http://127.0.0.1:${providerPort}`;
    // The provider starts after the product: the product must start without it and retry discovery.
    ioc = await startTestIoc({
      auth: {
        adminPassword: ADMIN_PASSWORD,
        oidc: {
          issuer,
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          scopes: 'openid profile roles zones',
          rolesClaim: 'roles',
          zonesClaim: 'zones',
          roleMap: { 'ioc-operators': ['operator'], 'ioc-supervisors': ['supervisor'], 'ioc-field': ['field'] },
          label: 'Sign in with City SSO',
        },
      },
    });
  });

  afterAll(async () => {
    await ioc?.stop();
    if (providerServer) {
      providerServer.closeAllConnections();
      await new Promise<void>((resolve) => providerServer?.close(() => resolve()));
    }
  });

  it('answers 503 while the provider is down, then works once it is up', async () => {
    const down = await fetch(`${ioc.baseUrl}/api/v1/auth/oidc/login`, { redirect: 'manual' });
    expect(down.status).toBe(503);
    const body = (await down.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toContain(issuer);
    expect(body.error.message).toContain('ECONNREFUSED');

    // oidc-provider ships no types: import it through a specifier the compiler does not resolve.
    const specifier = 'oidc-provider';
    const { default: Provider } = (await import(specifier)) as { default: OidcProviderClass };
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`http://localhost:${ioc.ioc.port}${CALLBACK_PATH}`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
      claims: { openid: ['sub'], profile: ['preferred_username', 'name'], roles: ['roles'], zones: ['zones'] },
      cookies: { keys: ['oidc-test-cookie-key'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      findAccount: (_ctx: unknown, sub: string) => {
        const claims = ACCOUNTS[sub];
        return claims ? { accountId: sub, claims: () => ({ sub, ...claims }) } : undefined;
      },
    });
    const server = createServer(provider.callback());
    providerServer = server;
    await new Promise<void>((resolve) => server.listen(Number(new URL(issuer).port), '127.0.0.1', resolve));

    const up = await fetch(`${ioc.baseUrl}/api/v1/auth/oidc/login`, { redirect: 'manual' });
    expect(up.status).toBe(302);
    const location = new URL(up.headers.get('location') ?? '');
    expect(location.origin).toBe(issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(location.searchParams.get('redirect_uri')).toBe(`http://localhost:${ioc.ioc.port}${CALLBACK_PATH}`);
  });

  it('offers the single-sign-on button', async () => {
    const options = (await (await fetch(`${ioc.baseUrl}/api/v1/auth/options`)).json()) as AuthOptions;
    expect(options.oidc).toEqual({ label: 'Sign in with City SSO', url: '/api/v1/auth/oidc/login' });
  });

  it('signs a person in with the mapped roles, zones and username', async () => {
    const { location, jar } = await singleSignOn('alice');
    expect(location).toBe('/');
    expect(jar.has('ioc_session')).toBe(true);
    const res = await me(jar);
    expect(res.status).toBe(200);
    const who = (await res.json()) as Me;
    expect(who).toMatchObject({
      username: 'alice',
      displayName: 'Alice Nguyen',
      roles: ['operator'],
      zones: ['district-1', 'district-3'],
      kind: 'session',
    });

    const user = (await (await asAdmin('/api/v1/users/alice')).json()) as { source: string; roles: string[] };
    expect(user).toMatchObject({ source: 'oidc', roles: ['operator'] });
  });

  it('maps a space-separated roles claim, and takes roles and zones from the claims on every sign-in', async () => {
    const first = await singleSignOn('carol');
    expect(first.location).toBe('/');
    expect((await (await me(first.jar)).json()) as Me).toMatchObject({
      username: 'carol',
      roles: ['supervisor', 'field'],
      zones: ['district-7'],
    });

    ACCOUNTS.carol = { ...ACCOUNTS.carol, roles: 'ioc-field', zones: ['district-8'] };
    const again = await singleSignOn('carol');
    expect(again.location).toBe('/');
    expect((await (await me(again.jar)).json()) as Me).toMatchObject({
      username: 'carol',
      roles: ['field'],
      zones: ['district-8'],
    });
  });

  it('refuses a disabled single-sign-on user', async () => {
    const login = await fetch(`${ioc.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const admin = new CookieJar();
    admin.store(login);
    const disable = await fetch(`${ioc.baseUrl}/api/v1/users/carol`, {
      method: 'PATCH',
      headers: { cookie: admin.header(), 'content-type': 'application/json' },
      body: JSON.stringify({ disabled: true }),
    });
    expect(disable.status).toBe(200);
    const { location, jar } = await singleSignOn('carol');
    expect(location).toBe('/?login_error=disabled');
    expect((await me(jar)).status).toBe(401);
  });

  it('refuses a person without a mapped role', async () => {
    const { location, jar } = await singleSignOn('bob');
    expect(location).toBe('/?login_error=no_role');
    expect((await me(jar)).status).toBe(401);
    expect((await asAdmin('/api/v1/users/bob')).status).toBe(404);
  });

  it('never takes over a local account with the same username', async () => {
    const { location, jar } = await singleSignOn('mallory');
    expect(location).toBe('/?login_error=account_conflict');
    expect((await me(jar)).status).toBe(401);
    const user = (await (await asAdmin('/api/v1/users/admin')).json()) as { source: string; displayName: string };
    expect(user.source).toBe('local');
  });

  it('refuses a callback whose state was tampered with', async () => {
    const { location, jar } = await singleSignOn('alice', (callback) =>
      callback.searchParams.set('state', 'forged-state'),
    );
    expect(location).toBe('/?login_error=failed');
    expect((await me(jar)).status).toBe(401);
  });

  it('refuses a callback without a sign-in started in the same session', async () => {
    const start = await fetch(`${ioc.baseUrl}/api/v1/auth/oidc/login`, { redirect: 'manual' });
    const callback = await signInAtProvider(start.headers.get('location') ?? '', 'alice');
    callback.hostname = '127.0.0.1';
    const back = await fetch(callback, { redirect: 'manual' });
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/?login_error=failed');
  });

  it('audits the single-sign-on logins and the refusals', async () => {
    const logins = ((await (await asAdmin('/api/v1/audit?action=login')).json()) as { entries: AuditEntry[] }).entries;
    expect(logins).toContainEqual(
      expect.objectContaining({ actor: 'alice', target: 'alice', details: { method: 'oidc' } }),
    );
    const failed = ((await (await asAdmin('/api/v1/audit?action=login_failed')).json()) as { entries: AuditEntry[] })
      .entries;
    expect(failed).toContainEqual(
      expect.objectContaining({ actor: 'bob', details: expect.objectContaining({ method: 'oidc' }) as unknown }),
    );
    expect(failed).toContainEqual(
      expect.objectContaining({ actor: 'admin', details: expect.objectContaining({ method: 'oidc' }) as unknown }),
    );
    const stateRefusal = failed.find((e) => e.actor === 'oidc' && String(e.details.reason).includes('"state"'));
    expect(stateRefusal).toBeDefined();
  });
});

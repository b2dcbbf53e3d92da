import type { TokenScope } from '../../contract/index.js';

/** The admin password every test product is started with (config `auth.adminPassword`). */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

/** A signed-in client of the product's REST API (cookie session), for tests. */
export interface ApiSession {
  baseUrl: string;
  /** `ioc_session=…`, for socket.io `extraHeaders` or raw requests. */
  cookie: string;
  /** fetch with the session cookie and a same-origin Origin on writes; `path` from the server root. */
  fetch(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Creates an API token with these scopes (as admin) and returns its secret. */
  createToken(scopes: TokenScope[], name?: string): Promise<string>;
  /** Creates a user with a password (as admin); returns the password. */
  createUser(username: string, roles: string[], zones?: string[]): Promise<string>;
}

/** Signs in with a password and returns a session; throws with the server's answer when refused. */
export async function signIn(baseUrl: string, username = 'admin', password = TEST_ADMIN_PASSWORD): Promise<ApiSession> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in as ${username} failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = /ioc_session=[^;]+/.exec(setCookie)?.[0];
  if (cookie === undefined) throw new Error('sign-in answered without an ioc_session cookie');
  const session: ApiSession = {
    baseUrl,
    cookie,
    fetch: (path, init = {}) => {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('cookie', cookie);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${baseUrl}${path}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    async createToken(scopes, name = `test-${scopes.join('-')}`) {
      const created = await session.fetch('/api/v1/tokens', { method: 'POST', json: { name, scopes } });
      if (created.status !== 201) throw new Error(`token not created: ${created.status} ${await created.text()}`);
      return ((await created.json()) as { token: string }).token;
    },
    async createUser(username, roles, zones = []) {
      const password = `pw-${username}-0123456789`;
      const created = await session.fetch('/api/v1/users', { method: 'POST', json: { username, roles, zones, password } });
      if (created.status !== 201) throw new Error(`user not created: ${created.status} ${await created.text()}`);
      return password;
    },
  };
  return session;
}

const metricsTokens = new Map<string, Promise<string>>();

/** GET /metrics as Prometheus would: with a `metrics` token (made once per product, as admin). */
export async function fetchMetrics(baseUrl: string): Promise<string> {
  let token = metricsTokens.get(baseUrl);
  if (token === undefined) {
    token = signIn(baseUrl).then((admin) => admin.createToken(['metrics'], 'test-metrics'));
    metricsTokens.set(baseUrl, token);
    token.catch(() => metricsTokens.delete(baseUrl));
  }
  const res = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${await token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  return res.text();
}

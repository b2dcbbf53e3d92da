import express, { type Request, type Router } from 'express';
import { LoginRequestSchema, type AuthOptions, type LoginResponse } from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { badRequest } from '../http/errors.js';
import { identityOfStoredUser, meOf, TooManyAttemptsError, type AuthService } from './auth-service.js';
import { clientIp, identityOf } from './request.js';
import { sha256Hex } from './secrets.js';

/** Display sessions (wall screens) never idle out; the cookie lasts as long as browsers keep one. */
const DISPLAY_SESSION_MS = 400 * 86_400_000;

export interface AuthRoutesDeps {
  auth: AuthService;
  audit: AuditLog;
  idleTimeout: number;
  /** Present when single sign-on is configured. */
  oidc?: { label: string };
}

/** Whether a person holds only the read-only wall role. */
export function isDisplayOnly(roles: readonly string[]): boolean {
  return roles.length > 0 && roles.every((role) => role === 'display');
}

/** Puts a person into a fresh session (a new id on every sign-in, so a planted cookie is useless). */
export function startSession(req: Request, username: string, display: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err as Error);
      req.session.username = username;
      req.session.display = display;
      if (display) req.session.cookie.maxAge = DISPLAY_SESSION_MS;
      req.session.save((saveErr) => (saveErr ? reject(saveErr as Error) : resolve()));
    });
  });
}

/** A wall display's session: it stands for the display token (by its hash) and never idles out. */
function startTokenSession(req: Request, tokenHash: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err as Error);
      req.session.tokenHash = tokenHash;
      req.session.display = true;
      req.session.cookie.maxAge = DISPLAY_SESSION_MS;
      req.session.save((saveErr) => (saveErr ? reject(saveErr as Error) : resolve()));
    });
  });
}

/**
 * `GET /wall?token=<display token>`: trades the token for a display session and sends the browser
 * to `/wall` without it, so the secret leaves the address bar and the history. Revoking the token
 * ends the session.
 */
export function createWallEntryRouter(deps: { auth: AuthService; audit: AuditLog }): Router {
  const router = express.Router();
  router.get('/wall', async (req, res, next) => {
    const token = req.query.token;
    if (typeof token !== 'string') return next();
    const identity = await deps.auth.identityOfToken(token);
    if (identity === undefined || !identity.scopes.includes('display')) {
      deps.audit.record({ actor: 'display token', action: 'login_failed', target: 'wall', ip: clientIp(req), details: { method: 'display token' } });
      res.redirect(303, '/?login_error=bad_token');
      return;
    }
    await startTokenSession(req, sha256Hex(token));
    deps.audit.record({ actor: identity.name, action: 'login', target: 'wall', ip: clientIp(req), details: { method: 'display token' } });
    res.redirect(303, '/wall');
  });
  return router;
}

/** Login, logout, who-am-I and the login page's options. */
export function createAuthRouter(deps: AuthRoutesDeps): Router {
  const { auth, audit } = deps;
  const router = express.Router();

  router.get('/auth/options', (_req, res) => {
    const body: AuthOptions = deps.oidc ? { oidc: { label: deps.oidc.label, url: '/api/v1/auth/oidc/login' } } : {};
    res.json(body);
  });

  router.post('/auth/login', async (req, res) => {
    const parsed = LoginRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const ip = clientIp(req);
    // What the person typed, bounded and without control characters, is the actor of a failed attempt.
    const attempted = parsed.data.username.trim().toLowerCase().replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
    try {
      const user = await auth.login(parsed.data.username, parsed.data.password, ip);
      const display = isDisplayOnly(user.roles);
      await startSession(req, user.username, display);
      audit.record({ actor: user.username, action: 'login', target: user.username, ip, details: { method: 'password' } });
      const body: LoginResponse = { user: meOf(identityOfStoredUser(user), display ? undefined : deps.idleTimeout) };
      res.json(body);
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 401 || status === 429) {
        audit.record({ actor: attempted, action: 'login_failed', target: attempted, ip, details: { reason: status === 429 ? 'throttled' : 'wrong credentials' } });
      }
      if (err instanceof TooManyAttemptsError) res.set('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
      throw err;
    }
  });

  router.post('/auth/logout', async (req, res) => {
    const identity = identityOf(req);
    // A person's session or a wall display's; a bearer token has no session to end.
    if (req.session?.username !== undefined || req.session?.tokenHash !== undefined) {
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      audit.record({ actor: identity.name, action: 'logout', target: identity.name, ip: clientIp(req), details: {} });
    }
    res.clearCookie('ioc_session', { path: '/' });
    res.status(204).end();
  });

  router.get('/auth/me', (req, res) => {
    const identity = identityOf(req);
    const display = req.session?.display === true;
    res.json(meOf(identity, identity.kind === 'session' && !display ? deps.idleTimeout : undefined));
  });

  return router;
}

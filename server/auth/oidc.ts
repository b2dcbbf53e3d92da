import express, { type Request, type Response, type Router } from 'express';
import * as client from 'openid-client';
import { ROLES, UsernameSchema, ZoneIdSchema, type Role } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import type { AuditLog } from '../audit/audit-log.js';
import { HttpError } from '../http/errors.js';
import { StateConflictError, type StateStore, type StoredUser } from '../state/types.js';
import type { AuthService } from './auth-service.js';
import { clientIp } from './request.js';
import { isDisplayOnly, startSession } from './routes.js';
import { isLoopbackHost } from '../net/loopback.js';

export type OidcConfig = NonNullable<Config['auth']['oidc']>;

/** A sign-in started at the provider, kept server-side until the browser comes back. */
declare module 'express-session' {
  interface SessionData {
    oidc: { state: string; nonce: string; codeVerifier: string; startedAt: number };
  }
}

const CALLBACK_PATH = '/api/v1/auth/oidc/callback';
/** A sign-in not finished at the provider within this long is refused on return. */
const PENDING_LOGIN_MS = 10 * 60_000;
/** Discovery gives up after this (seconds); the login page then answers 503 quickly. */
const DISCOVERY_TIMEOUT_S = 10;

/** Why a sign-in was refused: the `login_error` the console shows. */
type LoginError = 'no_role' | 'account_conflict' | 'disabled' | 'bad_username' | 'unavailable' | 'failed';

class LoginRefused extends Error {
  constructor(
    readonly code: LoginError,
    readonly reason: string,
    readonly username?: string,
  ) {
    super(reason);
  }
}

export interface OidcRouterDeps {
  oidc: OidcConfig;
  /** Where people open the console; known only once the port is bound. */
  publicUrl: () => string;
  state: StateStore;
  audit: AuditLog;
  /** Forgets the cached identity of a user whose roles or zones a sign-in just changed. */
  auth?: Pick<AuthService, 'forget'>;
  logger: Logger;
  clock?: () => number;
}

/** An error's message with its cause's, which openid-client and fetch keep the useful part in. */
function messageOf(err: unknown): string {
  const { message, cause } = err as Error;
  return cause instanceof Error ? `${message}: ${cause.message}` : message;
}

/**
 * Discovers the provider on first use and keeps the result; a failed discovery is forgotten so the
 * next sign-in tries again (the product starts while the provider is down).
 */
function lazyDiscovery(oidc: OidcConfig): () => Promise<client.Configuration> {
  let pending: Promise<client.Configuration> | undefined;
  const discover = async () => {
    const issuer = new URL(oidc.issuer);
    const insecure = issuer.protocol === 'http:';
    if (insecure && !isLoopbackHost(issuer.hostname)) {
      throw new Error(`auth.oidc.issuer ${oidc.issuer} uses plain http; only a loopback provider may (use https)`);
    }
    return client.discovery(issuer, oidc.clientId, oidc.clientSecret, undefined, {
      timeout: DISCOVERY_TIMEOUT_S,
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    });
  };
  return () => {
    pending ??= discover().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/** Claim values as a list: a JSON array, or a space-separated string. */
function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Product roles for the claim's values through `roleMap`, in the product's role order; unknown values are ignored. */
export function mapRoles(claim: unknown, roleMap: Record<string, Role[]>): Role[] {
  const granted = new Set<Role>();
  for (const value of claimValues(claim)) {
    if (Object.hasOwn(roleMap, value)) for (const role of roleMap[value] ?? []) granted.add(role);
  }
  return ROLES.filter((role) => granted.has(role));
}

function zonesOf(claim: unknown): string[] {
  return [...new Set(claimValues(claim))].filter((zone) => ZoneIdSchema.safeParse(zone).success).slice(0, 500);
}

/** The OpenID Connect sign-in routes: to the provider and back (code flow, PKCE S256, state, nonce). */
export function createOidcRouter(deps: OidcRouterDeps): Router {
  const { oidc, state, audit, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const configuration = lazyDiscovery(oidc);
  const router = express.Router();

  const unavailable = (err: unknown) => {
    logger.warn('OpenID Connect provider unavailable', { issuer: oidc.issuer, error: messageOf(err) });
    return new HttpError(
      503,
      'unavailable',
      `Single sign-on is unavailable: the provider ${oidc.issuer} could not be reached (${messageOf(err)}). Try again later, or sign in with a password.`,
    );
  };

  router.get('/auth/oidc/login', async (req, res) => {
    const config = await configuration().catch((err: unknown) => {
      throw unavailable(err);
    });
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier, startedAt: clock() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${deps.publicUrl()}${CALLBACK_PATH}`,
      scope: oidc.scopes,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    req.session.oidc = pending;
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err as Error) : resolve())));
    res.redirect(302, url.href);
  });

  /** Exchanges the code and returns the claims (ID token first, userinfo when the roles claim is missing there). */
  const claimsOf = async (req: Request): Promise<Record<string, unknown>> => {
    const pending = req.session.oidc;
    delete req.session.oidc;
    if (!pending) throw new LoginRefused('failed', 'no sign-in in progress in this session');
    if (clock() - pending.startedAt > PENDING_LOGIN_MS) throw new LoginRefused('failed', 'the sign-in took too long');
    const config = await configuration().catch((err: unknown) => {
      throw new LoginRefused('unavailable', `provider unavailable: ${messageOf(err)}`);
    });
    const currentUrl = new URL(`${deps.publicUrl()}${CALLBACK_PATH}${new URL(req.originalUrl, 'http://x').search}`);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      const reason =
        err instanceof client.AuthorizationResponseError
          ? `provider answered ${err.error}`
          : `code exchange failed: ${messageOf(err)}`;
      throw new LoginRefused('failed', reason);
    }
    const idClaims: Record<string, unknown> = { ...tokens.claims() };
    if (idClaims[oidc.rolesClaim] !== undefined) return idClaims;
    const userinfo = await client
      .fetchUserInfo(config, tokens.access_token, String(idClaims.sub))
      .catch((err: unknown) => {
        throw new LoginRefused('failed', `userinfo failed: ${messageOf(err)}`);
      });
    return { ...userinfo, ...idClaims };
  };

  /** Creates or refreshes the single-sign-on user from the claims; a local account is never taken over. */
  const upsertUser = async (claims: Record<string, unknown>): Promise<StoredUser> => {
    const rawName = claims[oidc.usernameClaim];
    const parsed = UsernameSchema.safeParse(typeof rawName === 'string' ? rawName.trim().toLowerCase() : '');
    if (!parsed.success) throw new LoginRefused('bad_username', `claim ${oidc.usernameClaim} is not a usable username`);
    const username = parsed.data;
    const roles = mapRoles(claims[oidc.rolesClaim], oidc.roleMap);
    if (roles.length === 0) throw new LoginRefused('no_role', `no role mapped from claim ${oidc.rolesClaim}`, username);
    const now = clock();
    const fromClaims = {
      displayName:
        typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.trim().slice(0, 128) : username,
      roles,
      zones: oidc.zonesClaim ? zonesOf(claims[oidc.zonesClaim]) : [],
      ...(typeof claims.email === 'string' ? { email: claims.email.slice(0, 254) } : {}),
    };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const existing = await state.getUser(username);
      if (existing?.source === 'local')
        throw new LoginRefused('account_conflict', 'a local account has this username', username);
      if (existing?.disabled) throw new LoginRefused('disabled', 'the account is disabled', username);
      if (existing) {
        const updated = await state.updateUser({ ...existing, ...fromClaims, updatedAt: now, lastLoginAt: now });
        deps.auth?.forget(`user:${username}`);
        if (updated) return updated;
        continue;
      }
      const user: StoredUser = {
        username,
        ...fromClaims,
        disabled: false,
        source: 'oidc',
        createdAt: now,
        updatedAt: now,
        lastLoginAt: now,
      };
      try {
        await state.createUser(user);
        return user;
      } catch (err) {
        // Two sign-ins of a new user at once: the other one created it; update it instead.
        if (!(err instanceof StateConflictError)) throw err;
      }
    }
    throw new LoginRefused('failed', 'the user changed while signing in');
  };

  router.get('/auth/oidc/callback', async (req: Request, res: Response) => {
    const ip = clientIp(req);
    try {
      const user = await upsertUser(await claimsOf(req));
      await startSession(req, user.username, isDisplayOnly(user.roles));
      audit.record({ actor: user.username, action: 'login', target: user.username, ip, details: { method: 'oidc' } });
      res.redirect(302, '/');
    } catch (err) {
      if (!(err instanceof LoginRefused)) throw err;
      const who = err.username ?? 'oidc';
      logger.warn('single sign-on refused', { username: who, reason: err.reason });
      audit.record({
        actor: who,
        action: 'login_failed',
        target: who,
        ip,
        details: { method: 'oidc', reason: err.reason },
      });
      res.redirect(302, `/?login_error=${err.code}`);
    }
  });

  return router;
}

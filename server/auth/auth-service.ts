import type { Me, User } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import { HttpError } from '../http/errors.js';
import type { StateStore, StoredToken, StoredUser } from '../state/types.js';
import type { LoginThrottle } from './login-throttle.js';
import { permissionsOf, type Identity } from './policy.js';
import { decoyPasswordHash, sha256Hex, TOKEN_PREFIX, verifyPassword } from './secrets.js';

/** How long a looked-up user or token is reused before the store is asked again (revocation delay). */
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;

export interface AuthService {
  /** Checks a password login; throws 429 (with retryAfterMs) when throttled, 401 when wrong. */
  login(username: string, password: string, ip: string): Promise<StoredUser>;
  /** The identity of a signed-in username, or undefined when the user is gone or disabled. */
  identityOfUser(username: string): Promise<Identity | undefined>;
  /** The identity of a bearer token secret, or undefined when unknown, revoked or expired. */
  identityOfToken(secret: string): Promise<Identity | undefined>;
  /** The same, from the SHA-256 of the secret (a wall display's session keeps only that). */
  identityOfTokenHash(hash: string): Promise<Identity | undefined>;
  /** Forgets cached lookups (after a user or token changed on this node). */
  forget(key?: string): void;
}

export class TooManyAttemptsError extends HttpError {
  constructor(readonly retryAfterMs: number) {
    super(429, 'too_many_requests', `Too many failed sign-in attempts: try again in ${Math.ceil(retryAfterMs / 60_000)} min.`);
  }
}

/** The API's view of a user: everything but the password hash. */
export function publicUser(user: StoredUser): User {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

export function identityOfStoredUser(user: StoredUser): Identity {
  return { kind: 'session', name: user.username, displayName: user.displayName, roles: user.roles, scopes: [], zones: user.zones };
}

function identityOfStoredToken(token: StoredToken): Identity {
  return { kind: 'token', name: `token:${token.name}`, displayName: token.name, roles: [], scopes: token.scopes, zones: [], tokenId: token.id };
}

/** `GET /auth/me`. */
export function meOf(identity: Identity, idleTimeout?: number): Me {
  return {
    username: identity.name,
    displayName: identity.displayName,
    roles: [...identity.roles],
    zones: [...identity.zones],
    kind: identity.kind,
    ...(identity.kind === 'token' ? { scopes: [...identity.scopes] } : {}),
    ...(idleTimeout !== undefined ? { idleTimeout } : {}),
    permissions: permissionsOf(identity),
  };
}

export function createAuthService(deps: {
  state: StateStore;
  throttle: LoginThrottle;
  logger: Logger;
  clock?: () => number;
}): AuthService {
  const { state, throttle, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const cache = new Map<string, { at: number; identity: Identity | undefined }>();
  const lastTouched = new Map<string, number>();

  const cached = async (key: string, load: () => Promise<Identity | undefined>): Promise<Identity | undefined> => {
    const now = clock();
    const hit = cache.get(key);
    if (hit && now - hit.at < CACHE_MS) return hit.identity;
    const identity = await load();
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, { at: now, identity });
    return identity;
  };

  const identityOfTokenHash = async (hash: string): Promise<Identity | undefined> => {
    const identity = await cached(`token:${hash}`, async () => {
      const token = await state.findTokenByHash(hash);
      if (!token || (token.expiresAt !== undefined && token.expiresAt <= clock())) return undefined;
      return identityOfStoredToken(token);
    });
    const tokenId = identity?.tokenId;
    if (tokenId !== undefined) {
      // lastUsedAt at most once a minute per token: a busy ingest token must not write on every request.
      const now = clock();
      if (now - (lastTouched.get(tokenId) ?? 0) > 60_000) {
        lastTouched.set(tokenId, now);
        state.touchToken(tokenId, now).catch((err: Error) => logger.warn('token last-use not recorded', { error: err.message }));
      }
    }
    return identity;
  };

  return {
    async login(username, password, ip) {
      const name = username.trim().toLowerCase();
      const wait = await throttle.blockedFor(name, ip);
      if (wait > 0) throw new TooManyAttemptsError(wait);
      const user = await state.getUser(name);
      // Same work whether or not the user exists, so timing does not reveal usernames.
      const ok = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
      if (!user || !ok || user.disabled || user.passwordHash === undefined) {
        const blocked = await throttle.failed(name, ip);
        if (blocked > 0) throw new TooManyAttemptsError(blocked);
        throw new HttpError(401, 'unauthorized', 'Wrong username or password.');
      }
      await throttle.succeeded(name, ip);
      const signedIn = { ...user, lastLoginAt: clock() };
      await state.updateUser(signedIn);
      cache.delete(`user:${name}`);
      return signedIn;
    },

    identityOfUser: (username) =>
      cached(`user:${username}`, async () => {
        const user = await state.getUser(username);
        return user && !user.disabled ? identityOfStoredUser(user) : undefined;
      }),

    identityOfToken(secret) {
      if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200) return Promise.resolve(undefined);
      return identityOfTokenHash(sha256Hex(secret));
    },
    identityOfTokenHash,

    forget(key) {
      if (key === undefined) cache.clear();
      else cache.delete(key);
    },
  };
}

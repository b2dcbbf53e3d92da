import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError } from '../http/errors.js';
import { isLoopbackAddress } from '../net/loopback.js';
import type { MatchedRoute } from '../http/route-catalog.js';
import type { AuthService } from './auth-service.js';
import { allows, type Identity } from './policy.js';
import { setIdentity } from './request.js';
import { safeEqual } from './secrets.js';

export interface AuthorizerOptions {
  auth: AuthService;
  matchRoute: (method: string, path: string) => MatchedRoute | undefined;
  /** Ingest from a loopback address needs no credentials. */
  allowLoopbackIngest: boolean;
  /** Static ingest tokens from the config file (compared in constant time). */
  ingestTokens: readonly string[];
}

function bearerOf(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header === undefined) return undefined;
  const [scheme, value] = header.split(' ', 2);
  // `Token` as InfluxDB clients (Telegraf) send it, `Bearer` for everything else.
  const kind = scheme?.toLowerCase();
  return (kind === 'bearer' || kind === 'token') && value ? value.trim() : undefined;
}

const INGEST_IDENTITY: Identity = { kind: 'token', name: 'ingest:config', displayName: 'config ingest token', roles: [], scopes: ['ingest'], zones: [] };
const LOOPBACK_INGEST: Identity = { kind: 'token', name: 'ingest:loopback', displayName: 'loopback ingest', roles: [], scopes: ['ingest'], zones: [] };

/** Resolves who is asking (session cookie or bearer token) without judging the route. */
export async function resolveIdentity(req: Request, auth: AuthService): Promise<Identity | undefined> {
  const bearer = bearerOf(req);
  if (bearer !== undefined) return auth.identityOfToken(bearer);
  const tokenHash = req.session?.tokenHash;
  if (tokenHash !== undefined) {
    const display = await auth.identityOfTokenHash(tokenHash);
    if (display === undefined) req.session.destroy(() => undefined);
    return display;
  }
  const username = req.session?.username;
  if (username === undefined) return undefined;
  const identity = await auth.identityOfUser(username);
  // A user disabled or deleted since sign-in: the session ends now.
  if (identity === undefined) req.session.destroy(() => undefined);
  return identity;
}

/**
 * The door: finds the request's route in the catalog, resolves the identity and checks the
 * permission. A route not in the catalog under /api, /metrics or /basemap is refused (deny by
 * default); the console's static files are public.
 */
export function createAuthorizer(options: AuthorizerOptions): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const route = options.matchRoute(req.method, req.path);
    if (route === undefined) {
      // Deny by default: a guarded path that is not in the catalog is not served, whatever router might answer it.
      if (isGuardedPath(req.path)) next(new HttpError(404, 'not_found', `No API route ${req.method} ${req.path}.`));
      else next();
      return;
    }
    const { access } = route.spec;
    const check = async () => {
      const identity = await resolveIdentity(req, options.auth);
      if (identity) setIdentity(req, identity);
      if (access === 'public') return;
      if (access === 'ingest' && (identity === undefined || !allows(identity, 'ingest'))) {
        // Loopback ingest is open whoever asks (the demo simulator, mosquitto_pub beside the server, a signed-in tester).
        // req.ip: the socket's address, or the client's behind a trusted proxy (config trustProxy).
        if (options.allowLoopbackIngest && isLoopbackAddress(req.ip)) return setIdentity(req, identity ?? LOOPBACK_INGEST);
        const bearer = bearerOf(req);
        if (bearer !== undefined && options.ingestTokens.some((t) => safeEqual(t, bearer))) return setIdentity(req, INGEST_IDENTITY);
      }
      if (identity === undefined) {
        throw new HttpError(401, 'unauthorized', 'Sign in first (POST /api/v1/auth/login) or send Authorization: Bearer <token>.');
      }
      if (access !== 'authenticated' && !allows(identity, access)) {
        throw new HttpError(403, 'forbidden', `Not allowed for your role: ${req.method} ${req.path} needs permission "${access}".`);
      }
    };
    check().then(() => next(), next);
  };
}

/** Whether the path is one the authorizer guards (for tests and the 404 handler). */
export function isGuardedPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/metrics' || path.startsWith('/basemap/');
}

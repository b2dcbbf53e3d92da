import type { Request } from 'express';
import { HttpError } from '../http/errors.js';
import type { Identity } from './policy.js';

/** The identity the authorizer attached to this request (set for every non-public route). */
export function identityOf(req: Request): Identity {
  const identity = (req as Request & { identity?: Identity }).identity;
  if (identity === undefined) throw new HttpError(401, 'unauthorized', 'Sign in first (POST /api/v1/auth/login) or send Authorization: Bearer <token>.');
  return identity;
}

export function setIdentity(req: Request, identity: Identity): void {
  (req as Request & { identity?: Identity }).identity = identity;
}

/** The caller's address as the socket saw it (no proxy headers are trusted unless express's trust proxy says so). */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

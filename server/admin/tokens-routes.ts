import { randomUUID } from 'node:crypto';
import express, { type Router } from 'express';
import { TokenCreateSchema, type TokenCreated, type TokenInfo } from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthService } from '../auth/auth-service.js';
import { clientIp, identityOf } from '../auth/request.js';
import { newTokenSecret, sha256Hex } from '../auth/secrets.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { StateStore, StoredToken } from '../state/types.js';

function info(token: StoredToken): TokenInfo {
  const { hash: _hash, ...rest } = token;
  return rest;
}

/** API tokens (admin): the secret is returned once at creation; only its SHA-256 is kept. */
export function createTokensRouter(deps: { state: StateStore; auth: AuthService; audit: AuditLog; clock?: () => number }): Router {
  const { state, auth, audit } = deps;
  const clock = deps.clock ?? Date.now;
  const router = express.Router();

  router.get('/tokens', async (_req, res) => {
    res.json({ tokens: (await state.listTokens()).map(info) });
  });

  router.post('/tokens', async (req, res) => {
    const parsed = TokenCreateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const now = clock();
    if (parsed.data.expiresAt !== undefined && parsed.data.expiresAt <= now) {
      throw new HttpError(400, 'bad_request', 'expiresAt: must be in the future', [{ path: 'expiresAt', message: 'must be in the future' }]);
    }
    const secret = newTokenSecret();
    const actor = identityOf(req).name;
    const token: StoredToken = {
      id: randomUUID(),
      name: parsed.data.name,
      scopes: [...new Set(parsed.data.scopes)],
      hash: sha256Hex(secret),
      createdAt: now,
      createdBy: actor,
      ...(parsed.data.expiresAt !== undefined ? { expiresAt: parsed.data.expiresAt } : {}),
    };
    await state.createToken(token);
    audit.record({ actor, action: 'token.create', target: token.id, ip: clientIp(req), details: { name: token.name, scopes: token.scopes } });
    const body: TokenCreated = { ...info(token), token: secret };
    res.status(201).json(body);
  });

  router.delete('/tokens/:id', async (req, res) => {
    if (!(await state.deleteToken(req.params.id))) throw new HttpError(404, 'not_found', `No token "${req.params.id}".`);
    auth.forget();
    audit.record({ actor: identityOf(req).name, action: 'token.delete', target: req.params.id, ip: clientIp(req), details: {} });
    res.status(204).end();
  });

  return router;
}

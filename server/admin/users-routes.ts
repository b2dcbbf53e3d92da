import express, { type Router } from 'express';
import { UserCreateSchema, UserPatchSchema, UsernameSchema } from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { publicUser, type AuthService } from '../auth/auth-service.js';
import { clientIp, identityOf } from '../auth/request.js';
import { hashPassword } from '../auth/secrets.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { StateStore, StoredUser } from '../state/types.js';

/** Fields of a change worth recording in the audit (never the password itself). */
function changedKeys(patch: Record<string, unknown>): string[] {
  return Object.keys(patch).filter((key) => patch[key] !== undefined);
}

/** Users (admin): create, list, change, delete. Passwords are hashed here and never leave the server. */
export function createUsersRouter(deps: {
  state: StateStore;
  auth: AuthService;
  audit: AuditLog;
  /** Called after a password change (the generated admin password file is then deleted). */
  onPasswordChanged?: (username: string) => void;
  clock?: () => number;
}): Router {
  const { state, auth, audit } = deps;
  const clock = deps.clock ?? Date.now;
  const router = express.Router();

  const load = async (raw: string): Promise<StoredUser> => {
    const name = UsernameSchema.safeParse(raw);
    const user = name.success ? await state.getUser(name.data) : undefined;
    if (!user) throw new HttpError(404, 'not_found', `No user "${raw}".`);
    return user;
  };

  router.get('/users', async (_req, res) => {
    res.json({ users: (await state.listUsers()).map(publicUser) });
  });

  router.post('/users', async (req, res) => {
    const parsed = UserCreateSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const input = parsed.data;
    const now = clock();
    const user: StoredUser = {
      username: input.username,
      displayName: input.displayName ?? input.username,
      roles: [...new Set(input.roles)],
      zones: [...new Set(input.zones ?? [])],
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.phone !== undefined ? { phone: input.phone } : {}),
      disabled: input.disabled ?? false,
      source: 'local',
      ...(input.password !== undefined ? { passwordHash: await hashPassword(input.password) } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await state.createUser(user);
    const actor = identityOf(req).name;
    audit.record({ actor, action: 'user.create', target: user.username, ip: clientIp(req), details: { roles: user.roles, zones: user.zones } });
    res.status(201).json(publicUser(user));
  });

  router.get('/users/:username', async (req, res) => {
    res.json(publicUser(await load(req.params.username)));
  });

  router.patch('/users/:username', async (req, res) => {
    const current = await load(req.params.username);
    const parsed = UserPatchSchema.safeParse(req.body ?? {});
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const patch = parsed.data;
    const actor = identityOf(req).name;
    if (actor === current.username && (patch.disabled === true || (patch.roles && !patch.roles.includes('admin') && current.roles.includes('admin')))) {
      throw new HttpError(409, 'conflict', 'You cannot disable yourself or remove your own admin role; ask another admin.');
    }
    const next: StoredUser = {
      ...current,
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.roles !== undefined ? { roles: [...new Set(patch.roles)] } : {}),
      ...(patch.zones !== undefined ? { zones: [...new Set(patch.zones)] } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
      updatedAt: clock(),
    };
    if (patch.email === null) delete next.email;
    else if (patch.email !== undefined) next.email = patch.email;
    if (patch.phone === null) delete next.phone;
    else if (patch.phone !== undefined) next.phone = patch.phone;
    await state.updateUser(next);
    // A disabled user or a changed password ends every session of that user.
    if (patch.disabled === true || patch.password !== undefined) await state.destroyUserSessions(current.username);
    if (patch.password !== undefined) deps.onPasswordChanged?.(current.username);
    auth.forget(`user:${current.username}`);
    audit.record({ actor, action: 'user.update', target: current.username, ip: clientIp(req), details: { changed: changedKeys(patch) } });
    res.json(publicUser(next));
  });

  router.delete('/users/:username', async (req, res) => {
    const user = await load(req.params.username);
    const actor = identityOf(req).name;
    if (actor === user.username) throw new HttpError(409, 'conflict', 'You cannot delete yourself; ask another admin.');
    await state.deleteUser(user.username);
    await state.destroyUserSessions(user.username);
    auth.forget(`user:${user.username}`);
    audit.record({ actor, action: 'user.delete', target: user.username, ip: clientIp(req), details: {} });
    res.status(204).end();
  });

  return router;
}

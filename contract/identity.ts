import { z } from 'zod';
import { DomainSchema, EntityIdSchema } from './observation.js';

/** Roles a user may hold (several at once); `display` is the read-only wall screen. */
export const RoleSchema = z.enum(['admin', 'supervisor', 'operator', 'field', 'analyst', 'display']);
export type Role = z.infer<typeof RoleSchema>;
export const ROLES = RoleSchema.options;

/** What an API token may do; a token never acts as a person (no alert moves, no admin). */
export const TokenScopeSchema = z.enum(['ingest', 'read', 'display', 'metrics']);
export type TokenScope = z.infer<typeof TokenScopeSchema>;

/**
 * What a caller may do, as the server's role table grants it and the console hides what is not
 * granted: live map and entities, alerts (read, act, assign), rules (read, write), history and
 * backtests, KPIs, licence plates (personal data), users/tokens/devices (admin), audit, ingest, metrics.
 */
export const PermissionSchema = z.enum([
  'live.read',
  'alerts.read',
  'alerts.act',
  'alerts.assign',
  'rules.read',
  'rules.write',
  'history.read',
  'kpis.read',
  'plates.read',
  'admin',
  'audit.read',
  'notifications.read',
  'ingest',
  'metrics',
]);
export type Permission = z.infer<typeof PermissionSchema>;

export const UsernameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit');
export const ZoneIdSchema = z.string().min(1).max(128);
/** New passwords: long enough to resist guessing, short enough to bound hashing work. */
export const PasswordSchema = z.string().min(10, 'at least 10 characters').max(256);

/** A person as the API shows them: never a password or its hash. */
export const UserSchema = z.object({
  username: UsernameSchema,
  displayName: z.string(),
  roles: z.array(RoleSchema),
  zones: z.array(ZoneIdSchema),
  email: z.string().optional(),
  phone: z.string().optional(),
  disabled: z.boolean(),
  /** Where the account comes from: a local password, or single sign-on. */
  source: z.enum(['local', 'oidc']),
  createdAt: z.number(),
  updatedAt: z.number(),
  lastLoginAt: z.number().optional(),
});
export type User = z.infer<typeof UserSchema>;

/** `POST /api/v1/users`. */
export const UserCreateSchema = z.strictObject({
  username: UsernameSchema,
  displayName: z.string().min(1).max(128).optional(),
  password: PasswordSchema.optional(),
  roles: z.array(RoleSchema).min(1).max(6),
  zones: z.array(ZoneIdSchema).max(500).optional(),
  email: z.email().max(254).optional(),
  phone: z.string().regex(/^\+?[0-9 ()-]{6,20}$/, 'digits, spaces, (), - and an optional leading +').optional(),
  disabled: z.boolean().optional(),
});
export type UserCreate = z.infer<typeof UserCreateSchema>;

/** `PATCH /api/v1/users/<username>`: any subset; `null` clears an optional contact. */
export const UserPatchSchema = z.strictObject({
  displayName: z.string().min(1).max(128).optional(),
  password: PasswordSchema.optional(),
  roles: z.array(RoleSchema).min(1).max(6).optional(),
  zones: z.array(ZoneIdSchema).max(500).optional(),
  email: z.email().max(254).nullable().optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9 ()-]{6,20}$/)
    .nullable()
    .optional(),
  disabled: z.boolean().optional(),
});
export type UserPatch = z.infer<typeof UserPatchSchema>;

export const LoginRequestSchema = z.strictObject({
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(256),
});
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

/** `GET /api/v1/auth/me`: who is asking (a person or a token). */
export const MeSchema = z.object({
  username: z.string(),
  displayName: z.string(),
  roles: z.array(RoleSchema),
  zones: z.array(ZoneIdSchema),
  /** `session` for a signed-in person, `token` for an API token. */
  kind: z.enum(['session', 'token']),
  scopes: z.array(TokenScopeSchema).optional(),
  /** Idle timeout of this session in ms; absent for sessions that never idle out (wall displays). */
  idleTimeout: z.number().optional(),
  /** What this caller may do; the console hides what is not listed. */
  permissions: z.array(PermissionSchema),
});
export type Me = z.infer<typeof MeSchema>;

export const LoginResponseSchema = z.object({ user: MeSchema });
export type LoginResponse = z.infer<typeof LoginResponseSchema>;

/** `POST /api/v1/tokens`. */
export const TokenCreateSchema = z.strictObject({
  name: z.string().min(1).max(128),
  scopes: z.array(TokenScopeSchema).min(1).max(4),
  /** ms since epoch or RFC 3339; absent: never expires. */
  expiresAt: z.union([z.number().int().positive(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
});
export type TokenCreate = z.infer<typeof TokenCreateSchema>;

/** A token as listed: the secret itself is shown once, on creation. */
export const TokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(TokenScopeSchema),
  createdAt: z.number(),
  createdBy: z.string(),
  expiresAt: z.number().optional(),
  lastUsedAt: z.number().optional(),
});
export type TokenInfo = z.infer<typeof TokenInfoSchema>;
export const TokenCreatedSchema = TokenInfoSchema.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;

/** `POST /api/v1/devices`: MQTT credentials for one device, which may publish only to its own topic. */
export const DeviceCreateSchema = z.strictObject({ id: EntityIdSchema, domain: DomainSchema });
export type DeviceCreate = z.infer<typeof DeviceCreateSchema>;
export const DeviceInfoSchema = z.object({
  id: EntityIdSchema,
  domain: DomainSchema,
  username: z.string(),
  /** The only topic the device may publish to. */
  topic: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
});
export type DeviceInfo = z.infer<typeof DeviceInfoSchema>;
export const DeviceCreatedSchema = DeviceInfoSchema.extend({ password: z.string() });
export type DeviceCreated = z.infer<typeof DeviceCreatedSchema>;

/** What the audit log records; every change of state made by a person or a token. */
export const AuditActionSchema = z.enum([
  'login',
  'login_failed',
  'logout',
  'user.create',
  'user.update',
  'user.delete',
  'token.create',
  'token.delete',
  'device.create',
  'device.delete',
  'rule.create',
  'rule.update',
  'rule.delete',
  'alert.ack',
  'alert.assign',
  'alert.snooze',
  'alert.resolve',
  'alert.note',
  'alert.attach',
  'report.create',
  'report.assign',
  'report.start',
  'report.resolve',
  'report.reject',
  'report.note',
  'report.attach',
  'report.rate',
  'escalation.create',
  'escalation.update',
  'escalation.delete',
  'push.subscribe',
  'push.unsubscribe',
  'notify.test',
  'export',
]);
export type AuditAction = z.infer<typeof AuditActionSchema>;

export const AuditEntrySchema = z.object({
  id: z.number().optional(),
  at: z.number(),
  actor: z.string(),
  action: AuditActionSchema,
  target: z.string(),
  ip: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** `GET /api/v1/auth/options` (public): how the login page may sign people in. */
export const AuthOptionsSchema = z.object({
  /** Single sign-on, when configured: a button that goes to `url`. */
  oidc: z.object({ label: z.string(), url: z.string() }).optional(),
});
export type AuthOptions = z.infer<typeof AuthOptionsSchema>;

export const AuditQuerySchema = z.strictObject({
  from: z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
  to: z.union([z.coerce.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
  actor: z.string().min(1).max(160).optional(),
  action: AuditActionSchema.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

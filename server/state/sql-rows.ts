import type { Alert, AuditEntry, Role, TokenScope } from '../../contract/index.js';
import type { NewAuditEntry, RecordKind, RecordQuery, StoredDevice, StoredRecord, StoredToken, StoredUser } from './types.js';
import { alertVersion } from './types.js';

// Row shapes and conversions shared by the SQLite and PostgreSQL stores. Numbers come back as
// numbers from SQLite and as strings from PostgreSQL's BIGINT, hence Number() on every read.

type Cell = string | number | boolean | null;

export interface UserRow {
  username: string;
  display_name: string;
  roles: string;
  zones: string;
  email: string | null;
  phone: string | null;
  disabled: number | boolean;
  source: string;
  password_hash: string | null;
  created_at: number | string;
  updated_at: number | string;
  last_login_at: number | string | null;
}

export interface TokenRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: number | string;
  created_by: string;
  expires_at: number | string | null;
  last_used_at: number | string | null;
}

export interface DeviceRow {
  id: string;
  domain: string;
  username: string;
  password_hash: string;
  created_at: number | string;
  created_by: string;
}

export interface AuditRow {
  id: number | string;
  at: number | string;
  actor: string;
  action: string;
  target: string;
  ip: string;
  details: string;
}

export interface SessionRow {
  data: string;
  username: string | null;
  expires_at: number | string;
}

/** Column order of `users` as the INSERT/UPDATE statements bind it. */
export const USER_COLUMNS = [
  'username',
  'display_name',
  'roles',
  'zones',
  'email',
  'phone',
  'disabled',
  'source',
  'password_hash',
  'created_at',
  'updated_at',
  'last_login_at',
] as const;

/** Parameters in USER_COLUMNS order; `disabled` as 0/1, which both SQLite and PostgreSQL's boolean accept. */
export function userParams(user: StoredUser): Cell[] {
  return [
    user.username,
    user.displayName,
    JSON.stringify(user.roles),
    JSON.stringify(user.zones),
    user.email ?? null,
    user.phone ?? null,
    user.disabled ? 1 : 0,
    user.source,
    user.passwordHash ?? null,
    user.createdAt,
    user.updatedAt,
    user.lastLoginAt ?? null,
  ];
}

export function userFromRow(row: UserRow): StoredUser {
  const user: StoredUser = {
    username: row.username,
    displayName: row.display_name,
    roles: JSON.parse(row.roles) as Role[],
    zones: JSON.parse(row.zones) as string[],
    disabled: Boolean(row.disabled),
    source: row.source === 'oidc' ? 'oidc' : 'local',
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.email !== null) user.email = row.email;
  if (row.phone !== null) user.phone = row.phone;
  if (row.password_hash !== null) user.passwordHash = row.password_hash;
  if (row.last_login_at !== null) user.lastLoginAt = Number(row.last_login_at);
  return user;
}

export const TOKEN_COLUMNS = ['id', 'name', 'scopes', 'hash', 'created_at', 'created_by', 'expires_at', 'last_used_at'] as const;

export function tokenParams(token: StoredToken): Cell[] {
  return [
    token.id,
    token.name,
    JSON.stringify(token.scopes),
    token.hash,
    token.createdAt,
    token.createdBy,
    token.expiresAt ?? null,
    token.lastUsedAt ?? null,
  ];
}

export function tokenFromRow(row: TokenRow): StoredToken {
  const token: StoredToken = {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as TokenScope[],
    hash: row.hash,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
  };
  if (row.expires_at !== null) token.expiresAt = Number(row.expires_at);
  if (row.last_used_at !== null) token.lastUsedAt = Number(row.last_used_at);
  return token;
}

export const DEVICE_COLUMNS = ['id', 'domain', 'username', 'password_hash', 'created_at', 'created_by'] as const;

export function deviceParams(device: StoredDevice): Cell[] {
  return [device.id, device.domain, device.username, device.passwordHash, device.createdAt, device.createdBy];
}

export function deviceFromRow(row: DeviceRow): StoredDevice {
  return {
    id: row.id,
    domain: row.domain,
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
  };
}

export const AUDIT_COLUMNS = ['at', 'actor', 'action', 'target', 'ip', 'details'] as const;

export function auditParams(entry: NewAuditEntry): Cell[] {
  return [entry.at, entry.actor, entry.action, entry.target, entry.ip, JSON.stringify(entry.details)];
}

export function auditFromRow(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: Number(row.at),
    actor: row.actor,
    action: row.action as AuditEntry['action'],
    target: row.target,
    ip: row.ip,
    details: JSON.parse(row.details) as AuditEntry['details'],
  };
}

export function sessionFromRow(row: SessionRow): { data: string; username?: string; expiresAt: number } {
  const session: { data: string; username?: string; expiresAt: number } = { data: row.data, expiresAt: Number(row.expires_at) };
  if (row.username !== null) session.username = row.username;
  return session;
}

/** One alert as the `alerts` table keeps it. */
export interface AlertParams {
  id: string;
  startedAt: number;
  version: number;
  json: string;
}

export function alertParams(alert: Alert): AlertParams {
  return { id: alert.id, startedAt: alert.startedAt, version: alertVersion(alert), json: JSON.stringify(alert) };
}

/**
 * One row per alert id, keeping its highest version (the later one on a tie): a single upsert
 * statement may not touch the same row twice, and the newest version is what would win anyway.
 * Sorted by id, so two nodes saving overlapping batches lock rows in the same order (no deadlock).
 */
export function newestPerId(alerts: readonly Alert[]): AlertParams[] {
  const byId = new Map<string, AlertParams>();
  for (const alert of alerts) {
    const params = alertParams(alert);
    const kept = byId.get(alert.id);
    if (!kept || kept.version <= params.version) byId.set(alert.id, params);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Rows per upsert statement in saveAlerts: bounded statements, all in one transaction. */
export const ALERT_CHUNK = 500;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}

/** WHERE clause and parameters of an audit query; `placeholder(n)` names the n-th parameter (1-based). */
export function auditWhere(
  query: { from?: number; to?: number; actor?: string; action?: string },
  placeholder: (n: number) => string,
): { where: string; params: Cell[] } {
  const clauses: string[] = [];
  const params: Cell[] = [];
  const add = (sql: string, value: Cell) => {
    params.push(value);
    clauses.push(`${sql} ${placeholder(params.length)}`);
  };
  if (query.from !== undefined) add('at >=', query.from);
  if (query.to !== undefined) add('at <=', query.to);
  if (query.actor !== undefined) add('actor =', query.actor);
  if (query.action !== undefined) add('action =', query.action);
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** A records row as either driver returns it (PostgreSQL BIGINTs as strings, SQLite booleans as 0/1). */
export interface RecordRow {
  kind: string;
  id: string;
  version: number | string;
  key: string | null;
  ref: string | null;
  at: number | string;
  updated_at: number | string;
  open: number | boolean;
  json: string;
}

export const RECORD_COLUMNS = ['kind', 'id', 'version', 'key', 'ref', 'at', 'updated_at', 'open', 'json'] as const;

export function recordFromRow(row: RecordRow): StoredRecord {
  return {
    kind: row.kind as RecordKind,
    id: row.id,
    version: Number(row.version),
    ...(row.key === null ? {} : { key: row.key }),
    ...(row.ref === null ? {} : { ref: row.ref }),
    at: Number(row.at),
    updatedAt: Number(row.updated_at),
    open: row.open === true || row.open === 1,
    json: row.json,
  };
}

/** Values in RECORD_COLUMNS order; `open` as the dialect wants it. */
export function recordParams(record: StoredRecord, open: (value: boolean) => number | boolean): unknown[] {
  return [record.kind, record.id, record.version, record.key ?? null, record.ref ?? null, record.at, record.updatedAt, open(record.open), record.json];
}

/** The WHERE clause of a record list, with placeholders from `mark` (`?` or `$n`). */
export function recordWhere(
  kind: RecordKind,
  query: Omit<RecordQuery, 'limit'>,
  mark: (index: number) => string,
  open: (value: boolean) => number | boolean,
): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    clauses.push(clause.replace('?', mark(params.length)));
  };
  add('kind = ?', kind);
  if (query.ref !== undefined) add('ref = ?', query.ref);
  if (query.open !== undefined) add('open = ?', open(query.open));
  if (query.from !== undefined) add('at >= ?', query.from);
  if (query.to !== undefined) add('at <= ?', query.to);
  return { where: clauses.join(' AND '), params };
}

import type {
  Alert,
  AuditAction,
  AuditEntry,
  Role,
  Rule,
  TokenScope,
} from '../../contract/index.js';
import { HttpError } from '../../contract/errors.js';

/** A user row: what the API shows plus the password hash, which never leaves the server. */
export interface StoredUser {
  username: string;
  displayName: string;
  roles: Role[];
  zones: string[];
  email?: string;
  phone?: string;
  disabled: boolean;
  source: 'local' | 'oidc';
  /** argon2id PHC string; absent for single-sign-on users, who cannot sign in with a password. */
  passwordHash?: string;
  createdAt: number;
  updatedAt: number;
  lastLoginAt?: number;
}

/** A server-side session, as express-session keeps it: its JSON and when it lapses. */
export interface SessionRecord {
  /** The session's JSON (express-session's object). */
  data: string;
  /** Username it belongs to (for "sign this user out everywhere"); absent before login. */
  username?: string;
  /** ms since epoch; the session is gone after this (idle timeout, renewed by activity). */
  expiresAt: number;
}

/** An API token: only the SHA-256 of its secret is stored. */
export interface StoredToken {
  id: string;
  name: string;
  scopes: TokenScope[];
  /** hex SHA-256 of the secret the client sends. */
  hash: string;
  createdAt: number;
  createdBy: string;
  expiresAt?: number;
  lastUsedAt?: number;
}

/** MQTT credentials of one device. */
export interface StoredDevice {
  id: string;
  domain: string;
  username: string;
  /** argon2id PHC string of the device password. */
  passwordHash: string;
  createdAt: number;
  createdBy: string;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: AuditAction;
  /** Newest first, at most this many. */
  limit: number;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * What the generic record table holds: the field side's documents (citizen reports, notification
 * deliveries, push subscriptions, escalation policies and their progress, photo metadata).
 */
export type RecordKind = 'report' | 'delivery' | 'push_subscription' | 'escalation_policy' | 'escalation' | 'attachment';

/** One document of a kind, with the few columns that are queried kept beside its JSON. */
export interface StoredRecord {
  kind: RecordKind;
  id: string;
  /** Grows by one per change; compare-and-set builds on it. */
  version: number;
  /** A second unique key within the kind: a tracking code, a delivery's dedupe key, a push endpoint. */
  key?: string;
  /** What it belongs to: the username of a push subscription, the item of a delivery. */
  ref?: string;
  /** When it was made (ms); lists are ordered by it, newest first. */
  at: number;
  updatedAt: number;
  /** Still needs work (an open report, a delivery not yet sent): lets every node find pending work. */
  open: boolean;
  json: string;
}

export interface RecordQuery {
  ref?: string;
  open?: boolean;
  /** `at` from/to, inclusive. */
  from?: number;
  to?: number;
  /** Newest first, at most this many. */
  limit: number;
}

/** A photo's bytes (originals kept as evidence, resized copies served). */
export interface StoredBlob {
  contentType: string;
  bytes: Buffer;
}

/** Thrown when creating something whose key already exists: a 409 `conflict` through the app's one error handler. */
export class StateConflictError extends HttpError {
  override readonly name: string = 'StateConflictError';
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/**
 * The version of an alert for compare-and-set: every lifecycle move appends one history event, so
 * the history length orders the versions of one alert.
 */
export function alertVersion(alert: Alert): number {
  return alert.history?.length ?? 0;
}

/**
 * Everything with a lifecycle: people, sessions, tokens, devices, audit, rules and alerts. SQLite
 * in the data dir by default, PostgreSQL when several nodes share it. Telemetry lives elsewhere
 * (TelemetryStore). Every method may throw when the database is unreachable.
 */
export interface StateStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates tables and indexes (idempotent); throws with a clear message when unreachable. */
  init(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  getUser(username: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<StoredUser[]>;
  /** Throws StateConflictError when the username exists. */
  createUser(user: StoredUser): Promise<void>;
  /** Replaces the row; undefined when there is no such user. */
  updateUser(user: StoredUser): Promise<StoredUser | undefined>;
  deleteUser(username: string): Promise<boolean>;
  countUsers(): Promise<number>;

  getSession(sid: string, now: number): Promise<SessionRecord | undefined>;
  setSession(sid: string, record: SessionRecord): Promise<void>;
  /** Extends a live session's expiry (idle timeout renewed by activity). */
  touchSession(sid: string, expiresAt: number): Promise<void>;
  destroySession(sid: string): Promise<void>;
  /** Signs a user out everywhere (disabled, deleted, password changed); returns how many. */
  destroyUserSessions(username: string): Promise<number>;
  /** Deletes expired sessions; returns how many. */
  pruneSessions(now: number): Promise<number>;

  /** Throws StateConflictError when the id exists. */
  createToken(token: StoredToken): Promise<void>;
  listTokens(): Promise<StoredToken[]>;
  findTokenByHash(hash: string): Promise<StoredToken | undefined>;
  touchToken(id: string, at: number): Promise<void>;
  deleteToken(id: string): Promise<boolean>;

  /** Throws StateConflictError when the id or username exists. */
  createDevice(device: StoredDevice): Promise<void>;
  listDevices(): Promise<StoredDevice[]>;
  getDevice(id: string): Promise<StoredDevice | undefined>;
  getDeviceByUsername(username: string): Promise<StoredDevice | undefined>;
  deleteDevice(id: string): Promise<boolean>;

  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** Newest first; `from`/`to` inclusive. */
  queryAudit(query: AuditQuery): Promise<AuditEntry[]>;

  saveRule(rule: Rule): Promise<void>;
  deleteRule(id: string): Promise<void>;
  /** Sorted by id. */
  loadRules(): Promise<Rule[]>;

  /** Upserts alert versions in one transaction; a stored version newer than the given one is kept. */
  saveAlerts(alerts: readonly Alert[]): Promise<void>;
  /** Latest stored version of every alert that started at or after `since` (all when absent). */
  loadAlerts(since?: number): Promise<Alert[]>;
  /**
   * Alerts that started before `startedBefore` and may still have been open at `at` (not resolved,
   * or changed after `at`): replay's long-running alerts, which `loadAlerts(since)` leaves out.
   */
  loadAlertsOpenAt(at: number, startedBefore: number): Promise<Alert[]>;
  getAlert(id: string): Promise<Alert | undefined>;
  /**
   * Compare-and-set: stores `next` only if the stored version of the alert is at most `basedOn`
   * (nobody moved it since the version `next` was made from). Exactly one of two concurrent
   * moves from the same version wins, across every node sharing the database.
   */
  casAlert(next: Alert, basedOn: number): Promise<boolean>;

  /** Inserts a record; false when its id or key already exists in the kind (nothing changed). */
  insertRecord(record: StoredRecord): Promise<boolean>;
  /**
   * Compare-and-set: replaces the record only if the stored version equals `basedOn`; of two
   * concurrent moves from the same version exactly one wins, across nodes.
   */
  casRecord(record: StoredRecord, basedOn: number): Promise<boolean>;
  getRecord(kind: RecordKind, id: string): Promise<StoredRecord | undefined>;
  getRecordByKey(kind: RecordKind, key: string): Promise<StoredRecord | undefined>;
  /** Newest first by `at`. */
  listRecords(kind: RecordKind, query: RecordQuery): Promise<StoredRecord[]>;
  deleteRecord(kind: RecordKind, id: string): Promise<boolean>;
  /** Stores bytes under an id (first writer wins). */
  putBlob(id: string, blob: StoredBlob): Promise<void>;
  getBlob(id: string): Promise<StoredBlob | undefined>;

  /** A value kept across restarts (signing keys and the like). */
  getSetting(key: string): Promise<string | undefined>;
  /** Stores `value` unless the key exists; returns the value that is stored (first writer wins across nodes). */
  putSettingIfAbsent(key: string, value: string): Promise<string>;
}

// Longer than most files on purpose: one class implements the whole StateStore contract for SQLite,
// table by table, so it can be read side by side with postgres-state.ts; the SQL text lives in sql-schema.ts.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Alert, AuditEntry, Rule } from '../../contract/index.js';
import {
  AUDIT_COLUMNS,
  DEVICE_COLUMNS,
  RECORD_COLUMNS,
  TOKEN_COLUMNS,
  USER_COLUMNS,
  alertParams,
  auditFromRow,
  auditParams,
  auditWhere,
  deviceFromRow,
  deviceParams,
  recordFromRow,
  recordParams,
  newestPerId,
  sessionFromRow,
  tokenFromRow,
  tokenParams,
  userFromRow,
  userParams,
  type AlertParams,
  type AuditRow,
  type DeviceRow,
  type RecordRow,
  type SessionRow,
  type TokenRow,
  type UserRow,
  recordWhere,
} from './sql-rows.js';
import { SQLITE_SCHEMA } from './sql-schema.js';
import {
  StateConflictError,
  type AuditQuery,
  type NewAuditEntry,
  type RecordKind,
  type RecordQuery,
  type SessionRecord,
  type StateStore,
  type StoredBlob,
  type StoredDevice,
  type StoredRecord,
  type StoredToken,
  type StoredUser,
} from './types.js';

const list = (columns: readonly string[]) => columns.join(', ');
const marks = (columns: readonly string[]) => columns.map(() => '?').join(', ');

interface JsonRow {
  json: string;
}

// Upsert that keeps a stored version newer than the given one; an equal version is overwritten,
// so saving the same alert again is idempotent.
const UPSERT_ALERT = `INSERT INTO alerts (id, started_at, version, json) VALUES (@id, @startedAt, @version, @json)
  ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, version = excluded.version, json = excluded.json
  WHERE alerts.version <= excluded.version`;
const CAS_ALERT = `INSERT INTO alerts (id, started_at, version, json) VALUES (@id, @startedAt, @version, @json)
  ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, version = excluded.version, json = excluded.json
  WHERE alerts.version <= @basedOn`;

export type SqliteStateStoreOptions =
  /** `<dataDir>/state.db`, the directory created if missing. */
  | { dataDir: string }
  /** A file path, or `':memory:'` for tests. */
  | { file: string };

/**
 * The state store of a single node: one SQLite file (`<dataDir>/state.db`, WAL). Calls are
 * synchronous under the async interface; these are small, rare writes.
 */
export class SqliteStateStore implements StateStore {
  readonly kind = 'sqlite' as const;
  private database: Database.Database | undefined;
  readonly file: string;

  constructor(options: SqliteStateStoreOptions) {
    this.file = 'file' in options ? options.file : path.join(options.dataDir, 'state.db');
  }

  init(): Promise<void> {
    if (this.database) return Promise.resolve();
    try {
      if (this.file !== ':memory:') mkdirSync(path.dirname(this.file), { recursive: true });
      this.database = openStateDatabase(this.file);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  ping(): Promise<void> {
    return this.run((db) => {
      db.prepare('SELECT 1').get();
    });
  }

  close(): Promise<void> {
    this.database?.close();
    this.database = undefined;
    return Promise.resolve();
  }

  // Users

  getUser(username: string): Promise<StoredUser | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
      return row && userFromRow(row);
    });
  }

  listUsers(): Promise<StoredUser[]> {
    return this.run((db) => (db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(userFromRow));
  }

  createUser(user: StoredUser): Promise<void> {
    return this.run((db) => insertOrConflict(db, 'users', USER_COLUMNS, userParams(user), `user ${user.username} exists`));
  }

  updateUser(user: StoredUser): Promise<StoredUser | undefined> {
    return this.run((db) => {
      const [username, ...rest] = userParams(user);
      const set = USER_COLUMNS.slice(1)
        .map((column) => `${column} = ?`)
        .join(', ');
      const changed = db.prepare(`UPDATE users SET ${set} WHERE username = ?`).run(...rest, username).changes;
      if (changed === 0) return undefined;
      return userFromRow(db.prepare('SELECT * FROM users WHERE username = ?').get(user.username) as UserRow);
    });
  }

  deleteUser(username: string): Promise<boolean> {
    return this.run((db) => db.prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0);
  }

  countUsers(): Promise<number> {
    return this.run((db) => (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n);
  }

  // Sessions

  getSession(sid: string, now: number): Promise<SessionRecord | undefined> {
    return this.run((db) => {
      const row = db
        .prepare('SELECT data, username, expires_at FROM sessions WHERE sid = ? AND expires_at > ?')
        .get(sid, now) as SessionRow | undefined;
      return row && sessionFromRow(row);
    });
  }

  setSession(sid: string, record: SessionRecord): Promise<void> {
    return this.run((db) => {
      db.prepare(
        `INSERT INTO sessions (sid, data, username, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (sid) DO UPDATE SET data = excluded.data, username = excluded.username, expires_at = excluded.expires_at`,
      ).run(sid, record.data, record.username ?? null, record.expiresAt);
    });
  }

  touchSession(sid: string, expiresAt: number): Promise<void> {
    return this.run((db) => {
      db.prepare('UPDATE sessions SET expires_at = ? WHERE sid = ?').run(expiresAt, sid);
    });
  }

  destroySession(sid: string): Promise<void> {
    return this.run((db) => {
      db.prepare('DELETE FROM sessions WHERE sid = ?').run(sid);
    });
  }

  destroyUserSessions(username: string): Promise<number> {
    return this.run((db) => db.prepare('DELETE FROM sessions WHERE username = ?').run(username).changes);
  }

  pruneSessions(now: number): Promise<number> {
    return this.run((db) => db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now).changes);
  }

  // Tokens

  createToken(token: StoredToken): Promise<void> {
    return this.run((db) => insertOrConflict(db, 'tokens', TOKEN_COLUMNS, tokenParams(token), `token ${token.id} exists`));
  }

  listTokens(): Promise<StoredToken[]> {
    return this.run((db) => (db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as TokenRow[]).map(tokenFromRow));
  }

  findTokenByHash(hash: string): Promise<StoredToken | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT * FROM tokens WHERE hash = ?').get(hash) as TokenRow | undefined;
      return row && tokenFromRow(row);
    });
  }

  touchToken(id: string, at: number): Promise<void> {
    return this.run((db) => {
      db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, id);
    });
  }

  deleteToken(id: string): Promise<boolean> {
    return this.run((db) => db.prepare('DELETE FROM tokens WHERE id = ?').run(id).changes > 0);
  }

  // Devices

  createDevice(device: StoredDevice): Promise<void> {
    const conflict = `device ${device.id} or username ${device.username} exists`;
    return this.run((db) => insertOrConflict(db, 'devices', DEVICE_COLUMNS, deviceParams(device), conflict));
  }

  listDevices(): Promise<StoredDevice[]> {
    return this.run((db) => (db.prepare('SELECT * FROM devices ORDER BY id').all() as DeviceRow[]).map(deviceFromRow));
  }

  getDevice(id: string): Promise<StoredDevice | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as DeviceRow | undefined;
      return row && deviceFromRow(row);
    });
  }

  getDeviceByUsername(username: string): Promise<StoredDevice | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT * FROM devices WHERE username = ?').get(username) as DeviceRow | undefined;
      return row && deviceFromRow(row);
    });
  }

  deleteDevice(id: string): Promise<boolean> {
    return this.run((db) => db.prepare('DELETE FROM devices WHERE id = ?').run(id).changes > 0);
  }

  // Audit

  appendAudit(entry: NewAuditEntry): Promise<void> {
    return this.run((db) => {
      db.prepare(`INSERT INTO audit (${list(AUDIT_COLUMNS)}) VALUES (${marks(AUDIT_COLUMNS)})`).run(...auditParams(entry));
    });
  }

  queryAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.run((db) => {
      const { where, params } = auditWhere(query, () => '?');
      const rows = db
        .prepare(`SELECT * FROM audit ${where} ORDER BY at DESC, id DESC LIMIT ?`)
        .all(...params, Math.max(0, Math.floor(query.limit))) as AuditRow[];
      return rows.map(auditFromRow);
    });
  }

  // Rules

  saveRule(rule: Rule): Promise<void> {
    return this.run((db) => {
      db.prepare('INSERT INTO rules (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json').run(
        rule.id,
        JSON.stringify(rule),
      );
    });
  }

  deleteRule(id: string): Promise<void> {
    return this.run((db) => {
      db.prepare('DELETE FROM rules WHERE id = ?').run(id);
    });
  }

  loadRules(): Promise<Rule[]> {
    return this.run((db) => (db.prepare('SELECT json FROM rules ORDER BY id').all() as JsonRow[]).map((row) => JSON.parse(row.json) as Rule));
  }

  // Alerts

  saveAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.run((db) => {
      const upsert = db.prepare<AlertParams>(UPSERT_ALERT);
      const rows = newestPerId(alerts);
      // One prepared statement per row inside one transaction: no statement-size limit to chunk for.
      db.transaction(() => {
        for (const row of rows) upsert.run(row);
      })();
    });
  }

  loadAlerts(since?: number): Promise<Alert[]> {
    return this.run((db) => {
      const rows = (
        since === undefined
          ? db.prepare('SELECT json FROM alerts ORDER BY started_at, id').all()
          : db.prepare('SELECT json FROM alerts WHERE started_at >= ? ORDER BY started_at, id').all(since)
      ) as JsonRow[];
      return rows.map((row) => JSON.parse(row.json) as Alert);
    });
  }

  loadAlertsOpenAt(at: number, startedBefore: number): Promise<Alert[]> {
    return this.run((db) => {
      const rows = db
        .prepare(
          `SELECT json FROM alerts WHERE started_at < ?
           AND (json_extract(json, '$.state') <> 'resolved' OR json_extract(json, '$.updatedAt') > ?)
           ORDER BY started_at, id`,
        )
        .all(startedBefore, at) as JsonRow[];
      return rows.map((row) => JSON.parse(row.json) as Alert);
    });
  }

  getAlert(id: string): Promise<Alert | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT json FROM alerts WHERE id = ?').get(id) as JsonRow | undefined;
      return row && (JSON.parse(row.json) as Alert);
    });
  }

  casAlert(next: Alert, basedOn: number): Promise<boolean> {
    return this.run((db) => db.prepare(CAS_ALERT).run({ ...alertParams(next), basedOn }).changes > 0);
  }

  // Records and blobs

  insertRecord(record: StoredRecord): Promise<boolean> {
    return this.run(
      (db) =>
        db
          .prepare(`INSERT INTO records (${list(RECORD_COLUMNS)}) VALUES (${marks(RECORD_COLUMNS)}) ON CONFLICT DO NOTHING`)
          .run(...recordParams(record, sqliteBoolean)).changes > 0,
    );
  }

  casRecord(record: StoredRecord, basedOn: number): Promise<boolean> {
    return this.run((db) => {
      const [kind, id, ...rest] = recordParams(record, sqliteBoolean);
      const set = RECORD_COLUMNS.slice(2)
        .map((column) => `${column} = ?`)
        .join(', ');
      return db.prepare(`UPDATE records SET ${set} WHERE kind = ? AND id = ? AND version = ?`).run(...rest, kind, id, basedOn).changes > 0;
    });
  }

  getRecord(kind: RecordKind, id: string): Promise<StoredRecord | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT * FROM records WHERE kind = ? AND id = ?').get(kind, id) as RecordRow | undefined;
      return row && recordFromRow(row);
    });
  }

  getRecordByKey(kind: RecordKind, key: string): Promise<StoredRecord | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT * FROM records WHERE kind = ? AND key = ?').get(kind, key) as RecordRow | undefined;
      return row && recordFromRow(row);
    });
  }

  listRecords(kind: RecordKind, query: RecordQuery): Promise<StoredRecord[]> {
    return this.run((db) => {
      const { where, params } = recordWhere(kind, query, () => '?', sqliteBoolean);
      const rows = db.prepare(`SELECT * FROM records WHERE ${where} ORDER BY at DESC, id DESC LIMIT ?`).all(...params, query.limit) as RecordRow[];
      return rows.map(recordFromRow);
    });
  }

  deleteRecord(kind: RecordKind, id: string): Promise<boolean> {
    return this.run((db) => db.prepare('DELETE FROM records WHERE kind = ? AND id = ?').run(kind, id).changes > 0);
  }

  putBlob(id: string, blob: StoredBlob): Promise<void> {
    return this.run((db) => {
      db.prepare('INSERT INTO blobs (id, content_type, bytes) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING').run(id, blob.contentType, blob.bytes);
    });
  }

  getBlob(id: string): Promise<StoredBlob | undefined> {
    return this.run((db) => {
      const row = db.prepare('SELECT content_type, bytes FROM blobs WHERE id = ?').get(id) as { content_type: string; bytes: Buffer } | undefined;
      return row && { contentType: row.content_type, bytes: row.bytes };
    });
  }

  // Settings

  getSetting(key: string): Promise<string | undefined> {
    return this.run((db) => (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value);
  }

  putSettingIfAbsent(key: string, value: string): Promise<string> {
    return this.run((db) => {
      db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, value);
      return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
    });
  }

  /** Runs a synchronous call on the open database; a throw becomes a rejected promise. */
  private run<T>(call: (db: Database.Database) => T): Promise<T> {
    try {
      if (!this.database) throw new Error('state store is not open: call init() first');
      return Promise.resolve(call(this.database));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** Opens the file with WAL and a busy timeout (another process may hold the write lock briefly) and creates the tables. */
function openStateDatabase(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.exec(SQLITE_SCHEMA);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** INSERT that turns a clash with any unique key (id, username, hash) into StateConflictError. */
function insertOrConflict(db: Database.Database, table: string, columns: readonly string[], params: unknown[], conflict: string): void {
  const sql = `INSERT INTO ${table} (${list(columns)}) VALUES (${marks(columns)}) ON CONFLICT DO NOTHING`;
  if (db.prepare(sql).run(...params).changes === 0) throw new StateConflictError(conflict);
}

const sqliteBoolean = (value: boolean): number => (value ? 1 : 0);

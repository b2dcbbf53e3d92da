// Longer than most files on purpose: one class implements the whole StateStore contract for PostgreSQL,
// table by table, so it can be read side by side with sqlite-state.ts; the SQL text lives in sql-schema.ts.
import pg from 'pg';
import type { Alert, AuditEntry, Rule } from '../../contract/index.js';
import { errorMessage, quietLogger, type StoreLogger } from '../store/types-logger.js';
import {
  ALERT_CHUNK,
  AUDIT_COLUMNS,
  DEVICE_COLUMNS,
  RECORD_COLUMNS,
  TOKEN_COLUMNS,
  USER_COLUMNS,
  alertParams,
  auditFromRow,
  auditParams,
  auditWhere,
  chunks,
  deviceFromRow,
  deviceParams,
  recordFromRow,
  recordParams,
  recordWhere,
  newestPerId,
  sessionFromRow,
  tokenFromRow,
  tokenParams,
  userFromRow,
  userParams,
  type AuditRow,
  type DeviceRow,
  type RecordRow,
  type SessionRow,
  type TokenRow,
  type UserRow,
} from './sql-rows.js';
import { POSTGRES_SCHEMA } from './sql-schema.js';
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

export interface PostgresStateStoreOptions {
  /** postgres://user:password@host:port/database (IOC_POSTGRES_URL). */
  url: string;
  /** Connections per node; each node of a cluster has its own pool. */
  max?: number;
  /** How long to wait for a connection (new or from the pool) before failing. */
  connectionTimeoutMillis?: number;
  /** Server-side limit on any one statement. */
  statementTimeout?: number;
}

// Arbitrary constant ('ioc' in ASCII): serialises init() of nodes starting at once, since
// concurrent CREATE TABLE IF NOT EXISTS can still clash in the catalog.
const INIT_LOCK = 0x696f63;

const list = (columns: readonly string[]) => columns.join(', ');
const marks = (columns: readonly string[]) => columns.map((_, k) => `$${k + 1}`).join(', ');

const UPSERT_ALERTS = `INSERT INTO alerts (id, started_at, version, json)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[])
  ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, version = excluded.version, json = excluded.json
  WHERE alerts.version <= excluded.version`;
// One statement: PostgreSQL locks the conflicting row and evaluates the WHERE against its latest
// committed version, so of two concurrent moves from the same version exactly one updates a row.
const CAS_ALERT = `INSERT INTO alerts (id, started_at, version, json) VALUES ($1, $2, $3, $4)
  ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, version = excluded.version, json = excluded.json
  WHERE alerts.version <= $5`;

/** Where the URL points, for messages: host, port and database, never the credentials. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * The state store shared by several nodes: PostgreSQL through a bounded pool. Writes that must
 * not be lost to a concurrent node (alert moves, first-writer settings) are single atomic statements.
 */
export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly where: string;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: PostgresStateStoreOptions,
    private readonly logger: StoreLogger = quietLogger,
  ) {
    this.where = describeUrl(options.url);
    const statementTimeout = options.statementTimeout ?? 10_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
      idleTimeoutMillis: 30_000,
      statement_timeout: statementTimeout,
      // Client-side bound too: a server that stops answering never gets to enforce statement_timeout.
      query_timeout: statementTimeout + 5000,
      application_name: 'ioc-state',
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => this.logger.warn('PostgreSQL state store: idle connection failed', { error: errorMessage(err), at: this.where }));
  }

  async init(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new Error(`PostgreSQL state store at ${this.where} (IOC_POSTGRES_URL) is unreachable: ${this.redact(errorMessage(err))}`, {
        cause: err,
      });
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [INIT_LOCK]);
      await client.query(POSTGRES_SCHEMA);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      throw new Error(`PostgreSQL state store at ${this.where} (IOC_POSTGRES_URL): creating tables failed: ${this.redact(errorMessage(err))}`, {
        cause: err,
      });
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  // Users

  async getUser(username: string): Promise<StoredUser | undefined> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    return rows[0] && userFromRow(rows[0]);
  }

  async listUsers(): Promise<StoredUser[]> {
    const { rows } = await this.pool.query<UserRow>('SELECT * FROM users ORDER BY username COLLATE "C"');
    return rows.map(userFromRow);
  }

  async createUser(user: StoredUser): Promise<void> {
    await this.insertOrConflict('users', USER_COLUMNS, userParams(user), `user ${user.username} exists`);
  }

  async updateUser(user: StoredUser): Promise<StoredUser | undefined> {
    const [username, ...rest] = userParams(user);
    const set = USER_COLUMNS.slice(1)
      .map((column, k) => `${column} = $${k + 1}`)
      .join(', ');
    const { rows } = await this.pool.query<UserRow>(`UPDATE users SET ${set} WHERE username = $${USER_COLUMNS.length} RETURNING *`, [
      ...rest,
      username,
    ]);
    return rows[0] && userFromRow(rows[0]);
  }

  async deleteUser(username: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM users WHERE username = $1', [username])).rowCount ?? 0) > 0;
  }

  async countUsers(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*)::integer AS n FROM users');
    return rows[0]?.n ?? 0;
  }

  // Sessions

  async getSession(sid: string, now: number): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>(
      'SELECT data, username, expires_at FROM sessions WHERE sid = $1 AND expires_at > $2',
      [sid, now],
    );
    return rows[0] && sessionFromRow(rows[0]);
  }

  async setSession(sid: string, record: SessionRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO sessions (sid, data, username, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sid) DO UPDATE SET data = excluded.data, username = excluded.username, expires_at = excluded.expires_at`,
      [sid, record.data, record.username ?? null, record.expiresAt],
    );
  }

  async touchSession(sid: string, expiresAt: number): Promise<void> {
    await this.pool.query('UPDATE sessions SET expires_at = $1 WHERE sid = $2', [expiresAt, sid]);
  }

  async destroySession(sid: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE sid = $1', [sid]);
  }

  async destroyUserSessions(username: string): Promise<number> {
    return (await this.pool.query('DELETE FROM sessions WHERE username = $1', [username])).rowCount ?? 0;
  }

  async pruneSessions(now: number): Promise<number> {
    return (await this.pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }

  // Tokens

  async createToken(token: StoredToken): Promise<void> {
    await this.insertOrConflict('tokens', TOKEN_COLUMNS, tokenParams(token), `token ${token.id} exists`);
  }

  async listTokens(): Promise<StoredToken[]> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM tokens ORDER BY created_at, id COLLATE "C"');
    return rows.map(tokenFromRow);
  }

  async findTokenByHash(hash: string): Promise<StoredToken | undefined> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM tokens WHERE hash = $1', [hash]);
    return rows[0] && tokenFromRow(rows[0]);
  }

  async touchToken(id: string, at: number): Promise<void> {
    await this.pool.query('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async deleteToken(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM tokens WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  // Devices

  async createDevice(device: StoredDevice): Promise<void> {
    const conflict = `device ${device.id} or username ${device.username} exists`;
    await this.insertOrConflict('devices', DEVICE_COLUMNS, deviceParams(device), conflict);
  }

  async listDevices(): Promise<StoredDevice[]> {
    const { rows } = await this.pool.query<DeviceRow>('SELECT * FROM devices ORDER BY id COLLATE "C"');
    return rows.map(deviceFromRow);
  }

  async getDevice(id: string): Promise<StoredDevice | undefined> {
    const { rows } = await this.pool.query<DeviceRow>('SELECT * FROM devices WHERE id = $1', [id]);
    return rows[0] && deviceFromRow(rows[0]);
  }

  async getDeviceByUsername(username: string): Promise<StoredDevice | undefined> {
    const { rows } = await this.pool.query<DeviceRow>('SELECT * FROM devices WHERE username = $1', [username]);
    return rows[0] && deviceFromRow(rows[0]);
  }

  async deleteDevice(id: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM devices WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  // Audit

  async appendAudit(entry: NewAuditEntry): Promise<void> {
    await this.pool.query(`INSERT INTO audit (${list(AUDIT_COLUMNS)}) VALUES (${marks(AUDIT_COLUMNS)})`, auditParams(entry));
  }

  async queryAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const { where, params } = auditWhere(query, (n) => `$${n}`);
    const { rows } = await this.pool.query<AuditRow>(`SELECT * FROM audit ${where} ORDER BY at DESC, id DESC LIMIT $${params.length + 1}`, [
      ...params,
      Math.max(0, Math.floor(query.limit)),
    ]);
    return rows.map(auditFromRow);
  }

  // Rules

  async saveRule(rule: Rule): Promise<void> {
    await this.pool.query('INSERT INTO rules (id, json) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET json = excluded.json', [
      rule.id,
      JSON.stringify(rule),
    ]);
  }

  async deleteRule(id: string): Promise<void> {
    await this.pool.query('DELETE FROM rules WHERE id = $1', [id]);
  }

  async loadRules(): Promise<Rule[]> {
    const { rows } = await this.pool.query<{ json: string }>('SELECT json FROM rules ORDER BY id COLLATE "C"');
    return rows.map((row) => JSON.parse(row.json) as Rule);
  }

  // Alerts

  async saveAlerts(alerts: readonly Alert[]): Promise<void> {
    const rows = newestPerId(alerts);
    if (rows.length === 0) return;
    await this.transaction(async (client) => {
      for (const chunk of chunks(rows, ALERT_CHUNK)) {
        await client.query(UPSERT_ALERTS, [
          chunk.map((row) => row.id),
          chunk.map((row) => row.startedAt),
          chunk.map((row) => row.version),
          chunk.map((row) => row.json),
        ]);
      }
    });
  }

  async loadAlerts(since?: number): Promise<Alert[]> {
    const { rows } =
      since === undefined
        ? await this.pool.query<{ json: string }>('SELECT json FROM alerts ORDER BY started_at, id COLLATE "C"')
        : await this.pool.query<{ json: string }>('SELECT json FROM alerts WHERE started_at >= $1 ORDER BY started_at, id COLLATE "C"', [since]);
    return rows.map((row) => JSON.parse(row.json) as Alert);
  }

  async loadAlertsOpenAt(at: number, startedBefore: number): Promise<Alert[]> {
    const { rows } = await this.pool.query<{ json: string }>(
      // Text matching rather than json operators: PostgreSQL's json and jsonb both refuse the \u0000
      // escape an alert's text may carry. The JSON is JSON.stringify of an Alert, where only the
      // top level has "state" and "updatedAt" (history events have "action" and "at").
      `SELECT json FROM alerts WHERE started_at < $1
       AND (position('"state":"resolved"' in json) = 0 OR substring(json from '"updatedAt":(-?[0-9]+)')::bigint > $2)
       ORDER BY started_at, id COLLATE "C"`,
      [startedBefore, at],
    );
    return rows.map((row) => JSON.parse(row.json) as Alert);
  }

  async getAlert(id: string): Promise<Alert | undefined> {
    const { rows } = await this.pool.query<{ json: string }>('SELECT json FROM alerts WHERE id = $1', [id]);
    return rows[0] && (JSON.parse(rows[0].json) as Alert);
  }

  async casAlert(next: Alert, basedOn: number): Promise<boolean> {
    const row = alertParams(next);
    const result = await this.pool.query(CAS_ALERT, [row.id, row.startedAt, row.version, row.json, basedOn]);
    return result.rowCount === 1;
  }

  // Records and blobs

  async insertRecord(record: StoredRecord): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO records (${list(RECORD_COLUMNS)}) VALUES (${marks(RECORD_COLUMNS)}) ON CONFLICT DO NOTHING`,
      recordParams(record, Boolean),
    );
    return result.rowCount === 1;
  }

  async casRecord(record: StoredRecord, basedOn: number): Promise<boolean> {
    const [kind, id, ...rest] = recordParams(record, Boolean);
    const set = RECORD_COLUMNS.slice(2)
      .map((column, i) => `${column} = $${i + 1}`)
      .join(', ');
    const n = rest.length;
    const result = await this.pool.query(`UPDATE records SET ${set} WHERE kind = $${n + 1} AND id = $${n + 2} AND version = $${n + 3}`, [
      ...rest,
      kind,
      id,
      basedOn,
    ]);
    return result.rowCount === 1;
  }

  async getRecord(kind: RecordKind, id: string): Promise<StoredRecord | undefined> {
    const { rows } = await this.pool.query<RecordRow>('SELECT * FROM records WHERE kind = $1 AND id = $2', [kind, id]);
    return rows[0] && recordFromRow(rows[0]);
  }

  async getRecordByKey(kind: RecordKind, key: string): Promise<StoredRecord | undefined> {
    const { rows } = await this.pool.query<RecordRow>('SELECT * FROM records WHERE kind = $1 AND key = $2', [kind, key]);
    return rows[0] && recordFromRow(rows[0]);
  }

  async listRecords(kind: RecordKind, query: RecordQuery): Promise<StoredRecord[]> {
    const { where, params } = recordWhere(kind, query, (i) => `$${i}`, Boolean);
    const { rows } = await this.pool.query<RecordRow>(`SELECT * FROM records WHERE ${where} ORDER BY at DESC, id DESC LIMIT $${params.length + 1}`, [
      ...params,
      query.limit,
    ]);
    return rows.map(recordFromRow);
  }

  async deleteRecord(kind: RecordKind, id: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM records WHERE kind = $1 AND id = $2', [kind, id]);
    return result.rowCount === 1;
  }

  async putBlob(id: string, blob: StoredBlob): Promise<void> {
    await this.pool.query('INSERT INTO blobs (id, content_type, bytes) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [id, blob.contentType, blob.bytes]);
  }

  async getBlob(id: string): Promise<StoredBlob | undefined> {
    const { rows } = await this.pool.query<{ content_type: string; bytes: Buffer }>('SELECT content_type, bytes FROM blobs WHERE id = $1', [id]);
    return rows[0] && { contentType: rows[0].content_type, bytes: rows[0].bytes };
  }

  // Settings

  async getSetting(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
    // A separate statement: it sees the row a concurrent first writer committed (a CTE would not).
    return (await this.getSetting(key)) ?? value;
  }

  /** INSERT that turns a clash with any unique key (id, username, hash) into StateConflictError. */
  private async insertOrConflict(table: string, columns: readonly string[], params: unknown[], conflict: string): Promise<void> {
    const result = await this.pool.query(`INSERT INTO ${table} (${list(columns)}) VALUES (${marks(columns)}) ON CONFLICT DO NOTHING`, params);
    if (result.rowCount === 0) throw new StateConflictError(conflict);
  }

  /** Runs `work` in one transaction on one pooled connection. */
  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      // A connection that cannot even roll back is discarded rather than returned to the pool.
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack);
      throw err;
    }
  }

  /** The message without the URL's password, should a driver ever echo it. */
  private redact(message: string): string {
    let password = '';
    try {
      password = decodeURIComponent(new URL(this.options.url).password);
    } catch {
      // unparseable URL: nothing to hide beyond what describeUrl already hides
    }
    return password ? message.split(password).join('***') : message;
  }
}

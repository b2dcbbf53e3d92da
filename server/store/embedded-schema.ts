import Database from 'better-sqlite3';
import type { FieldKind } from '../../contract/legal.js';

// Files written before rules and alerts moved to the state store also hold \`rules\` and \`alerts\`
// tables: nothing reads or writes them any more, and they are left as they are.
// `observations_1m` holds the downsampled minutes (server/store/retention.ts): `fields` has each
// numeric field's mean and the other fields' last value, `counts` how many raw values each mean
// covers (so a minute compacted in two passes merges exactly), `last_ts` the newest raw row folded in.
// `integers` (observations, latest) holds the exact decimal text of integer fields as JSON, or NULL: `fields`
// has each as the nearest double, so readers that need no exactness parse one column as before.
// `field_catalog` lists every field name per domain with its value kind and time span, so an
// export knows its columns without reading the window twice.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS observations (
  domain TEXT NOT NULL,
  id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  lat REAL,
  lon REAL,
  fields TEXT NOT NULL,
  tags TEXT,
  integers TEXT
);
CREATE INDEX IF NOT EXISTS observations_entity ON observations (domain, id, ts);
CREATE INDEX IF NOT EXISTS observations_ts ON observations (ts);
CREATE TABLE IF NOT EXISTS latest (
  domain TEXT NOT NULL,
  id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  lat REAL,
  lon REAL,
  fields TEXT NOT NULL,
  tags TEXT,
  integers TEXT,
  PRIMARY KEY (domain, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS observations_1m (
  domain TEXT NOT NULL,
  id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  lat REAL,
  lon REAL,
  fields TEXT NOT NULL,
  counts TEXT NOT NULL,
  tags TEXT,
  PRIMARY KEY (domain, id, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS observations_1m_ts ON observations_1m (ts, domain, id);
CREATE TABLE IF NOT EXISTS field_catalog (
  domain TEXT NOT NULL,
  field TEXT NOT NULL,
  kind TEXT NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  PRIMARY KEY (domain, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS write_progress (
  writer INTEGER PRIMARY KEY CHECK (writer = 0),
  batch INTEGER NOT NULL
);
`;

// `domains` is a JSON array of names or NULL for all: one prepared statement serves any list.
const DOMAIN_FILTER = '(@domains IS NULL OR domain IN (SELECT value FROM json_each(@domains)))';

/** Files from before exact integers lack the column; both connections may try, and one finds it added. */
function addIntegersColumn(db: Database.Database, table: 'observations' | 'latest'): void {
  const columns = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all();
  if (columns.some((c) => c.name === 'integers')) return;
  try {
    db.exec(`ALTER TABLE ${table} ADD COLUMN integers TEXT`);
  } catch (err) {
    if (!/duplicate column/i.test((err as Error).message)) throw err;
  }
}

/** Opens the file with the pragmas every connection uses, creating tables and indexes if missing. */
function connect(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  // The two connections (main thread, writer thread) wait for each other's locks instead of failing.
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -32000');
  db.exec(SCHEMA);
  addIntegersColumn(db, 'observations');
  addIntegersColumn(db, 'latest');
  return db;
}

/**
 * The main thread's connection: creates the file and tables, then only reads (WAL readers never wait
 * for the writer). It never checkpoints, so no commit or checkpoint ever runs on the ingest thread.
 */
export function openDatabase(file: string) {
  const db = connect(file);
  db.pragma('wal_autocheckpoint = 0');
  const statements = {
    latestRows: db.prepare<{ domains: string | null }, LatestRow>(
      `SELECT domain, id, ts, lat, lon, fields, tags, integers FROM latest WHERE ${DOMAIN_FILTER} ORDER BY domain, id`,
    ),
    entityBackwards: db.prepare<[string, string, number, number, number], ObservationRow>(
      `SELECT domain, id, ts, lat, lon, fields, tags, integers FROM observations
       WHERE domain = ? AND id = ? AND ts <= ? AND ts >= ? ORDER BY ts DESC, rowid DESC LIMIT ?`,
    ),
    entityRange: db.prepare<[string, string, number, number], ObservationRow>(
      `SELECT domain, id, ts, lat, lon, fields, tags, integers FROM observations
       WHERE domain = ? AND id = ? AND ts >= ? AND ts <= ? ORDER BY ts, rowid`,
    ),
    downBackwards: db.prepare<[string, string, number, number, number], ObservationRow>(
      `SELECT domain, id, ts, lat, lon, fields, tags FROM observations_1m
       WHERE domain = ? AND id = ? AND ts <= ? AND ts >= ? ORDER BY ts DESC LIMIT ?`,
    ),
    // One entity's history in pages (keyset on (ts, rowid), one minute per ts), so a long range is read
    // with turns of the event loop between pages and no statement left open across them.
    entityPage: db.prepare<
      { domain: string; id: string; ts: number; rid: number; to: number; limit: number },
      ObservationRow & { rid: number }
    >(
      `SELECT rowid AS rid, domain, id, ts, lat, lon, fields, tags, integers FROM observations
       WHERE domain = @domain AND id = @id AND ts >= @ts AND (ts, rowid) > (@ts, @rid) AND ts <= @to
       ORDER BY ts, rowid LIMIT @limit`,
    ),
    downEntityPage: db.prepare<{ domain: string; id: string; ts: number; to: number; limit: number }, DownsampledRow>(
      `SELECT domain, id, ts, last_ts, lat, lon, fields, counts, tags FROM observations_1m
       WHERE domain = @domain AND id = @id AND ts > @ts AND ts <= @to ORDER BY ts LIMIT @limit`,
    ),
    downScanPage: db.prepare<
      { domains: string | null; ts: number; domain: string; id: string; to: number; limit: number },
      ObservationRow
    >(
      `SELECT domain, id, ts, lat, lon, fields, tags FROM observations_1m
       WHERE (ts, domain, id) > (@ts, @domain, @id) AND ts <= @to AND ${DOMAIN_FILTER}
       ORDER BY ts, domain, id LIMIT @limit`,
    ),
    fieldCatalog: db.prepare<{ domains: string | null; from: number; to: number }, CatalogRow>(
      `SELECT domain, field, kind FROM field_catalog
       WHERE ${DOMAIN_FILTER} AND first_ts <= @to AND last_ts >= @from ORDER BY domain, field`,
    ),
    // Rows as arrays, not objects: a scan reads millions of rows, and building an object per row
    // cost better-sqlite3 as much as the query itself.
    scanPage: db
      .prepare<{ domains: string | null; ts: number; rid: number; to: number; limit: number }, ScanTuple>(
        `SELECT rowid AS rid, domain, id, ts, lat, lon, fields, tags, integers FROM observations
         WHERE (ts, rowid) > (@ts, @rid) AND ts <= @to AND ${DOMAIN_FILTER}
         ORDER BY ts, rowid LIMIT @limit`,
      )
      .raw(true),
  };
  return { db, statements };
}

export type EmbeddedDatabase = ReturnType<typeof openDatabase>;

/** The writer thread's connection: every INSERT, upsert and checkpoint goes through it. */
export function openWriterDatabase(file: string, checkpointPages: number) {
  const db = connect(file);
  db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(checkpointPages))}`);
  const statements = {
    insert: db.prepare<[string, string, number, number | null, number | null, string, string | null, string | null]>(
      'INSERT INTO observations (domain, id, ts, lat, lon, fields, tags, integers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    replaceLatest: db.prepare<
      [string, string, number, number | null, number | null, string, string | null, string | null]
    >(
      'INSERT OR REPLACE INTO latest (domain, id, ts, lat, lon, fields, tags, integers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    latestRows: db.prepare<[], LatestRow>('SELECT domain, id, ts, lat, lon, fields, tags, integers FROM latest'),
    committedBatch: db.prepare<[], { batch: number }>('SELECT batch FROM write_progress WHERE writer = 0'),
    recordBatch: db.prepare<[number]>(
      'INSERT INTO write_progress (writer, batch) VALUES (0, ?) ON CONFLICT (writer) DO UPDATE SET batch = excluded.batch',
    ),
  };
  return { db, statements };
}

export type EmbeddedWriterDatabase = ReturnType<typeof openWriterDatabase>;

/** A row of `observations` (or `latest`): fields and tags as JSON text. */
export interface ObservationRow {
  domain: string;
  id: string;
  ts: number;
  lat: number | null;
  lon: number | null;
  fields: string;
  tags: string | null;
  /** Exact integer text per field as JSON (`Observation.integers`); absent on downsampled rows. */
  integers?: string | null;
}

export type LatestRow = ObservationRow;

/** A row of a scan page, as an array: rowid, domain, id, ts, lat, lon, fields, tags, integers. */
export type ScanTuple = [
  rid: number,
  domain: string,
  id: string,
  ts: number,
  lat: number | null,
  lon: number | null,
  fields: string,
  tags: string | null,
  integers: string | null,
];

/** A row of `observations_1m`: the minute's values, and per numeric field how many raw values its mean covers. */
export interface DownsampledRow extends ObservationRow {
  last_ts: number;
  counts: string;
}

/** A row of `field_catalog` (mixed kinds merged by `mergeFieldKinds`). */
export interface CatalogRow {
  domain: string;
  field: string;
  kind: FieldKind;
}

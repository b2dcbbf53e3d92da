import type Database from 'better-sqlite3';
import type { FieldValue } from '../../contract/index.js';
import type { DownsampledRow, ObservationRow } from './embedded-schema.js';
import { bucketStart, type RetentionOptions } from './retention.js';

/** Raw rows folded into minutes per pass: bounds how long one pass holds the writer thread. */
export const COMPACT_ROWS_PER_PASS = 20_000;

interface FieldAcc {
  sum: number;
  count: number;
  last: FieldValue;
  lastTs: number;
  numeric: boolean;
}

/** One entity's minute being built: the raw rows of one pass, merged with what an earlier pass stored. */
interface Minute {
  domain: string;
  id: string;
  ts: number;
  lastTs: number;
  lat: number | null;
  lon: number | null;
  tags: string | null;
  fields: Map<string, FieldAcc>;
}

/** What one pass did. */
export interface CompactResult {
  /** Raw rows folded into minutes and deleted. */
  compacted: number;
  /** Minutes deleted past the downsampled retention. */
  expired: number;
  /** True when the pass stopped at its bound: call again soon. */
  more: boolean;
}

function addValue(minute: Minute, name: string, value: FieldValue, ts: number, weight: number): void {
  const acc = minute.fields.get(name);
  const numeric = typeof value === 'number';
  if (!acc) {
    minute.fields.set(name, { sum: numeric ? value * weight : 0, count: weight, last: value, lastTs: ts, numeric });
    return;
  }
  if (acc.numeric && numeric) {
    acc.sum += value * weight;
    acc.count += weight;
  } else acc.numeric = false;
  if (ts >= acc.lastTs) {
    acc.last = value;
    acc.lastTs = ts;
  }
}

function addRow(
  minute: Minute,
  row: ObservationRow,
  fields: Record<string, FieldValue>,
  ts: number,
  counts?: Record<string, number>,
): void {
  for (const name in fields) addValue(minute, name, fields[name]!, ts, counts?.[name] ?? 1);
  if (ts >= minute.lastTs) {
    minute.lastTs = ts;
    minute.tags = row.tags;
    if (row.lat !== null && row.lon !== null) {
      minute.lat = row.lat;
      minute.lon = row.lon;
    }
  } else if (minute.lat === null && row.lat !== null && row.lon !== null) {
    minute.lat = row.lat;
    minute.lon = row.lon;
  }
}

/**
 * The embedded store's compaction (run by the writer thread, which owns every write to the file):
 * raw rows older than the raw retention are folded into per-minute rows (server/store/retention.ts)
 * and deleted in the same transaction, at most COMPACT_ROWS_PER_PASS per pass; minutes older than
 * the downsampled retention are deleted, as boundedly.
 */
export function createCompactor(
  db: Database.Database,
  retention: RetentionOptions,
  rowsPerPass = COMPACT_ROWS_PER_PASS,
) {
  const oldRaw = db.prepare<[number, number], ObservationRow & { rid: number }>(
    `SELECT rowid AS rid, domain, id, ts, lat, lon, fields, tags FROM observations
     WHERE ts < ? ORDER BY ts, rowid LIMIT ?`,
  );
  const stored = db.prepare<[string, string, number], DownsampledRow>(
    'SELECT domain, id, ts, last_ts, lat, lon, fields, counts, tags FROM observations_1m WHERE domain = ? AND id = ? AND ts = ?',
  );
  const put = db.prepare<[string, string, number, number, number | null, number | null, string, string, string | null]>(
    `INSERT OR REPLACE INTO observations_1m (domain, id, ts, last_ts, lat, lon, fields, counts, tags)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Rows are read in (ts, rowid) order, so everything up to the last one read is exactly what was read.
  const deleteRaw = db.prepare<[number, number, number]>(
    'DELETE FROM observations WHERE ts <= ? AND (ts < ? OR rowid <= ?)',
  );
  const expire = db.prepare<[number, number, number]>(
    `DELETE FROM observations_1m WHERE ts < ? AND (domain, id, ts) IN
       (SELECT domain, id, ts FROM observations_1m WHERE ts < ? ORDER BY ts LIMIT ?)`,
  );

  const fold = db.transaction((cutoff: number): number => {
    const rows = oldRaw.all(cutoff, rowsPerPass);
    if (rows.length === 0) return 0;
    const minutes = new Map<string, Minute>();
    for (const row of rows) {
      const ts = bucketStart(row.ts);
      const key = `${row.domain}\0${row.id}\0${ts}`;
      let minute = minutes.get(key);
      if (!minute) {
        minute = {
          domain: row.domain,
          id: row.id,
          ts,
          lastTs: -Infinity,
          lat: null,
          lon: null,
          tags: null,
          fields: new Map(),
        };
        const before = stored.get(row.domain, row.id, ts);
        if (before) {
          const counts = JSON.parse(before.counts) as Record<string, number>;
          addRow(minute, before, JSON.parse(before.fields) as Record<string, FieldValue>, before.last_ts, counts);
        }
        minutes.set(key, minute);
      }
      addRow(minute, row, JSON.parse(row.fields) as Record<string, FieldValue>, row.ts);
    }
    for (const m of minutes.values()) {
      const fields: Record<string, FieldValue> = {};
      const counts: Record<string, number> = {};
      for (const [name, acc] of m.fields) {
        if (acc.numeric) {
          fields[name] = acc.sum / acc.count;
          counts[name] = acc.count;
        } else fields[name] = acc.last;
      }
      put.run(m.domain, m.id, m.ts, m.lastTs, m.lat, m.lon, JSON.stringify(fields), JSON.stringify(counts), m.tags);
    }
    const last = rows[rows.length - 1]!;
    deleteRaw.run(last.ts, last.ts, last.rid);
    return rows.length;
  });

  return {
    /** One bounded pass at `now` (ms). */
    pass(now: number): CompactResult {
      // Only whole minutes: a minute is folded once every row of it is past the raw retention.
      const compacted = fold(bucketStart(now - retention.rawMs));
      const limit = now - retention.downsampledMs;
      const expired = expire.run(limit, limit, rowsPerPass).changes;
      return { compacted, expired, more: compacted >= rowsPerPass || expired >= rowsPerPass };
    },
  };
}

export type Compactor = ReturnType<typeof createCompactor>;

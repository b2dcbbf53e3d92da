import type { FieldValue, HistoryPoint, Observation } from '../../contract/index.js';
import type { EmbeddedDatabase, ObservationRow } from './embedded-schema.js';
import type { HistoryQueryOptions, LatestQueryOptions, ScanOptions } from './types.js';

/** Rows walked back per entity for latest(at) before giving up on fields not reported since. */
export const MAX_WALK_ROWS = 10_000;

type Statements = EmbeddedDatabase['statements'];

function domainsParam(domains: string[] | undefined): string | null {
  return domains ? JSON.stringify(domains) : null;
}

/** A stored row back as an observation. */
export function rowToObservation(row: ObservationRow): Observation {
  const obs: Observation = {
    domain: row.domain,
    id: row.id,
    ts: row.ts,
    fields: JSON.parse(row.fields) as Record<string, FieldValue>,
  };
  if (row.lat !== null && row.lon !== null) {
    obs.lat = row.lat;
    obs.lon = row.lon;
  }
  if (row.tags !== null) obs.tags = JSON.parse(row.tags) as Record<string, string>;
  return obs;
}

/**
 * Latest state per entity. Now: the `latest` table (upserted on write). At a past time: per entity,
 * walk its rows backwards from `at` merging fields until every field it has ever reported (and its
 * position) is found, the lookback is passed, or MAX_WALK_ROWS rows were read.
 */
export function readLatest(statements: Statements, options: LatestQueryOptions): Observation[] {
  const current = statements.latestRows.all({ domains: domainsParam(options.domains) });
  if (options.at === undefined) {
    const since = options.lookback === undefined ? -Infinity : Date.now() - options.lookback;
    return current.filter((row) => row.ts >= since).map(rowToObservation);
  }
  const at = options.at;
  const since = options.lookback === undefined ? Number.MIN_SAFE_INTEGER : at - options.lookback;
  const result: Observation[] = [];
  for (const entity of current) {
    // Everything this entity reported is at or before `at`: its merged row is the answer.
    if (options.lookback === undefined && entity.ts <= at) {
      result.push(rowToObservation(entity));
      continue;
    }
    const wanted = Object.keys(JSON.parse(entity.fields) as object).length;
    const wantsPosition = entity.lat !== null;
    let merged: Observation | undefined;
    let found = 0;
    for (const row of statements.entityBackwards.iterate(entity.domain, entity.id, at, since, MAX_WALK_ROWS)) {
      if (!merged) {
        merged = rowToObservation(row);
        found = Object.keys(merged.fields).length;
      } else {
        const fields = JSON.parse(row.fields) as Record<string, FieldValue>;
        for (const key in fields) {
          if (!(key in merged.fields)) {
            merged.fields[key] = fields[key]!;
            found += 1;
          }
        }
        if (merged.lat === undefined && row.lat !== null && row.lon !== null) {
          merged.lat = row.lat;
          merged.lon = row.lon;
        }
      }
      if (found >= wanted && (!wantsPosition || merged.lat !== undefined)) break;
    }
    if (merged) result.push(merged);
  }
  return result;
}

interface Accumulator {
  sum: number;
  count: number;
  last: FieldValue;
  numeric: boolean;
}

function pick(row: ObservationRow, fields: string[] | undefined): Record<string, FieldValue> {
  const all = JSON.parse(row.fields) as Record<string, FieldValue>;
  if (!fields) return all;
  const picked: Record<string, FieldValue> = {};
  for (const name of fields) {
    if (name === 'lat' && row.lat !== null) picked.lat = row.lat;
    else if (name === 'lon' && row.lon !== null) picked.lon = row.lon;
    else if (all[name] !== undefined) picked[name] = all[name];
  }
  return picked;
}

/**
 * One entity's history, oldest first. Raw: one point per row with the fields it reported.
 * Downsampled: buckets at floor(ts / every) * every, numbers averaged, other values the last one.
 * Position fields `lat`/`lon` are returned only when asked for by name.
 */
export function readHistory(statements: Statements, options: HistoryQueryOptions): HistoryPoint[] {
  const rows = statements.entityRange.iterate(options.domain, options.id, options.from, options.to);
  const points: HistoryPoint[] = [];
  if (options.every === undefined) {
    for (const row of rows) {
      const fields = pick(row, options.fields);
      if (Object.keys(fields).length > 0) points.push({ ts: row.ts, fields });
    }
    return points;
  }
  const every = Math.max(1, Math.round(options.every));
  let bucketTs = NaN;
  let bucket = new Map<string, Accumulator>();
  const close = () => {
    if (bucket.size === 0) return;
    const fields: HistoryPoint['fields'] = {};
    for (const [name, acc] of bucket) fields[name] = acc.numeric ? acc.sum / acc.count : acc.last;
    points.push({ ts: bucketTs, fields });
  };
  for (const row of rows) {
    const start = Math.floor(row.ts / every) * every;
    if (start !== bucketTs) {
      close();
      bucketTs = start;
      bucket = new Map();
    }
    const fields = pick(row, options.fields);
    for (const name in fields) {
      const value = fields[name]!;
      const acc = bucket.get(name);
      const isNumber = typeof value === 'number';
      if (!acc) bucket.set(name, { sum: isNumber ? value : 0, count: 1, last: value, numeric: isNumber });
      else {
        acc.last = value;
        acc.numeric &&= isNumber;
        if (isNumber) acc.sum += value;
        acc.count += 1;
      }
    }
  }
  close();
  return points;
}

/** Observations in [from, to], oldest first, in chunks: keyset pagination on (ts, rowid). */
export function* readScan(statements: Statements, options: ScanOptions): Generator<Observation[]> {
  const limit = Math.max(1, options.chunkSize ?? 5000);
  const domains = domainsParam(options.domains);
  let ts = options.from;
  let rid = -1;
  for (;;) {
    const rows = statements.scanPage.all({ domains, ts, rid, to: options.to, limit });
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    ts = last.ts;
    rid = last.rid;
    yield rows.map(rowToObservation);
    if (rows.length < limit) return;
  }
}

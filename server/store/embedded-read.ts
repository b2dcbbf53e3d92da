import type { FieldValue, HistoryPoint, Observation } from '../../contract/index.js';
import type { DownsampledRow, EmbeddedDatabase, ObservationRow, ScanTuple } from './embedded-schema.js';
import { DOWNSAMPLE_BUCKET_MS } from './retention.js';
import type { FieldKey, FieldKeysOptions, HistoryQueryOptions, LatestQueryOptions, ScanOptions } from './types.js';

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
  if (row.integers) obs.integers = JSON.parse(row.integers) as Record<string, string>;
  return obs;
}

/**
 * Latest state per entity. Now: the `latest` table (upserted on write). At a past time: per entity,
 * walk its rows (raw, then downsampled minutes) backwards from `at` merging fields until every field it has ever reported (and its
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
    for (const row of walkBack(statements, entity.domain, entity.id, at, since)) {
      if (!merged) {
        merged = rowToObservation(row);
        found = Object.keys(merged.fields).length;
      } else {
        const fields = JSON.parse(row.fields) as Record<string, FieldValue>;
        const integers = row.integers ? (JSON.parse(row.integers) as Record<string, string>) : undefined;
        for (const key in fields) {
          if (!(key in merged.fields)) {
            merged.fields[key] = fields[key]!;
            const exact = integers?.[key];
            if (exact !== undefined) (merged.integers ??= {})[key] = exact;
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

/**
 * An entity's rows backwards from `at`: raw rows, then the downsampled minutes (older data lives in
 * one table or the other, never both), MAX_WALK_ROWS in all.
 */
function* walkBack(
  statements: Statements,
  domain: string,
  id: string,
  at: number,
  since: number,
): Generator<ObservationRow> {
  let left = MAX_WALK_ROWS;
  for (const row of statements.entityBackwards.iterate(domain, id, at, since, left)) {
    left -= 1;
    yield row;
  }
  if (left <= 0) return;
  yield* statements.downBackwards.iterate(domain, id, at, since, left);
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

/** A raw history point, with the exact text of its integer fields. */
function pointOf(row: ObservationRow, fields: Record<string, FieldValue>): HistoryPoint {
  const point: HistoryPoint = { ts: row.ts, fields };
  if (row.integers) {
    const integers = JSON.parse(row.integers) as Record<string, string>;
    for (const name in integers) if (name in fields) (point.integers ??= {})[name] = integers[name]!;
  }
  return point;
}

/** Rows read per page of one entity's history, and rows handled between two turns of the event loop (about 20 ms each). */
export const HISTORY_PAGE_ROWS = 1000;
export const HISTORY_CHUNK_ROWS = 1000;

/**
 * One entity's history, oldest first. Raw: one point per row with the fields it reported.
 * Downsampled: buckets at floor(ts / every) * every, numbers averaged, other values the last one.
 * Position fields `lat`/`lon` are returned only when asked for by name.
 *
 * Reads are synchronous and a range may hold hundreds of thousands of rows, so this is a generator
 * that pauses (yields) every HISTORY_CHUNK_ROWS rows and returns the points when done; the caller
 * gives the event loop a turn at each pause. Rows come in keyset pages, so no statement stays open
 * across a pause.
 */
export function* readHistory(
  statements: Statements,
  options: HistoryQueryOptions,
): Generator<void, HistoryPoint[], void> {
  const { domain, id, to } = options;
  const rows = mergeByTs<ObservationRow & { counts?: string }>(
    pagedRows<DownsampledRow>((after) =>
      statements.downEntityPage.all({ domain, id, ts: after?.ts ?? options.from - 1, to, limit: HISTORY_PAGE_ROWS }),
    ),
    pagedRows<ObservationRow & { rid: number }>((after) =>
      statements.entityPage.all({
        domain,
        id,
        ts: after?.ts ?? options.from,
        rid: after?.rid ?? -1,
        to,
        limit: HISTORY_PAGE_ROWS,
      }),
    ),
  );
  const points: HistoryPoint[] = [];
  let handled = 0;
  if (options.every === undefined) {
    for (const row of rows) {
      const fields = pick(row, options.fields);
      if (Object.keys(fields).length > 0) points.push(pointOf(row, fields));
      if (++handled % HISTORY_CHUNK_ROWS === 0) yield;
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
    // A downsampled minute's mean weighs as the raw values it covers, so the bucket's mean is exact.
    const counts = row.counts === undefined ? undefined : (JSON.parse(row.counts) as Record<string, number>);
    for (const name in fields) {
      const value = fields[name]!;
      const weight = counts?.[name] ?? 1;
      const acc = bucket.get(name);
      const isNumber = typeof value === 'number';
      if (!acc) bucket.set(name, { sum: isNumber ? value * weight : 0, count: weight, last: value, numeric: isNumber });
      else {
        acc.last = value;
        acc.numeric &&= isNumber;
        if (isNumber) acc.sum += value * weight;
        acc.count += weight;
      }
    }
    if (++handled % HISTORY_CHUNK_ROWS === 0) yield;
  }
  close();
  return points;
}

/** Rows of a keyset-paged query, one page at a time: `page(last)` reads the page after the last row seen. */
function* pagedRows<T>(page: (after: T | undefined) => T[]): Generator<T> {
  let after: T | undefined;
  for (;;) {
    const rows = page(after);
    yield* rows;
    if (rows.length < HISTORY_PAGE_ROWS) return;
    after = rows[rows.length - 1];
  }
}

/** Two ts-ordered row streams as one, oldest first (the downsampled one first on equal times). */
function* mergeByTs<T extends { ts: number }>(older: Iterator<T>, newer: Iterator<T>): Generator<T> {
  let a = older.next();
  let b = newer.next();
  while (!a.done || !b.done) {
    if (!a.done && (b.done || a.value.ts <= b.value.ts)) {
      yield a.value;
      a = older.next();
    } else if (!b.done) {
      yield b.value;
      b = newer.next();
    }
  }
}

/** A scan page's row back as an observation (as `rowToObservation`, without an object per row in between). */
function tupleToObservation(row: ScanTuple): Observation {
  const obs: Observation = {
    domain: row[1],
    id: row[2],
    ts: row[3],
    fields: JSON.parse(row[6]) as Record<string, FieldValue>,
  };
  const lat = row[4];
  const lon = row[5];
  if (lat !== null && lon !== null) {
    obs.lat = lat;
    obs.lon = lon;
  }
  if (row[7] !== null) obs.tags = JSON.parse(row[7]) as Record<string, string>;
  if (row[8]) obs.integers = JSON.parse(row[8]) as Record<string, string>;
  return obs;
}

function tupleToRow(row: ScanTuple): ObservationRow {
  return {
    domain: row[1],
    id: row[2],
    ts: row[3],
    lat: row[4],
    lon: row[5],
    fields: row[6],
    tags: row[7],
    integers: row[8],
  };
}

/** Raw rows in [from, to], oldest first, in pages: keyset pagination on (ts, rowid). */
function* rawPages(statements: Statements, options: ScanOptions, limit: number): Generator<ScanTuple[]> {
  const domains = domainsParam(options.domains);
  let ts = options.from;
  let rid = -1;
  for (;;) {
    const rows = statements.scanPage.all({ domains, ts, rid, to: options.to, limit });
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    ts = last[3];
    rid = last[0];
    yield rows;
    if (rows.length < limit) return;
  }
}

/** Downsampled minutes in [from, to], oldest first, in pages: keyset pagination on (ts, domain, id). */
function* downPages(statements: Statements, options: ScanOptions, limit: number): Generator<ObservationRow[]> {
  const domains = domainsParam(options.domains);
  // Past every key at from - 1, so the first page starts at `from` itself (times are whole ms).
  let key = { ts: options.from - 1, domain: '\uffff', id: '' };
  for (;;) {
    const rows = statements.downScanPage.all({ domains, ...key, to: options.to, limit });
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    key = { ts: last.ts, domain: last.domain, id: last.id };
    yield rows;
    if (rows.length < limit) return;
  }
}

function* rowsOf(pages: Generator<ObservationRow[]>, first?: ObservationRow[]): Generator<ObservationRow> {
  if (first) yield* first;
  for (const page of pages) yield* page;
}

/**
 * Observations in [from, to], oldest first, in chunks. Raw pages pass straight through when the
 * window holds no downsampled minute (the usual, recent case); otherwise both are merged by time.
 */
export function* readScan(statements: Statements, options: ScanOptions): Generator<Observation[]> {
  const limit = Math.max(1, options.chunkSize ?? 5000);
  const down = downPages(statements, options, limit);
  const firstDown = down.next();
  if (firstDown.done) {
    for (const page of rawPages(statements, options, limit)) yield page.map(tupleToObservation);
    return;
  }
  let chunk: Observation[] = [];
  const raw = (function* () {
    for (const page of rawPages(statements, options, limit)) for (const row of page) yield tupleToRow(row);
  })();
  for (const row of mergeByTs(rowsOf(down, firstDown.value), raw)) {
    chunk.push(rowToObservation(row));
    if (chunk.length >= limit) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Field names and kinds per domain with values in [from, to] (from the catalogue, not the rows). */
export function readFieldKeys(statements: Statements, options: FieldKeysOptions): FieldKey[] {
  return statements.fieldCatalog
    .all({ domains: domainsParam(options.domains), from: options.from - DOWNSAMPLE_BUCKET_MS, to: options.to })
    .map((row) => ({ domain: row.domain, field: row.field, kind: row.kind }));
}

import type { HistoryPoint, Observation } from '../../contract/index.js';
import { mergeFieldKinds, type FieldKind } from '../../contract/legal.js';
import { ident, literal, msTime, type InfluxHttp, type InfluxResult, type InfluxSeries } from './influx-http.js';
import { ID_TAG } from './influx-line.js';
import { boundaryOf, downFieldsOf, fieldTypes, isScalar, rawFieldsOf, sourceOf, type Tier } from './influx-columns.js';
import type { InfluxTiers } from './influx-retention.js';
import type { FieldKey, FieldKeysOptions, HistoryQueryOptions, LatestQueryOptions } from './types.js';

/**
 * Measurements in which earlier versions kept rules and alerts (now in the state store): never
 * written any more, and never treated as domains in databases that still hold them.
 */
export const LEGACY_MEASUREMENTS: ReadonlySet<string> = new Set(['ioc_rules', 'ioc_alerts']);

/** The given domains, or every measurement except the legacy rules/alerts ones. */
export async function listDomains(http: InfluxHttp, domains?: string[]): Promise<string[]> {
  if (domains) return domains;
  const [result] = await http.query('SHOW MEASUREMENTS');
  const names = result?.series?.[0]?.values.map((v) => String(v[0])) ?? [];
  return names.filter((name) => !LEGACY_MEASUREMENTS.has(name));
}

function timeRange(from: number | undefined, to: number | undefined): string {
  const conditions: string[] = [];
  if (to !== undefined) conditions.push(`time <= ${msTime(to)}`);
  if (from !== undefined) conditions.push(`time >= ${msTime(from)}`);
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/** Requests in flight at once for one latest(): influxd runs a request's statements one after another. */
const LATEST_PARALLEL_REQUESTS = 3;

/** An entity's newest value of each column, and the tags of its newest row, while answers come in. */
interface LatestParts {
  domain: string;
  id: string;
  ts: number;
  tags: Record<string, string> | undefined;
  columns: Map<string, { ts: number; value: unknown }>;
}

/**
 * Latest per entity in one tier and time range. One `last(column) … GROUP BY *` statement per field
 * column, spread over a few parallel requests: each answers, per series, the column's last value and
 * its time, so an entity's time is its newest column's and its tags are that series' tags. This
 * is the same answer as `last(*)` plus a newest-row query, at about half influxd's CPU, and the
 * statements use both cores (docs/PERFORMANCE.md, "Replay: where the time goes").
 */
async function latestIn(
  http: InfluxHttp,
  domains: string[],
  tier: Tier,
  tiers: InfluxTiers | undefined,
  from: number | undefined,
  to: number | undefined,
): Promise<Map<string, Observation>> {
  const where = timeRange(from, to);
  const fieldResults = await http.query(
    domains.map((d) => `SHOW FIELD KEYS FROM ${sourceOf(d, tier, tiers)}`).join('; '),
  );
  const statements: { domain: string; text: string }[] = [];
  domains.forEach((domain, i) => {
    const columns = new Set((fieldResults[i]?.series?.[0]?.values ?? []).map((v) => String(v[0])));
    for (const column of columns) {
      statements.push({
        domain,
        text: `SELECT last(${ident(column)}) AS ${ident(column)} FROM ${sourceOf(domain, tier, tiers)}${where} GROUP BY *`,
      });
    }
  });
  const parts = new Map<string, LatestParts>();
  const take = (domain: string, result: InfluxResult) => {
    for (const series of result.series ?? []) {
      const id = series.tags?.[ID_TAG];
      const row = series.values[0];
      const column = series.columns[1];
      if (id === undefined || id === '' || !row || column === undefined) continue;
      const ts = Number(row[0]);
      const key = `${domain}\0${id}`;
      let entity = parts.get(key);
      if (!entity) {
        entity = { domain, id, ts: -Infinity, tags: undefined, columns: new Map() };
        parts.set(key, entity);
      }
      const held = entity.columns.get(column);
      if (!held || ts > held.ts) entity.columns.set(column, { ts, value: row[1] });
      if (ts > entity.ts) {
        entity.ts = ts;
        let tags: Record<string, string> | undefined;
        for (const [name, value] of Object.entries(series.tags ?? {})) {
          if (name !== ID_TAG && value !== '') (tags ??= {})[name] = value;
        }
        entity.tags = tags;
      }
    }
  };
  // Statements dealt round-robin into the requests, so each request holds a similar share.
  const requests = Array.from({ length: Math.min(LATEST_PARALLEL_REQUESTS, statements.length) }, (_, r) =>
    statements.filter((_, i) => i % LATEST_PARALLEL_REQUESTS === r),
  );
  await Promise.all(
    requests.map(async (group) => {
      const results = await http.query(group.map((st) => st.text).join('; '));
      results.forEach((result, i) => take(group[i]!.domain, result));
    }),
  );
  const entities = new Map<string, Observation>();
  for (const [key, entity] of parts) {
    const obs: Observation = { domain: entity.domain, id: entity.id, ts: entity.ts, fields: {} };
    if (entity.tags) obs.tags = entity.tags;
    const columns = [...entity.columns.keys()];
    const values = [...entity.columns.values()].map((held) => held.value);
    if (tier === 'raw') rawFieldsOf(columns, values, obs);
    else downFieldsOf(columns, values, obs);
    entities.set(key, obs);
  }
  return entities;
}

/** Fills what a newer state lacks (fields, position) from an older one. */
function fillFrom(newer: Observation, older: Observation): void {
  for (const name in older.fields) if (!(name in newer.fields)) newer.fields[name] = older.fields[name]!;
  if (newer.lat === undefined && older.lat !== undefined && older.lon !== undefined) {
    newer.lat = older.lat;
    newer.lon = older.lon;
  }
}

/**
 * Latest state per entity, now or at a past time. With retention, the part of [at - lookback, at]
 * older than the raw retention is read from the downsampled minutes and merged under the raw part.
 */
export async function queryLatest(
  http: InfluxHttp,
  options: LatestQueryOptions,
  tiers?: InfluxTiers,
): Promise<Observation[]> {
  const domains = await listDomains(http, options.domains);
  if (domains.length === 0) return [];
  const at = options.at;
  const since = options.lookback === undefined ? undefined : (at ?? Date.now()) - options.lookback;
  const boundary = boundaryOf(tiers);
  const rawFrom = boundary === undefined ? since : Math.max(since ?? boundary, boundary);
  const readRaw = at === undefined || rawFrom === undefined || at >= rawFrom;
  const [raw, down] = await Promise.all([
    readRaw ? latestIn(http, domains, 'raw', tiers, rawFrom, at) : new Map<string, Observation>(),
    boundary !== undefined && (since === undefined || since < boundary)
      ? latestIn(http, domains, 'down', tiers, since, Math.min(at ?? boundary, boundary - 1))
      : new Map<string, Observation>(),
  ]);
  for (const [key, old] of down) {
    const recent = raw.get(key);
    if (recent) fillFrom(recent, old);
    else raw.set(key, old);
  }
  return [...raw.values()].sort(compareEntities);
}

function compareEntities(a: Observation, b: Observation): number {
  return a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Points of one answer into `into`. Fields in `integerFields` (integer columns of a raw read) also get their
 * exact text: a bigint from the exact parser, or the integer JSON gave when it fits a double exactly.
 */
function pointsOf(
  series: InfluxSeries | undefined,
  into: Map<number, HistoryPoint>,
  integerFields?: ReadonlySet<string>,
): void {
  for (const values of series?.values ?? []) {
    const ts = Number(values[0]);
    let point = into.get(ts);
    for (let i = 1; i < series!.columns.length; i += 1) {
      const name = series!.columns[i]!;
      const value = values[i];
      if (typeof value === 'bigint') {
        point ??= { ts, fields: {} };
        point.fields[name] = Number(value);
        (point.integers ??= {})[name] = value.toString();
        continue;
      }
      if (!isScalar(value)) continue;
      point ??= { ts, fields: {} };
      point.fields[name] = value;
      if (typeof value === 'number' && integerFields?.has(name)) (point.integers ??= {})[name] = String(value);
    }
    if (point) into.set(ts, point);
  }
}

/** InfluxDB's integer field types (`unsigned` exists in 2.x and some 1.x builds). */
function isIntegerType(type: string | undefined): boolean {
  return type === 'integer' || type === 'unsigned';
}

/** A field's value column in a tier: itself raw; in minutes its mean when numeric, else its last. */
function valueColumn(field: string, tier: Tier, types: Map<string, string>): string | undefined {
  if (tier === 'raw') return types.has(field) ? field : undefined;
  if (field !== 'lat' && field !== 'lon' && types.has(`mean_${field}`)) return `mean_${field}`;
  return types.has(`last_${field}`) ? `last_${field}` : undefined;
}

/** The field names a tier holds (position left out). */
function namesIn(tier: Tier, types: Map<string, string>): string[] {
  const names = [...types.keys()].map((k) => (tier === 'raw' ? k : k.replace(/^(mean|last)_/, '')));
  return [...new Set(names)].filter((f) => f !== 'lat' && f !== 'lon');
}

/** One tier's part of an entity's history, into `points` (keyed by time). */
async function historyIn(
  http: InfluxHttp,
  options: HistoryQueryOptions,
  tier: Tier,
  tiers: InfluxTiers | undefined,
  from: number,
  to: number,
  points: Map<number, HistoryPoint>,
): Promise<void> {
  const types = await fieldTypes(http, options.domain, tier, tiers);
  const names = (options.fields ?? namesIn(tier, types)).filter((f) => valueColumn(f, tier, types) !== undefined);
  if (names.length === 0) return;
  const source = sourceOf(options.domain, tier, tiers);
  const where = ` WHERE ${ident(ID_TAG)} = ${literal(options.id)} AND time >= ${msTime(from)} AND time <= ${msTime(to)}`;
  const column = (f: string) => ident(valueColumn(f, tier, types)!);
  if (options.every === undefined) {
    const integerFields = new Set(names.filter((f) => tier === 'raw' && isIntegerType(types.get(f))));
    const [result] = await http.query(
      `SELECT ${names.map((f) => `${column(f)} AS ${ident(f)}`).join(',')} FROM ${source}${where}`,
      'GET',
      undefined,
      integerFields.size > 0,
    );
    pointsOf(result?.series?.[0], points, integerFields);
    return;
  }
  const every = Math.max(1, Math.round(options.every));
  const isNumeric = (f: string) => {
    const type = types.get(valueColumn(f, tier, types)!);
    return type === 'float' || isIntegerType(type);
  };
  const numeric = names.filter(isNumeric);
  const other = names.filter((f) => !isNumeric(f));
  const groupBy = ` GROUP BY time(${every}ms) fill(none)`;
  const statements: string[] = [];
  if (numeric.length > 0) {
    statements.push(
      `SELECT ${numeric.map((f) => `mean(${column(f)}) AS ${ident(f)}`).join(',')} FROM ${source}${where}${groupBy}`,
    );
  }
  if (other.length > 0) {
    statements.push(
      `SELECT ${other.map((f) => `last(${column(f)}) AS ${ident(f)}`).join(',')} FROM ${source}${where}${groupBy}`,
    );
  }
  for (const result of await http.query(statements.join('; '))) pointsOf(result.series?.[0], points);
}

/**
 * One entity's history. Raw rows carry only the fields they reported; `every` groups by
 * time(every) with mean() for numeric fields and last() for the others (InfluxQL cannot mix
 * them in one statement, so two statements run in one request). Position fields `lat`/`lon`
 * are returned only when asked for by name. With retention, the window's part older than the raw
 * retention comes from the minutes (split on a bucket edge of `every`, so no bucket mixes tiers).
 */
export async function queryHistory(
  http: InfluxHttp,
  options: HistoryQueryOptions,
  tiers?: InfluxTiers,
): Promise<HistoryPoint[]> {
  const boundary = boundaryOf(tiers);
  const points = new Map<number, HistoryPoint>();
  let split = options.from;
  if (boundary !== undefined && options.from < boundary) {
    const every = options.every === undefined ? 1 : Math.max(1, Math.round(options.every));
    split = Math.min(options.to + 1, Math.ceil(boundary / every) * every);
    await historyIn(http, options, 'down', tiers, options.from, split - 1, points);
  }
  if (split <= options.to) await historyIn(http, options, 'raw', tiers, split, options.to, points);
  return [...points.values()].sort((a, b) => a.ts - b.ts);
}

/** Field names and kinds per domain, from SHOW FIELD KEYS of both tiers (all of each domain's fields). */
export async function queryFieldKeys(
  http: InfluxHttp,
  options: FieldKeysOptions,
  tiers?: InfluxTiers,
): Promise<FieldKey[]> {
  const domains = await listDomains(http, options.domains);
  if (domains.length === 0) return [];
  const boundary = boundaryOf(tiers);
  const readDown = boundary !== undefined && options.from < boundary && options.rawOnly !== true;
  const statements = [`SHOW FIELD KEYS FROM ${domains.map(ident).join(',')}`];
  if (readDown) statements.push(`SHOW FIELD KEYS FROM ${domains.map((d) => sourceOf(d, 'down', tiers)).join(',')}`);
  const results = await http.query(statements.join('; '));
  const kinds = new Map<string, FieldKey>();
  results.forEach((result, i) => {
    for (const series of result.series ?? []) {
      for (const [key, type] of series.values) {
        const name = i === 0 ? String(key) : String(key).replace(/^(mean|last)_/, '');
        if (name === 'lat' || name === 'lon') continue;
        const kind: FieldKind =
          type === 'float'
            ? 'number'
            : type === 'integer' || type === 'unsigned'
              ? 'integer'
              : type === 'boolean'
                ? 'boolean'
                : 'string';
        const id = `${series.name}\0${name}`;
        const seen = kinds.get(id);
        if (!seen) kinds.set(id, { domain: series.name, field: name, kind });
        else seen.kind = mergeFieldKinds(seen.kind, kind);
      }
    }
  });
  const order = (a: FieldKey, b: FieldKey) => `${a.domain}\0${a.field}`.localeCompare(`${b.domain}\0${b.field}`, 'en');
  return [...kinds.values()].sort(order);
}

import type { HistoryPoint, Observation } from '../../contract/index.js';
import { mergeFieldKinds, type FieldKind } from '../../contract/legal.js';
import { ident, literal, msTime, type InfluxHttp, type InfluxSeries } from './influx-http.js';
import { ID_TAG } from './influx-line.js';
import {
  boundaryOf,
  downFieldsOf,
  fieldTypes,
  isScalar,
  rawFieldsOf,
  sourceOf,
  tagKeysByMeasurement,
  type Tier,
} from './influx-columns.js';
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

/** Latest per entity in one tier and time range: last(*) merges fields, the newest row gives time and tags. */
async function latestIn(
  http: InfluxHttp,
  domains: string[],
  tier: Tier,
  tiers: InfluxTiers | undefined,
  from: number | undefined,
  to: number | undefined,
): Promise<Map<string, Observation>> {
  const sources = domains.map((d) => sourceOf(d, tier, tiers)).join(',');
  const where = timeRange(from, to);
  const group = ` GROUP BY ${ident(ID_TAG)}`;
  const [tagResult, lastResult, newestResult] = await http.query(
    `SHOW TAG KEYS FROM ${domains.map(ident).join(',')}; SELECT last(*) FROM ${sources}${where}${group}; ` +
      `SELECT * FROM ${sources}${where}${group} ORDER BY time DESC LIMIT 1`,
  );
  const tagKeys = tagKeysByMeasurement(tagResult);
  const entities = new Map<string, Observation>();
  for (const series of newestResult?.series ?? []) {
    const id = series.tags?.[ID_TAG];
    const values = series.values[0];
    if (id === undefined || !values) continue;
    const obs: Observation = { domain: series.name, id, ts: Number(values[0]), fields: {} };
    const keys = tagKeys.get(series.name);
    const tags: Record<string, string> = {};
    series.columns.forEach((column, i) => {
      const value = values[i];
      if (keys?.has(column) && typeof value === 'string' && value !== '') tags[column] = value;
    });
    if (Object.keys(tags).length > 0) obs.tags = tags;
    entities.set(`${series.name}\0${id}`, obs);
  }
  for (const series of lastResult?.series ?? []) {
    const obs = entities.get(`${series.name}\0${series.tags?.[ID_TAG]}`);
    const values = series.values[0];
    if (!obs || !values) continue;
    if (tier === 'raw') rawFieldsOf(series.columns, values, obs, 'last_');
    else downFieldsOf(series.columns, values, obs, 'last_');
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
          type === 'float' ? 'number' : type === 'integer' || type === 'unsigned' ? 'integer' : type === 'boolean' ? 'boolean' : 'string';
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

import type { HistoryPoint, Observation } from '../../contract/index.js';
import { ident, literal, msTime, queryChunked, type InfluxHttp, type InfluxResult, type InfluxSeries } from './influx-http.js';
import { ID_TAG } from './influx-line.js';
import type { HistoryQueryOptions, LatestQueryOptions, ScanOptions } from './types.js';

/**
 * Measurements in which earlier versions kept rules and alerts (now in the state store): never
 * written any more, and never treated as domains in databases that still hold them.
 */
export const LEGACY_MEASUREMENTS: ReadonlySet<string> = new Set(['ioc_rules', 'ioc_alerts']);

type Scalar = number | boolean | string;

/** The given domains, or every measurement except the legacy rules/alerts ones. */
export async function listDomains(http: InfluxHttp, domains?: string[]): Promise<string[]> {
  if (domains) return domains;
  const [result] = await http.query('SHOW MEASUREMENTS');
  const names = result?.series?.[0]?.values.map((v) => String(v[0])) ?? [];
  return names.filter((name) => !LEGACY_MEASUREMENTS.has(name));
}

// SHOW TAG KEYS answers one series per measurement.
function tagKeysByMeasurement(result: InfluxResult | undefined): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  for (const series of result?.series ?? []) byName.set(series.name, new Set(series.values.map((v) => String(v[0]))));
  return byName;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
}

/** Latest state per entity: last(*) merges fields, the newest row gives the time and the tags. */
export async function queryLatest(http: InfluxHttp, options: LatestQueryOptions): Promise<Observation[]> {
  const domains = await listDomains(http, options.domains);
  if (domains.length === 0) return [];
  const from = domains.map(ident).join(',');
  const conditions: string[] = [];
  if (options.at !== undefined) conditions.push(`time <= ${msTime(options.at)}`);
  if (options.lookback !== undefined) {
    conditions.push(`time >= ${msTime((options.at ?? Date.now()) - options.lookback)}`);
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const group = ` GROUP BY ${ident(ID_TAG)}`;
  const [tagResult, lastResult, newestResult] = await http.query(
    `SHOW TAG KEYS FROM ${from}; SELECT last(*) FROM ${from}${where}${group}; ` +
      `SELECT * FROM ${from}${where}${group} ORDER BY time DESC LIMIT 1`,
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
    series.columns.forEach((column, i) => {
      const value = values[i];
      if (!column.startsWith('last_') || !isScalar(value)) return;
      const name = column.slice(5);
      if (name === 'lat' && typeof value === 'number') obs.lat = value;
      else if (name === 'lon' && typeof value === 'number') obs.lon = value;
      else obs.fields[name] = value;
    });
  }
  return [...entities.values()].sort(compareEntities);
}

function compareEntities(a: Observation, b: Observation): number {
  return a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Field name → InfluxDB type (float, integer, string, boolean) of one measurement. */
async function fieldTypes(http: InfluxHttp, domain: string): Promise<Map<string, string>> {
  const [result] = await http.query(`SHOW FIELD KEYS FROM ${ident(domain)}`);
  const types = new Map<string, string>();
  for (const [name, type] of result?.series?.[0]?.values ?? []) {
    if (!types.has(String(name))) types.set(String(name), String(type));
  }
  return types;
}

function pointsOf(series: InfluxSeries | undefined, into: Map<number, HistoryPoint>): void {
  for (const values of series?.values ?? []) {
    const ts = Number(values[0]);
    let point = into.get(ts);
    for (let i = 1; i < series!.columns.length; i += 1) {
      const value = values[i];
      if (!isScalar(value)) continue;
      point ??= { ts, fields: {} };
      point.fields[series!.columns[i]!] = value;
    }
    if (point) into.set(ts, point);
  }
}

/**
 * One entity's history. Raw rows carry only the fields they reported; `every` groups by
 * time(every) with mean() for numeric fields and last() for the others (InfluxQL cannot mix
 * them in one statement, so two statements run in one request). Position fields `lat`/`lon`
 * are returned only when asked for by name.
 */
export async function queryHistory(http: InfluxHttp, options: HistoryQueryOptions): Promise<HistoryPoint[]> {
  const types = await fieldTypes(http, options.domain);
  const names = options.fields
    ? options.fields.filter((f) => types.has(f))
    : [...types.keys()].filter((f) => f !== 'lat' && f !== 'lon');
  if (names.length === 0) return [];
  const from = ident(options.domain);
  const where =
    ` WHERE ${ident(ID_TAG)} = ${literal(options.id)}` +
    ` AND time >= ${msTime(options.from)} AND time <= ${msTime(options.to)}`;
  const points = new Map<number, HistoryPoint>();
  if (options.every === undefined) {
    const [result] = await http.query(`SELECT ${names.map(ident).join(',')} FROM ${from}${where}`);
    pointsOf(result?.series?.[0], points);
    return [...points.values()];
  }
  const every = Math.max(1, Math.round(options.every));
  const numeric = names.filter((f) => types.get(f) === 'float' || types.get(f) === 'integer');
  const other = names.filter((f) => !numeric.includes(f));
  const groupBy = ` GROUP BY time(${every}ms) fill(none)`;
  const statements: string[] = [];
  if (numeric.length > 0) {
    statements.push(
      `SELECT ${numeric.map((f) => `mean(${ident(f)}) AS ${ident(f)}`).join(',')} FROM ${from}${where}${groupBy}`,
    );
  }
  if (other.length > 0) {
    statements.push(
      `SELECT ${other.map((f) => `last(${ident(f)}) AS ${ident(f)}`).join(',')} FROM ${from}${where}${groupBy}`,
    );
  }
  for (const result of await http.query(statements.join('; '))) pointsOf(result.series?.[0], points);
  return [...points.values()].sort((a, b) => a.ts - b.ts);
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function rowToObservation(domain: string, columns: string[], values: unknown[], tagKeys: Set<string>): Observation {
  const obs: Observation = { domain, id: '', ts: 0, fields: {} };
  let tags: Record<string, string> | undefined;
  columns.forEach((column, i) => {
    const value = values[i];
    if (value === null || value === undefined) return;
    if (column === 'time') obs.ts = Number(value);
    else if (column === ID_TAG) obs.id = asText(value);
    else if (tagKeys.has(column)) (tags ??= {})[column] = asText(value);
    else if (column === 'lat' && typeof value === 'number') obs.lat = value;
    else if (column === 'lon' && typeof value === 'number') obs.lon = value;
    else if (isScalar(value)) obs.fields[column] = value;
  });
  if (tags) obs.tags = tags;
  return obs;
}

/** One domain's observations in [from, to], oldest first: one chunked query read as it streams in. */
async function* domainPages(
  http: InfluxHttp,
  domain: string,
  from: number,
  to: number,
  pageSize: number,
): AsyncGenerator<Observation[]> {
  const [tagResult] = await http.query(`SHOW TAG KEYS FROM ${ident(domain)}`);
  const tagKeys = tagKeysByMeasurement(tagResult).get(domain) ?? new Set<string>();
  const rows = queryChunked(
    http,
    `SELECT * FROM ${ident(domain)} WHERE time >= ${msTime(from)} AND time <= ${msTime(to)}`,
    pageSize,
  );
  for await (const series of rows) {
    if (series.values.length === 0) continue;
    yield series.values.map((values) => rowToObservation(domain, series.columns, values, tagKeys));
  }
}

interface Reader {
  pages: AsyncGenerator<Observation[]>;
  page: Observation[];
  pos: number;
}

async function advance(reader: Reader): Promise<boolean> {
  if (reader.pos < reader.page.length) return true;
  const next = await reader.pages.next();
  if (next.done) return false;
  reader.page = next.value;
  reader.pos = 0;
  return reader.page.length > 0;
}

/** Every observation in [from, to] across domains, oldest first: a k-way merge of per-domain pages. */
export async function* scanInflux(http: InfluxHttp, options: ScanOptions): AsyncGenerator<Observation[]> {
  const chunkSize = Math.max(1, options.chunkSize ?? 5000);
  const domains = await listDomains(http, options.domains);
  const readers: Reader[] = domains.map((domain) => ({
    pages: domainPages(http, domain, options.from, options.to, chunkSize),
    page: [],
    pos: 0,
  }));
  try {
    let live = (await Promise.all(readers.map(async (r) => ((await advance(r)) ? r : undefined)))).filter(
      (r): r is Reader => r !== undefined,
    );
    let chunk: Observation[] = [];
    while (live.length > 0) {
      let best = live[0]!;
      for (const reader of live) {
        if (reader.page[reader.pos]!.ts < best.page[best.pos]!.ts) best = reader;
      }
      chunk.push(best.page[best.pos]!);
      best.pos += 1;
      if (best.pos >= best.page.length && !(await advance(best))) live = live.filter((r) => r !== best);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    await Promise.all(readers.map((r) => r.pages.return(undefined)));
  }
}

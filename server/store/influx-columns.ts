import type { Observation } from '../../contract/index.js';
import { ident, type InfluxHttp, type InfluxResult } from './influx-http.js';
import { ID_TAG } from './influx-line.js';
import { rawBoundary } from './retention.js';
import type { InfluxTiers } from './influx-retention.js';

/*
 * Columns of InfluxDB answers back into observations, for raw rows and for the downsampled minutes
 * of server/store/influx-retention.ts, whose columns are `mean_<field>` (numeric fields) and
 * `last_<field>` (every field, position included). A minute reads back as one observation: the mean
 * where there is one, else the last value, and the last position (server/store/retention.ts).
 */

export type Scalar = number | boolean | string;

export function isScalar(value: unknown): value is Scalar {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
}

/** Puts one field value (or the position) on an observation. */
function put(obs: Observation, name: string, value: Scalar): void {
  if (name === 'lat' && typeof value === 'number') obs.lat = value;
  else if (name === 'lon' && typeof value === 'number') obs.lon = value;
  else obs.fields[name] = value;
}

/** Copies the field columns named `<prefix><field>` (raw) onto `obs`; other columns are left alone. */
export function rawFieldsOf(
  columns: readonly string[],
  values: readonly unknown[],
  obs: Observation,
  prefix = '',
): void {
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const value = values[i];
    if (column.startsWith(prefix) && isScalar(value)) put(obs, column.slice(prefix.length), value);
  }
}

/** Copies a minute's columns `<prefix>mean_<f>` / `<prefix>last_<f>` onto `obs`: the mean for numbers, else the last. */
export function downFieldsOf(
  columns: readonly string[],
  values: readonly unknown[],
  obs: Observation,
  prefix = '',
): void {
  const mean = `${prefix}mean_`;
  const last = `${prefix}last_`;
  const means = new Set<string>();
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const value = values[i];
    if (!column.startsWith(mean) || typeof value !== 'number') continue;
    const name = column.slice(mean.length);
    // The position is the minute's last, not its mean.
    if (name === 'lat' || name === 'lon') continue;
    means.add(name);
    obs.fields[name] = value;
  }
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const value = values[i];
    if (!column.startsWith(last) || !isScalar(value)) continue;
    const name = column.slice(last.length);
    if (!means.has(name)) put(obs, name, value);
  }
}

/** Which field columns a source has: raw names, or the downsampled `mean_`/`last_` ones. */
export type Tier = 'raw' | 'down';

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const TIME = 1;
const ID = 2;
const TAG = 3;
const FIELD = 4;

/** What each column of a series is (time, id, tag, field or position), worked out once per series rather than once per row. */
function columnRoles(columns: readonly string[], tagKeys: Set<string>): Uint8Array {
  const roles = new Uint8Array(columns.length);
  columns.forEach((column, i) => {
    roles[i] = column === 'time' ? TIME : column === ID_TAG ? ID : tagKeys.has(column) ? TAG : FIELD;
  });
  return roles;
}

/** One row of a series as an observation of `domain`, its columns' roles known. */
type RowReader = (domain: string, columns: readonly string[], roles: Uint8Array, values: unknown[]) => Observation;

/** A raw row (the scan's hot path: no closure, no lookups). */
const rawRowToObservation: RowReader = (domain, columns, roles, values) => {
  const obs: Observation = { domain, id: '', ts: 0, fields: {} };
  let tags: Record<string, string> | undefined;
  for (let i = 0; i < roles.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    switch (roles[i]) {
      case TIME:
        obs.ts = Number(value);
        break;
      case ID:
        obs.id = asText(value);
        break;
      case TAG:
        (tags ??= {})[columns[i]!] = asText(value);
        break;
      case FIELD:
        if (isScalar(value)) put(obs, columns[i]!, value);
        break;
      default:
        break;
    }
  }
  if (tags) obs.tags = tags;
  return obs;
};

/** A row of the minutes: time, the id tag, other tags, then the mean or last of each field (all field columns at once). */
const downRowToObservation: RowReader = (domain, columns, roles, values) => {
  const obs: Observation = { domain, id: '', ts: 0, fields: {} };
  let tags: Record<string, string> | undefined;
  const fieldColumns: string[] = [];
  const fieldValues: unknown[] = [];
  for (let i = 0; i < roles.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    const role = roles[i];
    if (role === TIME) obs.ts = Number(value);
    else if (role === ID) obs.id = asText(value);
    else if (role === TAG) (tags ??= {})[columns[i]!] = asText(value);
    else {
      fieldColumns.push(columns[i]!);
      fieldValues.push(value);
    }
  }
  downFieldsOf(fieldColumns, fieldValues, obs);
  if (tags) obs.tags = tags;
  return obs;
};

/** The rows of one `SELECT *` series as observations of `domain` in `tier`. */
export function seriesToObservations(
  domain: string,
  columns: readonly string[],
  rows: unknown[][],
  tagKeys: Set<string>,
  tier: Tier,
): Observation[] {
  const roles = columnRoles(columns, tagKeys);
  const toObservation = tier === 'raw' ? rawRowToObservation : downRowToObservation;
  const observations = new Array<Observation>(rows.length);
  for (let r = 0; r < rows.length; r++) observations[r] = toObservation(domain, columns, roles, rows[r]!);
  return observations;
}

/** SHOW TAG KEYS answers one series per measurement. */
export function tagKeysByMeasurement(result: InfluxResult | undefined): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  for (const series of result?.series ?? []) byName.set(series.name, new Set(series.values.map((v) => String(v[0]))));
  return byName;
}

/** A measurement in a tier: the default policy for raw, the downsampled policy for minutes. */
export function sourceOf(domain: string, tier: Tier, tiers: InfluxTiers | undefined): string {
  return tier === 'down' && tiers ? `${ident(tiers.downRp)}.${ident(domain)}` : ident(domain);
}

/** Where raw data ends now, or undefined when everything is raw. */
export function boundaryOf(tiers: InfluxTiers | undefined): number | undefined {
  return tiers
    ? rawBoundary({ enabled: true, rawMs: tiers.rawMs, downsampledMs: 0, intervalMs: 0 }, Date.now())
    : undefined;
}

/** Field name → InfluxDB type (float, integer, string, boolean) of one measurement in one tier. */
export async function fieldTypes(
  http: InfluxHttp,
  domain: string,
  tier: Tier,
  tiers: InfluxTiers | undefined,
): Promise<Map<string, string>> {
  const [result] = await http.query(`SHOW FIELD KEYS FROM ${sourceOf(domain, tier, tiers)}`);
  const types = new Map<string, string>();
  for (const [name, type] of result?.series?.[0]?.values ?? []) {
    if (!types.has(String(name))) types.set(String(name), String(type));
  }
  return types;
}

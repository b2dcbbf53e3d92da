import { inBbox, PERSONAL_DATA_FIELDS, type ExportQuery, type Observation } from '../../contract/index.js';
import { mergeFieldKinds } from '../../contract/legal.js';
import type { ColumnKind, FieldColumn } from './format.js';
import { FIXED_COLUMNS } from './format.js';
import type { TelemetryStore } from '../store/types.js';
import { HttpError } from '../http/errors.js';

/** Field columns one tabular export may have; past this the caller is asked to name `fields`. */
export const MAX_EXPORT_COLUMNS = 1000;

const PERSONAL = new Set(PERSONAL_DATA_FIELDS);
const FIXED = new Set<string>(FIXED_COLUMNS);

/** Whether a field or tag name may be exported (personal data never is). */
function exportable(name: string): boolean {
  return !PERSONAL.has(name);
}

/** The rows an export keeps: window and domain come from the scan, ids and bbox are applied here. */
function rowFilter(query: ExportQuery): (obs: Observation) => boolean {
  const ids = query.ids === undefined ? undefined : new Set(query.ids);
  const { bbox } = query;
  return (obs) =>
    (ids === undefined || ids.has(obs.id)) && (bbox === undefined || inBbox(bbox, obs.lat ?? null, obs.lon ?? null));
}

/** The fields an export keeps: those asked for (all when none were), never personal data. */
function fieldFilter(query: ExportQuery): (name: string) => boolean {
  const fields = query.fields === undefined ? undefined : new Set(query.fields);
  return fields === undefined ? exportable : (name) => fields.has(name) && exportable(name);
}

/** The rows an export keeps, and the fields each row carries: ids, bbox and fields applied, personal data gone. */
export function selector(query: ExportQuery): (chunk: readonly Observation[]) => Observation[] {
  const keepRow = rowFilter(query);
  const keepField = fieldFilter(query);
  return (chunk) => {
    const out: Observation[] = [];
    for (const obs of chunk) if (keepRow(obs)) out.push(pruned(obs, keepField));
    return out;
  };
}

/** The observation with only the fields and tags it may carry; the same object when nothing goes. */
function pruned(obs: Observation, keepField: (name: string) => boolean): Observation {
  const dropField = Object.keys(obs.fields).some((name) => !keepField(name));
  const dropTag = obs.tags !== undefined && Object.keys(obs.tags).some((key) => !exportable(key));
  if (!dropField && !dropTag) return obs;
  const fields: Observation['fields'] = {};
  for (const [name, value] of Object.entries(obs.fields)) if (keepField(name)) fields[name] = value;
  const out: Observation = { domain: obs.domain, id: obs.id, ts: obs.ts, fields };
  if (obs.lat !== undefined) out.lat = obs.lat;
  if (obs.lon !== undefined) out.lon = obs.lon;
  if (obs.tags !== undefined) {
    const tags = Object.fromEntries(Object.entries(obs.tags).filter(([key]) => exportable(key)));
    if (Object.keys(tags).length > 0) out.tags = tags;
  }
  return out;
}

/** Scan options shared by the column pass and the export pass. */
export function scanOptionsOf(query: ExportQuery, chunkSize: number) {
  return {
    from: query.from,
    to: query.to,
    domains: query.domain === undefined ? undefined : [query.domain],
    chunkSize,
  };
}

function column(field: string, kind: ColumnKind): FieldColumn {
  return { field, name: FIXED.has(field) ? `fields.${field}` : field, kind };
}

/**
 * The field columns of a tabular export, decided before the first byte so the stream stays
 * constant-memory: `fields` given → those, in that order; otherwise every field the store's
 * catalogue lists for the domain and window (server/store/types.ts `fieldKeys`: InfluxDB's SHOW
 * FIELD KEYS, the embedded store's field catalogue), sorted, with no pass over the rows. A column
 * may therefore stay empty when `ids` or `bbox` leave out the rows that carry it. Fields of
 * several kinds make a `string` column.
 */
export async function planColumns(
  store: Pick<TelemetryStore, 'fieldKeys'>,
  query: ExportQuery,
  need: 'names' | 'kinds',
): Promise<FieldColumn[]> {
  if (need === 'names' && query.fields !== undefined) return query.fields.map((f) => column(f, 'string'));
  const keepField = fieldFilter(query);
  const keys = await store.fieldKeys({
    from: query.from,
    to: query.to,
    ...(query.domain === undefined ? {} : { domains: [query.domain] }),
  });
  const kinds = new Map<string, ColumnKind>();
  for (const key of keys) {
    if (!keepField(key.field)) continue;
    const seen = kinds.get(key.field);
    if (seen === undefined) kinds.set(key.field, key.kind);
    else kinds.set(key.field, mergeFieldKinds(seen, key.kind));
  }
  if (query.fields === undefined && kinds.size > MAX_EXPORT_COLUMNS) {
    throw new HttpError(
      400,
      'bad_request',
      `fields: the window holds more than ${MAX_EXPORT_COLUMNS} distinct fields; name the ones to export`,
      [{ path: 'fields', message: `more than ${MAX_EXPORT_COLUMNS} distinct fields; name the ones to export` }],
    );
  }
  const names = query.fields ?? [...kinds.keys()].sort();
  return names.map((f) => column(f, kinds.get(f) ?? 'string'));
}

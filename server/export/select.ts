import { inBbox, PERSONAL_DATA_FIELDS, type ExportQuery, type Observation } from '../../contract/index.js';
import type { ColumnKind, FieldColumn } from './format.js';
import { FIXED_COLUMNS } from './format.js';
import type { TelemetryStore } from '../store/types.js';
import { HttpError } from '../http/errors.js';

/** Field columns one tabular export may have; past this the caller is asked to name `fields`. */
export const MAX_EXPORT_COLUMNS = 1000;

const PERSONAL = new Set(PERSONAL_DATA_FIELDS);
const FIXED = new Set<string>(FIXED_COLUMNS);

/** The rows an export keeps, and the fields each row carries: ids, bbox and fields applied, personal data gone. */
export function selector(query: ExportQuery): (chunk: readonly Observation[]) => Observation[] {
  const ids = query.ids === undefined ? undefined : new Set(query.ids);
  const fields = query.fields === undefined ? undefined : new Set(query.fields);
  const { bbox } = query;
  const keepField = (name: string) => !PERSONAL.has(name) && (fields === undefined || fields.has(name));
  return (chunk) => {
    const out: Observation[] = [];
    for (const obs of chunk) {
      if (ids !== undefined && !ids.has(obs.id)) continue;
      if (bbox !== undefined && !inBbox(bbox, obs.lat ?? null, obs.lon ?? null)) continue;
      out.push(withoutPersonalData(obs, keepField));
    }
    return out;
  };
}

function withoutPersonalData(obs: Observation, keepField: (name: string) => boolean): Observation {
  const fields: Observation['fields'] = {};
  for (const [name, value] of Object.entries(obs.fields)) if (keepField(name)) fields[name] = value;
  const out: Observation = { domain: obs.domain, id: obs.id, ts: obs.ts, fields };
  if (obs.lat !== undefined) out.lat = obs.lat;
  if (obs.lon !== undefined) out.lon = obs.lon;
  if (obs.tags !== undefined) {
    const tags = Object.fromEntries(Object.entries(obs.tags).filter(([key]) => !PERSONAL.has(key)));
    if (Object.keys(tags).length > 0) out.tags = tags;
  }
  return out;
}

/** Scan options shared by the column pass and the export pass. */
export function scanOptionsOf(query: ExportQuery, chunkSize: number) {
  return { from: query.from, to: query.to, domains: query.domain === undefined ? undefined : [query.domain], chunkSize };
}

function kindOf(value: number | boolean | string): ColumnKind {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

function column(field: string, kind: ColumnKind): FieldColumn {
  return { field, name: FIXED.has(field) ? `fields.${field}` : field, kind };
}

/**
 * The field columns of a tabular export, decided before the first byte so the stream stays
 * constant-memory: `fields` given → those, in that order; otherwise the union of field names seen
 * in the window, sorted. Value kinds (for a typed schema) and the union need a first pass over the
 * same selection that keeps only names and kinds; a field first written between the two passes is
 * left out. Values of mixed kinds make a `string` column.
 */
export async function planColumns(
  store: TelemetryStore,
  query: ExportQuery,
  need: 'names' | 'kinds',
  options: { chunkSize: number; signal: AbortSignal },
): Promise<FieldColumn[]> {
  if (need === 'names' && query.fields !== undefined) return query.fields.map((f) => column(f, 'string'));
  const select = selector(query);
  const kinds = new Map<string, ColumnKind>();
  for await (const chunk of store.scan(scanOptionsOf(query, options.chunkSize))) {
    if (options.signal.aborted) break;
    for (const obs of select(chunk)) {
      for (const [name, value] of Object.entries(obs.fields)) {
        const kind = kindOf(value);
        const seen = kinds.get(name);
        if (seen === undefined) kinds.set(name, kind);
        else if (seen !== kind) kinds.set(name, 'string');
      }
    }
    if (kinds.size > MAX_EXPORT_COLUMNS) {
      throw new HttpError(400, 'bad_request', `fields: the window holds more than ${MAX_EXPORT_COLUMNS} distinct fields; name the ones to export`, [
        { path: 'fields', message: `more than ${MAX_EXPORT_COLUMNS} distinct fields; name the ones to export` },
      ]);
    }
  }
  const names = query.fields ?? [...kinds.keys()].sort();
  return names.map((f) => column(f, kinds.get(f) ?? 'string'));
}

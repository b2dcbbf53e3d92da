import type { Observation } from '../../contract/index.js';
// The same escaping the ingest validator checks against: what ingest accepts, this writes unchanged.
import { escapeKey, escapeMeasurement, quoteString } from '../../contract/legal.js';

/** Tag key holding the entity id; observation tags with this key are not written. */
export const ID_TAG = 'id';

// `id` would clash with the id tag, `time` is refused by InfluxDB, `lat`/`lon` hold the position.
const SKIPPED_FIELDS = new Set([ID_TAG, 'time', 'lat', 'lon']);
const MAX_CACHED_KEYS = 10_000;
const measurements = new Map<string, string>();
const keys = new Map<string, string>();

// Domains, field names and tag keys repeat on every line: escape each once.
function cached(cache: Map<string, string>, value: string, escapeFn: (v: string) => string): string {
  let escaped = cache.get(value);
  if (escaped === undefined) {
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    escaped = escapeFn(value);
    cache.set(value, escaped);
  }
  return escaped;
}

function fieldValue(value: number | boolean | string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return quoteString(value);
}

/**
 * One observation as an InfluxDB line (ms precision): measurement = domain, tag `id`, the
 * observation's tags, its fields and `lat`/`lon`. A field with exact integer text (`Observation.integers`)
 * is written as an integer (`…i`), every other number as a float: the field-type registry at the door
 * (ingest/field-types.ts) leaves that text only on fields that are integer fields, so a write never
 * meets a field of the other type. Fields named id, time, lat or lon are left out (see SKIPPED_FIELDS).
 * Undefined when there is nothing to write.
 */
export function observationToLine(obs: Observation): string | undefined {
  let line = cached(measurements, obs.domain, escapeMeasurement) + ',' + ID_TAG + '=' + escapeKey(obs.id);
  if (obs.tags) {
    for (const key in obs.tags) {
      const value = obs.tags[key];
      // Line protocol has no empty tag values.
      if (key === ID_TAG || value === undefined || value === '') continue;
      line += ',' + cached(keys, key, escapeKey) + '=' + escapeKey(value);
    }
  }
  let sep = ' ';
  for (const key in obs.fields) {
    const raw = obs.fields[key];
    if (raw === undefined || SKIPPED_FIELDS.has(key)) continue;
    const exact = obs.integers?.[key];
    const value = exact !== undefined && typeof raw === 'number' ? exact + 'i' : fieldValue(raw);
    if (value === undefined) continue;
    line += sep + cached(keys, key, escapeKey) + '=' + value;
    sep = ',';
  }
  if (obs.lat !== undefined && obs.lon !== undefined && Number.isFinite(obs.lat) && Number.isFinite(obs.lon)) {
    line += sep + 'lat=' + String(obs.lat) + ',lon=' + String(obs.lon);
    sep = ',';
  }
  if (sep === ' ') return undefined;
  return line + ' ' + String(Math.trunc(obs.ts));
}

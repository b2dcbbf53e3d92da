import type Database from 'better-sqlite3';
import type { FieldValue, Observation } from '../../contract/index.js';
import { mergeFieldKinds, type FieldKind } from '../../contract/legal.js';

export type { FieldKind };

interface Entry {
  kind: FieldKind;
  first: number;
  last: number;
}

const META_KEY = 'field_catalog';

export function kindOf(value: FieldValue): FieldKind {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

/**
 * The `field_catalog` table, kept by the writer thread: every (domain, field) with its kind and
 * first and last time. Held in memory too, so a batch only writes the few entries it changed.
 * A file from before the catalogue existed gets it built once, here in the writer thread.
 */
export function createFieldCatalog(db: Database.Database) {
  const upsert = db.prepare<[string, string, string, number, number]>(
    `INSERT INTO field_catalog (domain, field, kind, first_ts, last_ts) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (domain, field) DO UPDATE SET kind = excluded.kind, first_ts = excluded.first_ts, last_ts = excluded.last_ts`,
  );
  const built = db.prepare<[string], { value: string }>('SELECT value FROM store_meta WHERE key = ?');
  if (built.get(META_KEY) === undefined) {
    // One pass over what is stored, raw and downsampled (json_each types: integer/real, true/false, text).
    db.exec(`
      INSERT OR REPLACE INTO field_catalog (domain, field, kind, first_ts, last_ts)
      SELECT domain, key,
        CASE WHEN count(DISTINCT k) > 1 THEN 'string' ELSE max(k) END, min(ts), max(ts)
      FROM (
        SELECT o.domain, j.key, o.ts,
          CASE j.type WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number'
            WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' ELSE 'string' END AS k
        FROM (SELECT domain, ts, fields FROM observations UNION ALL SELECT domain, ts, fields FROM observations_1m) o,
          json_each(o.fields) j
      ) GROUP BY domain, key;
      INSERT OR REPLACE INTO store_meta (key, value) VALUES ('${META_KEY}', '1');
    `);
  }
  const known = new Map<string, Map<string, Entry>>();
  for (const row of db
    .prepare<[], { domain: string; field: string; kind: FieldKind; first_ts: number; last_ts: number }>(
      'SELECT domain, field, kind, first_ts, last_ts FROM field_catalog',
    )
    .iterate()) {
    let fields = known.get(row.domain);
    if (!fields) known.set(row.domain, (fields = new Map<string, Entry>()));
    fields.set(row.field, { kind: row.kind, first: row.first_ts, last: row.last_ts });
  }

  return {
    /** Notes a batch's fields into `changed` (a copy-on-write view, applied once the batch commits). */
    note(changed: Map<string, Map<string, Entry>>, obs: Observation, ts: number): void {
      const fields = known.get(obs.domain);
      let pending = changed.get(obs.domain);
      for (const name in obs.fields) {
        const kind: FieldKind = obs.integers?.[name] !== undefined ? 'integer' : kindOf(obs.fields[name]!);
        const own = pending?.get(name);
        if (own) {
          // This batch's own copy: updated in place, no allocation per observation.
          own.kind = mergeFieldKinds(own.kind, kind);
          if (ts < own.first) own.first = ts;
          if (ts > own.last) own.last = ts;
          continue;
        }
        const entry = fields?.get(name);
        if (entry && entry.first <= ts && entry.last >= ts && entry.kind === kind) continue;
        const next: Entry = entry
          ? {
              kind: mergeFieldKinds(entry.kind, kind),
              first: Math.min(entry.first, ts),
              last: Math.max(entry.last, ts),
            }
          : { kind, first: ts, last: ts };
        if (!pending) changed.set(obs.domain, (pending = new Map<string, Entry>()));
        pending.set(name, next);
      }
    },
    /** Writes the changed entries (inside the batch's transaction). */
    store(changed: Map<string, Map<string, Entry>>): void {
      for (const [domain, fields] of changed) {
        for (const [name, e] of fields) upsert.run(domain, name, e.kind, e.first, e.last);
      }
    },
    /** Makes a committed batch's entries the known ones. */
    apply(changed: Map<string, Map<string, Entry>>): void {
      for (const [domain, fields] of changed) {
        let into = known.get(domain);
        if (!into) known.set(domain, (into = new Map<string, Entry>()));
        for (const [name, e] of fields) into.set(name, e);
      }
    },
  };
}

export type FieldCatalogChanges = Map<string, Map<string, Entry>>;

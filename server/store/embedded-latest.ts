import type { FieldValue, Observation } from '../../contract/index.js';
import type { ObservationRow } from './embedded-schema.js';

/** One entity's row of the `latest` table, fields parsed. */
export interface LatestState {
  domain: string;
  id: string;
  ts: number;
  lat: number | null;
  lon: number | null;
  fields: Record<string, FieldValue>;
  tags: string | null;
  /** Exact text of the integer fields among `fields`. */
  integers?: Record<string, string>;
}

/**
 * The `latest` table mirrored in memory (one entry per entity), so merging an observation into its
 * entity's state costs no read and no JSON parsing in SQLite; the store is the file's only writer.
 */
export class LatestMirror {
  private readonly entities = new Map<string, LatestState>();

  /** Fills the mirror from the table at start-up. */
  load(rows: Iterable<ObservationRow>): void {
    for (const row of rows) {
      const fields = JSON.parse(row.fields) as Record<string, FieldValue>;
      const { integers, ...rest } = row;
      const state: LatestState = { ...rest, fields };
      if (integers) state.integers = JSON.parse(integers) as Record<string, string>;
      this.entities.set(`${row.domain}\0${row.id}`, state);
    }
  }

  /**
   * Merges one observation into `changed` (a batch's copy-on-write view). A newer observation
   * overwrites fields, position and tags; an older one (out-of-order arrival) only fills fields and
   * a position not known yet.
   */
  merge(changed: Map<string, LatestState>, obs: Observation, ts: number, tags: string | null): void {
    const key = `${obs.domain}\0${obs.id}`;
    let state = changed.get(key);
    if (!state) {
      const known = this.entities.get(key);
      state = known
        ? { ...known, fields: { ...known.fields }, ...(known.integers ? { integers: { ...known.integers } } : {}) }
        : { domain: obs.domain, id: obs.id, ts, lat: null, lon: null, fields: {}, tags };
      changed.set(key, state);
    }
    const hasPosition = obs.lat !== undefined && obs.lon !== undefined;
    if (ts >= state.ts) {
      state.ts = ts;
      Object.assign(state.fields, obs.fields);
      // A field's exact text goes with its value: set when this value has one, dropped when it has none.
      if (state.integers !== undefined || obs.integers !== undefined) {
        const integers = (state.integers ??= {});
        for (const name in obs.fields) {
          const exact = obs.integers?.[name];
          if (exact === undefined) delete integers[name];
          else integers[name] = exact;
        }
      }
      state.tags = tags;
      if (hasPosition) {
        state.lat = obs.lat!;
        state.lon = obs.lon!;
      }
    } else {
      for (const name in obs.fields) {
        if (name in state.fields) continue;
        state.fields[name] = obs.fields[name]!;
        const exact = obs.integers?.[name];
        if (exact !== undefined) (state.integers ??= {})[name] = exact;
      }
      if (hasPosition && state.lat === null) {
        state.lat = obs.lat!;
        state.lon = obs.lon!;
      }
    }
  }

  /** Makes a committed batch's states the current ones. */
  apply(changed: Map<string, LatestState>): void {
    for (const [key, state] of changed) this.entities.set(key, state);
  }
}

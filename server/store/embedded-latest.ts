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

/** States by domain, then by id: no "domain/id" key string is built per observation (the writer's hot path). */
export type LatestStates = Map<string, Map<string, LatestState>>;

function statesOf(states: LatestStates, domain: string): Map<string, LatestState> {
  let inDomain = states.get(domain);
  if (!inDomain) {
    inDomain = new Map();
    states.set(domain, inDomain);
  }
  return inDomain;
}

/** Every state in `states`. */
export function* eachState(states: LatestStates): Generator<LatestState> {
  for (const inDomain of states.values()) yield* inDomain.values();
}

/**
 * The `latest` table mirrored in memory (one entry per entity), so merging an observation into its
 * entity's state costs no read and no JSON parsing in SQLite; the store is the file's only writer.
 */
export class LatestMirror {
  private readonly entities: LatestStates = new Map();

  /** Fills the mirror from the table at start-up. */
  load(rows: Iterable<ObservationRow>): void {
    for (const row of rows) {
      const fields = JSON.parse(row.fields) as Record<string, FieldValue>;
      const { integers, ...rest } = row;
      const state: LatestState = { ...rest, fields };
      if (integers) state.integers = JSON.parse(integers) as Record<string, string>;
      statesOf(this.entities, row.domain).set(row.id, state);
    }
  }

  /**
   * Merges one observation into `changed` (a batch's copy-on-write view). A newer observation
   * overwrites fields, position and tags; an older one (out-of-order arrival) only fills fields and
   * a position not known yet.
   */
  merge(changed: LatestStates, obs: Observation, ts: number, tags: string | null): void {
    const inBatch = statesOf(changed, obs.domain);
    let state = inBatch.get(obs.id);
    if (!state) {
      const known = this.entities.get(obs.domain)?.get(obs.id);
      state = known
        ? { ...known, fields: { ...known.fields }, ...(known.integers ? { integers: { ...known.integers } } : {}) }
        : { domain: obs.domain, id: obs.id, ts, lat: null, lon: null, fields: {}, tags };
      inBatch.set(obs.id, state);
    }
    const hasPosition = obs.lat !== undefined && obs.lon !== undefined;
    if (ts >= state.ts) {
      state.ts = ts;
      // A loop, not Object.assign: measurably cheaper per observation on these small objects.
      for (const name in obs.fields) state.fields[name] = obs.fields[name]!;
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
  apply(changed: LatestStates): void {
    for (const [domain, inBatch] of changed) {
      const into = statesOf(this.entities, domain);
      for (const [id, state] of inBatch) into.set(id, state);
    }
  }
}

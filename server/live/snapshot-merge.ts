import { z } from 'zod';
import {
  BboxSchema,
  DELTA_ENCODINGS,
  DomainSchema,
  entityKey,
  inBbox,
  type Bbox,
  type Delta,
  type Entity,
} from '../../contract/index.js';

/** Which entities a snapshot holds: those of `layers` (every layer when absent), inside `bbox` when given. */
export interface EntityQuery {
  layers?: readonly string[];
  bbox?: Bbox;
}

export const SnapshotPartRequestSchema = z.object({
  layers: z.array(DomainSchema).max(64).optional(),
  bbox: BboxSchema.optional(),
  /** A socket of the asking node joins this group: the answering node starts sending it deltas now. */
  followsDeltas: z.boolean().default(false),
  /** How the asking socket takes its deltas: the answering node's group sends them the same way. */
  encoding: z.enum(DELTA_ENCODINGS).optional(),
});
export type SnapshotPartRequest = z.infer<typeof SnapshotPartRequestSchema>;

/** An entity copy left out by the bbox: its key, its ts, and whether it carries an open alert. */
export type OutsideCopy = [key: string, ts: number, alerted: boolean];

/** One node's share of a snapshot. */
export interface SnapshotPart {
  entities: Entity[];
  /** Copies of the layers outside the bbox, so a newer position outside beats an older one inside. */
  outside: OutsideCopy[];
}

/** This node's entities matching a query (single-process mode: nothing else to ask). */
export function filterEntities(entities: Iterable<Entity>, query: EntityQuery): Entity[] {
  const layers = query.layers ? new Set(query.layers) : undefined;
  const matching: Entity[] = [];
  for (const e of entities) {
    if ((!layers || layers.has(e.domain)) && (!query.bbox || inBbox(query.bbox, e.lat, e.lon))) matching.push(e);
  }
  return matching;
}

/** Collects this node's part of a snapshot from its live entities. */
export function collectPart(entities: Iterable<Entity>, query: EntityQuery): SnapshotPart {
  const layers = query.layers ? new Set(query.layers) : undefined;
  const part: SnapshotPart = { entities: [], outside: [] };
  for (const e of entities) {
    if (layers && !layers.has(e.domain)) continue;
    if (!query.bbox || inBbox(query.bbox, e.lat, e.lon)) part.entities.push(e);
    else part.outside.push([entityKey(e.domain, e.id), e.ts, e.status === 'alert']);
  }
  return part;
}

interface Candidate {
  ts: number;
  /** Undefined when the newest copy so far lies outside the bbox or left it. */
  entity: Entity | undefined;
  alerted: boolean;
}

/** Merges the parts of several nodes, then the deltas seen meanwhile, into one snapshot. */
export interface SnapshotMerge {
  /**
   * Adds a node's part: per entity the copy with the latest ts wins (on a tie, the part added first),
   * and the status is 'alert' while any node holds an open alert on it, as a single node shows it.
   */
  addPart(part: SnapshotPart): void;
  /**
   * Applies, in order, the deltas a socket received while its snapshot was gathered: the client applies
   * the snapshot after them, so it must be no older than any of them (nor than any copy outside the bbox).
   */
  applyDeltas(deltas: readonly Delta[]): void;
  entities(): Entity[];
}

export function createSnapshotMerge(): SnapshotMerge {
  const candidates = new Map<string, Candidate>();
  const offer = (key: string, ts: number, entity: Entity | undefined, alerted: boolean) => {
    const seen = candidates.get(key);
    if (!seen) candidates.set(key, { ts, entity, alerted });
    else {
      seen.alerted ||= alerted;
      if (ts > seen.ts) {
        seen.ts = ts;
        seen.entity = entity;
      }
    }
  };
  return {
    addPart(part) {
      for (const e of part.entities) offer(entityKey(e.domain, e.id), e.ts, e, e.status === 'alert');
      for (const [key, ts, alerted] of part.outside) offer(key, ts, undefined, alerted);
    },
    applyDeltas(deltas) {
      for (const delta of deltas) {
        for (const key of delta.removes) {
          const seen = candidates.get(key);
          if (seen) seen.entity = undefined;
        }
        for (const e of delta.upserts) {
          const key = entityKey(e.domain, e.id);
          const seen = candidates.get(key);
          // A delta is as the client would see it after the snapshot: it replaces, status included.
          if (!seen) candidates.set(key, { ts: e.ts, entity: e, alerted: e.status === 'alert' });
          else if (e.ts >= seen.ts) Object.assign(seen, { ts: e.ts, entity: e, alerted: e.status === 'alert' });
        }
      }
    },
    entities() {
      const merged: Entity[] = [];
      for (const { entity, alerted } of candidates.values()) {
        if (!entity) continue;
        // Copy, never mutate: local parts hold the live state's own objects.
        merged.push(alerted && entity.status !== 'alert' ? { ...entity, status: 'alert' } : entity);
      }
      return merged;
    },
  };
}

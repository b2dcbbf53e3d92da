import type { Entity } from '../../contract/entity.js';
import type { EntityStore } from '../state/entity-store.js';
import { FLAG_ALERT, FLAG_STALE } from '../state/layer-buffer.js';
import { layerKindOf, type LayerKind } from '../state/layer-kinds.js';

/** A human name for an entity: its `name` tag, else its id. */
export function displayName(entity: Pick<Entity, 'id' | 'tags'>): string {
  return entity.tags?.name ?? entity.id;
}

export interface EntityView {
  key: string;
  entity: Entity;
  /** The entity's `ts` when the view was taken: the store updates entity objects in place, so this tells a change. */
  ts: number;
  kind: LayerKind;
  stale: boolean;
  alert: boolean;
  /** How old the data is, on the server's clock. */
  ageMs: number;
}

/** The current state of an entity as the panels show it, or undefined when it left the feed. */
export function viewOf(store: EntityStore, key: string, now: number): EntityView | undefined {
  const entity = store.get(key);
  if (!entity) return undefined;
  const ref = store.find(key);
  const flags = ref ? (ref.buffer.flags[ref.slot] ?? 0) : store.flagsOf(entity, entity.ts, now);
  return {
    key,
    entity,
    ts: entity.ts,
    kind: ref?.kind ?? layerKindOf(entity),
    stale: (flags & FLAG_STALE) !== 0,
    alert: (flags & FLAG_ALERT) !== 0,
    ageMs: store.serverTime(now) - entity.ts,
  };
}

/** Equality for polled views: same entity object at the same time, same flags, age to the second. */
export function sameView(a: EntityView | undefined, b: EntityView | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.entity === b.entity &&
    a.ts === b.ts &&
    a.stale === b.stale &&
    a.alert === b.alert &&
    Math.round(a.ageMs / 1000) === Math.round(b.ageMs / 1000)
  );
}

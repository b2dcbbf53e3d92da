import { DEFAULT_STALE_AFTER_MS } from '../../contract/domain-defaults.js';
import { splitKey, type Entity } from '../../contract/entity.js';
import type { Delta, Snapshot } from '../../contract/live-events.js';
import {
  ColumnDeltaError,
  columnEntity,
  float64Of,
  readColumnBlock,
  readColumnDelta,
  updateFromColumns,
  type ColumnDelta,
} from '../../contract/live-columns.js';
import type { HandleDelta } from '../live/handle-table.js';
import { FLAG_ALERT, FLAG_HEADING, FLAG_STALE, LayerBuffer, type SlotHolder } from './layer-buffer.js';
import { LAYER_KINDS, MOVING_KINDS, layerKindOf, type KindCounts, type LayerKind } from './layer-kinds.js';
import { ALERT_COLOR, OK_LINE, STALE_LINE, TRANSPARENT, type Rgba } from './scales.js';
import { lookOf } from './style.js';

export interface EntityStoreOptions {
  /** How old (ms) an entity's data may be before it is drawn as stale, per domain. */
  staleAfter?: (domain: string) => number;
  /** Bounds of a vehicle's glide between fixes (ms); the glide lasts as long as the gap between fixes. */
  minGlideMs?: number;
  maxGlideMs?: number;
}

/** Where an entity lives in the store: its layer and slot. */
export interface EntityRef {
  kind: LayerKind;
  slot: number;
  buffer: LayerBuffer;
}

/** Where one entity is kept: its layer, and its slot there (-1 while it has no position and sits in `unplaced`). */
class Placement implements SlotHolder {
  slot = -1;
  /** The live worker's number for this entity (client/live/handle-table.ts), -1 while it has none. */
  handle = -1;
  constructor(
    readonly kind: LayerKind,
    /** Its layer's buffer, kept here so a delta does not look the layer up by name per entity. */
    readonly buffer: LayerBuffer,
    /** "domain/id", built once when the entity first arrives. */
    readonly key: string,
    readonly id: string,
  ) {}
}

function writeRgba(target: Uint8Array, slot: number, color: Rgba): void {
  const i = slot * 4;
  target[i] = color[0];
  target[i + 1] = color[1];
  target[i + 2] = color[2];
  target[i + 3] = color[3];
}

/**
 * Live entity state, outside React: one typed-array buffer per map layer, updated in place by
 * snapshots and deltas. Renderers poll `version` and the buffers' versions; nothing here touches the DOM.
 */
export class EntityStore {
  readonly layers: Record<LayerKind, LayerBuffer>;
  /** Entities that have not reported a position yet: counted, listed in no layer. */
  readonly unplaced = new Map<string, Entity>();
  /**
   * One entry per known entity, by domain then id: a delta's upsert finds layer and slot without building
   * a "domain/id" string. Hashing such a fresh concatenation costs 3-4× the lookup itself (measured at
   * 100 k entities: 120 against 30 ms an update), the largest part of applying a delta.
   */
  private readonly placements = new Map<string, Map<string, Placement>>();
  /** Placements by the live worker's number for them: a delta from the worker finds its entities without any id. */
  private readonly byHandle: (Placement | undefined)[] = [];
  private readonly staleAfter: (domain: string) => number;
  private readonly minGlideMs: number;
  private readonly maxGlideMs: number;
  /** Server clock minus client clock, learnt from snapshot and delta timestamps. */
  serverOffset = 0;
  /** Client time (ms) of the last snapshot or delta applied; 0 before any. */
  lastUpdate = 0;
  lastSeq: number | undefined;
  /** Deltas whose seq did not follow the previous one (the server coalesces what a slow socket missed). */
  seqGaps = 0;
  /** True once a snapshot has been applied. */
  ready = false;
  private glidingUntil = 0;
  private structureVersion = 0;

  constructor(options: EntityStoreOptions = {}) {
    this.staleAfter = options.staleAfter ?? (() => DEFAULT_STALE_AFTER_MS);
    this.minGlideMs = options.minGlideMs ?? 250;
    this.maxGlideMs = options.maxGlideMs ?? 2_000;
    const layers = {} as Record<LayerKind, LayerBuffer>;
    for (const kind of LAYER_KINDS) layers[kind] = new LayerBuffer(kind);
    this.layers = layers;
  }

  /** Changes whenever anything visible changes; cheap to poll every frame. */
  get version(): number {
    let sum = this.structureVersion;
    for (const kind of LAYER_KINDS) sum += this.layers[kind].version;
    return sum;
  }

  /**
   * Replaces all state with a snapshot. `handles`, from the live worker, numbers its entities (one per
   * entity, in order) for the deltas that follow (`applyHandles`).
   */
  applySnapshot(snapshot: Snapshot, now: number, handles?: Int32Array): void {
    for (const kind of LAYER_KINDS) this.layers[kind].clear();
    this.unplaced.clear();
    this.placements.clear();
    this.byHandle.length = 0;
    this.serverOffset = snapshot.ts - now;
    const { entities } = snapshot;
    for (let k = 0; k < entities.length; k++) {
      const entity = entities[k] as Entity;
      const placement = this.upsertPlaced(this.placements.get(entity.domain)?.get(entity.id), entity, now, false);
      if (handles !== undefined) this.bind(handles[k] as number, placement);
    }
    this.lastSeq = undefined;
    this.lastUpdate = now;
    this.ready = true;
    this.structureVersion++;
  }

  /** Applies a delta in place: O(upserts + removes), no allocation per untouched entity. */
  applyDelta(delta: Delta, now: number): void {
    this.noteTick(delta, now);
    for (const key of delta.removes) this.remove(key);
    for (const entity of delta.upserts) {
      const placement = this.placements.get(entity.domain)?.get(entity.id);
      if (placement !== undefined) {
        // In a cluster, deltas from two nodes can arrive out of order: never step back to an older copy.
        // A placed entity's time is read from the layer's array, not from its old object (a cache miss each).
        const currentTs =
          placement.slot < 0 ? this.unplaced.get(placement.key)?.ts : placement.buffer.ts[placement.slot];
        if (currentTs !== undefined && entity.ts < currentTs) continue;
      }
      this.upsertPlaced(placement, entity, now, true);
    }
    this.lastUpdate = now;
  }

  /**
   * Applies a `deltaColumns` event. An entity already held keeps its object, updated in place (a new
   * one only when its field or tag names changed): readers holding it see the new values, and tell a
   * change by its `ts`. Throws ColumnDeltaError on columns that do not add up, before changing anything.
   */
  applyColumns(delta: ColumnDelta, now: number): void {
    const views = readColumnDelta(delta);
    this.noteTick(delta, now);
    for (const key of delta.removes) this.remove(key);
    for (const view of views) {
      let byId = this.placements.get(view.domain);
      for (let i = 0; i < view.size; i++) {
        byId ??= this.placements.get(view.domain);
        const placement = byId?.get(view.ids[i] as string);
        if (placement === undefined) {
          this.upsertPlaced(undefined, columnEntity(view, i), now, true);
          continue;
        }
        const placed = placement.slot >= 0;
        const held = placed ? placement.buffer.entities[placement.slot] : this.unplaced.get(placement.key);
        // As in applyDelta: never step back to an older copy (deltas of two cluster nodes may cross).
        const currentTs = placed ? placement.buffer.ts[placement.slot] : held?.ts;
        if (currentTs !== undefined && (view.ts[i] as number) < currentTs) continue;
        const entity = held !== undefined && updateFromColumns(held, view, i) ? held : columnEntity(view, i);
        this.upsertPlaced(placement, entity, now, true);
      }
    }
    this.lastUpdate = now;
  }

  /**
   * Applies a `deltaColumns` event as the live worker hands it over: entities by number, ids only for
   * those it numbered in this delta. The same in-place update as `applyColumns`, without parsing or
   * hashing an id per entity. Throws ColumnDeltaError on columns that do not add up, before changing
   * anything; and after applying the rest, when an entity came by a number this store does not hold
   * (the two sides disagree: the caller asks for a fresh snapshot).
   */
  applyHandles(delta: HandleDelta, now: number): void {
    const all = float64Of(delta.numbers);
    const views = delta.blocks.map((block) => {
      if (block.freshAt.length !== block.freshIds.length)
        throw new ColumnDeltaError(
          `block ${block.domain}: ${block.freshAt.length} fresh positions for ${block.freshIds.length} ids`,
        );
      return readColumnBlock(block, block.freshIds, block.handles.length, all);
    });
    this.noteTick(delta, now);
    for (const key of delta.removes) this.remove(key);
    let unknown = 0;
    for (let b = 0; b < views.length; b++) {
      const view = views[b] as (typeof views)[number];
      const { handles, freshAt, freshIds } = delta.blocks[b] as HandleDelta['blocks'][number];
      let fresh = 0;
      for (let i = 0; i < view.size; i++) {
        const handle = handles[i] as number;
        let placement: Placement | undefined;
        let id: string;
        if (fresh < freshAt.length && freshAt[fresh] === i) {
          id = freshIds[fresh++] as string;
          placement = this.placements.get(view.domain)?.get(id);
        } else {
          placement = this.byHandle[handle];
          if (placement === undefined) {
            unknown++;
            continue;
          }
          id = placement.id;
        }
        if (placement === undefined) {
          this.bind(handle, this.upsertPlaced(undefined, columnEntity(view, i, id), now, true));
          continue;
        }
        this.bind(handle, placement);
        const placed = placement.slot >= 0;
        const held = placed ? placement.buffer.entities[placement.slot] : this.unplaced.get(placement.key);
        // As in applyDelta: never step back to an older copy (deltas of two cluster nodes may cross).
        const currentTs = placed ? placement.buffer.ts[placement.slot] : held?.ts;
        if (currentTs !== undefined && (view.ts[i] as number) < currentTs) continue;
        const entity = held !== undefined && updateFromColumns(held, view, i) ? held : columnEntity(view, i, id);
        this.upsertPlaced(placement, entity, now, true);
      }
    }
    this.lastUpdate = now;
    if (unknown > 0) throw new ColumnDeltaError(`${unknown} entities came by a number this console does not hold`);
  }

  /** Inserts or updates one entity; vehicles glide from where they are drawn to the new fix when `animate`. */
  upsert(entity: Entity, now: number, animate: boolean): void {
    this.upsertPlaced(this.placements.get(entity.domain)?.get(entity.id), entity, now, animate);
  }

  /** `upsert` with the entity's placement (undefined: a new entity) already looked up; returns its placement now. */
  private upsertPlaced(known: Placement | undefined, entity: Entity, now: number, animate: boolean): Placement {
    const kind = layerKindOf(entity);
    let placement = known;
    let handle = -1;
    if (placement !== undefined && placement.kind !== kind) {
      // Another layer: a new placement, under the same number from the live worker.
      handle = placement.handle;
      this.remove(placement.key);
      placement = undefined;
    }
    if (placement === undefined) {
      placement = new Placement(kind, this.layers[kind], `${entity.domain}/${entity.id}`, entity.id);
      if (handle >= 0) this.bind(handle, placement);
      let byId = this.placements.get(entity.domain);
      if (byId === undefined) {
        byId = new Map();
        this.placements.set(entity.domain, byId);
      }
      byId.set(entity.id, placement);
    }
    const key = placement.key;
    const buffer = placement.buffer;
    if (entity.lat === null || entity.lon === null) {
      if (placement.slot >= 0) {
        buffer.removeSlot(placement.slot);
        this.structureVersion++;
      }
      this.unplaced.set(key, entity);
      return placement;
    }
    let slot = placement.slot;
    // Only an entity listed without a position (no slot in its layer) can be in `unplaced`.
    if (slot < 0 && this.unplaced.delete(key)) this.structureVersion++;
    const lon = entity.lon;
    const lat = entity.lat;
    if (slot < 0) {
      slot = buffer.append(key, entity, placement);
      this.place(buffer, slot, lon, lat);
    } else {
      const i = slot * 2;
      const moved = buffer.target[i] !== Math.fround(lon) || buffer.target[i + 1] !== Math.fround(lat);
      if (moved && animate && MOVING_KINDS.has(kind)) this.glide(buffer, slot, lon, lat, now, entity.ts);
      else if (moved) this.place(buffer, slot, lon, lat);
      buffer.entities[slot] = entity;
    }
    buffer.ts[slot] = entity.ts;
    this.restyle(buffer, slot, now);
    return placement;
  }

  /** Files a placement under the live worker's number for it (a number names one entity at a time). */
  private bind(handle: number, placement: Placement): void {
    if (placement.handle === handle) return;
    if (placement.handle >= 0 && this.byHandle[placement.handle] === placement)
      this.byHandle[placement.handle] = undefined;
    placement.handle = handle;
    this.byHandle[handle] = placement;
  }

  /** Removes an entity by key ("domain/id"); unknown keys are ignored. */
  remove(key: string): void {
    const parts = splitKey(key);
    if (parts === undefined) return;
    const byId = this.placements.get(parts[0]);
    const placement = byId?.get(parts[1]);
    if (byId === undefined || placement === undefined) return;
    byId.delete(parts[1]);
    if (placement.handle >= 0 && this.byHandle[placement.handle] === placement)
      this.byHandle[placement.handle] = undefined;
    if (placement.slot >= 0) placement.buffer.removeSlot(placement.slot);
    if (this.unplaced.delete(key)) this.structureVersion++;
  }

  /** Recomputes colours, size and flags of one slot from its entity and age. */
  restyle(buffer: LayerBuffer, slot: number, now: number): void {
    const entity = buffer.entities[slot] as Entity;
    const look = lookOf(buffer.kind, entity.fields);
    const flags = this.flagsOf(entity, buffer.ts[slot] ?? 0, now, look.heading);
    buffer.setFlags(slot, flags);
    const stale = (flags & FLAG_STALE) !== 0;
    writeRgba(buffer.fill, slot, stale ? TRANSPARENT : look.fill);
    writeRgba(buffer.line, slot, stale ? STALE_LINE : flags & FLAG_ALERT ? ALERT_COLOR : (look.line ?? OK_LINE));
    buffer.size[slot] = look.size;
    if (look.size > buffer.sizeMax) buffer.sizeMax = look.size;
    if (!Number.isNaN(look.heading)) buffer.angle[slot] = -look.heading;
    buffer.styleVersion++;
  }

  /** Marks entities whose data got older than their domain allows as stale (and back); returns how many changed. */
  sweepStale(now: number): number {
    let changed = 0;
    const serverNow = now + this.serverOffset;
    for (const kind of LAYER_KINDS) {
      const buffer = this.layers[kind];
      for (let slot = 0; slot < buffer.count; slot++) {
        const entity = buffer.entities[slot] as Entity;
        const stale = entity.status === 'stale' || serverNow - (buffer.ts[slot] ?? 0) > this.staleAfter(entity.domain);
        if (stale !== (((buffer.flags[slot] ?? 0) & FLAG_STALE) !== 0)) {
          this.restyle(buffer, slot, now);
          changed++;
        }
      }
    }
    return changed;
  }

  /** Advances vehicle glides to `now`; returns true while any vehicle is still moving. */
  stepMotion(now: number): boolean {
    if (this.glidingUntil === 0) return false;
    for (const kind of MOVING_KINDS) {
      const buffer = this.layers[kind];
      let changed = false;
      for (let slot = 0; slot < buffer.count; slot++) {
        const start = buffer.moveStart[slot] ?? -1;
        if (start < 0) continue;
        const i = slot * 2;
        const t = (now - start) / (buffer.moveDuration[slot] ?? 1);
        if (t >= 1) {
          buffer.positions[i] = buffer.target[i] ?? 0;
          buffer.positions[i + 1] = buffer.target[i + 1] ?? 0;
          buffer.moveStart[slot] = -1;
        } else {
          const f = Math.max(0, t);
          const ox = buffer.origin[i] ?? 0;
          const oy = buffer.origin[i + 1] ?? 0;
          buffer.positions[i] = ox + ((buffer.target[i] ?? 0) - ox) * f;
          buffer.positions[i + 1] = oy + ((buffer.target[i + 1] ?? 0) - oy) * f;
        }
        changed = true;
      }
      if (changed) buffer.positionVersion++;
    }
    if (now >= this.glidingUntil) this.glidingUntil = 0;
    return this.glidingUntil !== 0;
  }

  /** Seq and clock bookkeeping shared by both delta encodings. */
  private noteTick(delta: { seq: number; ts: number }, now: number): void {
    if (this.lastSeq !== undefined && delta.seq !== this.lastSeq + 1) this.seqGaps++;
    this.lastSeq = delta.seq;
    this.serverOffset = delta.ts - now;
  }

  /** The server's clock at client time `now` (entity ages are measured on it). */
  serverTime(now: number): number {
    return now + this.serverOffset;
  }

  /** The slot of an entity, or undefined. */
  find(key: string): EntityRef | undefined {
    const placement = this.placementOf(key);
    if (placement === undefined || placement.slot < 0) return undefined;
    return { kind: placement.kind, slot: placement.slot, buffer: this.layers[placement.kind] };
  }

  /** The latest state of an entity (placed or not). */
  get(key: string): Entity | undefined {
    const ref = this.find(key);
    return ref ? ref.buffer.entities[ref.slot] : this.unplaced.get(key);
  }

  /** The drawn position of an entity, [lon, lat]. */
  displayedPosition(key: string): [number, number] | undefined {
    const ref = this.find(key);
    if (!ref) return undefined;
    return [ref.buffer.positions[ref.slot * 2] ?? 0, ref.buffer.positions[ref.slot * 2 + 1] ?? 0];
  }

  /** Whether the entity is drawn as stale / in alert right now. */
  flagsOf(entity: Entity, ts: number, now: number, heading = NaN): number {
    const age = now + this.serverOffset - ts;
    let flags = 0;
    if (entity.status === 'stale' || age > this.staleAfter(entity.domain)) flags |= FLAG_STALE;
    if (entity.status === 'alert') flags |= FLAG_ALERT;
    if (!Number.isNaN(heading)) flags |= FLAG_HEADING;
    return flags;
  }

  /** Entities per layer, placed and unplaced. */
  counts(): KindCounts {
    const counts = {} as KindCounts;
    for (const kind of LAYER_KINDS) counts[kind] = this.layers[kind].count;
    for (const key of this.unplaced.keys()) {
      const placement = this.placementOf(key);
      if (placement) counts[placement.kind]++;
    }
    return counts;
  }

  /** All entities known, placed or not. */
  get size(): number {
    let size = 0;
    for (const byId of this.placements.values()) size += byId.size;
    return size;
  }

  /** The placement of a "domain/id" key (ids never contain "/"). */
  private placementOf(key: string): Placement | undefined {
    const parts = splitKey(key);
    return parts && this.placements.get(parts[0])?.get(parts[1]);
  }

  private place(buffer: LayerBuffer, slot: number, lon: number, lat: number): void {
    const i = slot * 2;
    buffer.positions[i] = buffer.target[i] = buffer.origin[i] = lon;
    buffer.positions[i + 1] = buffer.target[i + 1] = buffer.origin[i + 1] = lat;
    buffer.moveStart[slot] = -1;
    buffer.positionVersion++;
  }

  private glide(buffer: LayerBuffer, slot: number, lon: number, lat: number, now: number, ts: number): void {
    const i = slot * 2;
    buffer.origin[i] = buffer.positions[i] ?? lon;
    buffer.origin[i + 1] = buffer.positions[i + 1] ?? lat;
    buffer.target[i] = lon;
    buffer.target[i + 1] = lat;
    // Glide for as long as the fixes are apart, so a vehicle reporting every second never pauses.
    const gap = ts - (buffer.ts[slot] ?? ts);
    const duration = Math.min(this.maxGlideMs, Math.max(this.minGlideMs, gap > 0 ? gap : 1000));
    buffer.moveStart[slot] = now;
    buffer.moveDuration[slot] = duration;
    this.glidingUntil = Math.max(this.glidingUntil, now + duration);
  }
}

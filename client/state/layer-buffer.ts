import type { Entity } from '../../contract/entity.js';
import type { LayerKind } from './layer-kinds.js';

/** Bits of `LayerBuffer.flags`. */
export const FLAG_STALE = 1;
export const FLAG_ALERT = 2;
export const FLAG_HEADING = 4;

const INITIAL_CAPACITY = 64;

/** An entity's handle on its slot (-1: none). The buffer keeps it right when a removal moves the entity. */
export interface SlotHolder {
  slot: number;
}

function grow<T extends Float32Array | Float64Array | Uint8Array>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}

/**
 * The entities of one map layer in dense typed arrays (slot i = i-th instance), so deck.gl can take
 * them as binary attributes without a per-entity accessor call. Removal swaps the last slot in.
 */
export class LayerBuffer {
  readonly kind: LayerKind;
  count = 0;
  capacity = INITIAL_CAPACITY;
  /** Displayed [lon, lat] per slot (mid-glide for vehicles). */
  positions = new Float32Array(INITIAL_CAPACITY * 2);
  /** Vehicles: last fix, the glide's start point, start time and duration. */
  target = new Float32Array(INITIAL_CAPACITY * 2);
  origin = new Float32Array(INITIAL_CAPACITY * 2);
  moveStart = new Float64Array(INITIAL_CAPACITY);
  moveDuration = new Float32Array(INITIAL_CAPACITY);
  fill = new Uint8Array(INITIAL_CAPACITY * 4);
  line = new Uint8Array(INITIAL_CAPACITY * 4);
  /** Radius input in pixels (junctions: sqrt(flow), scaled by the layer). */
  size = new Float32Array(INITIAL_CAPACITY);
  /** deck.gl icon angle: degrees counter-clockwise from north (= -heading). */
  angle = new Float32Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  /** Entity timestamp (server clock, ms). */
  ts = new Float64Array(INITIAL_CAPACITY);
  keys: string[] = [];
  entities: Entity[] = [];
  /** Each slot's holder: updated in place, so the store finds a slot with no lookup of its own. */
  private holders: SlotHolder[] = [];
  /** Bumped on membership, colour, size or flag changes. */
  styleVersion = 0;
  /** Bumped whenever a displayed position changes. */
  positionVersion = 0;
  alertCount = 0;
  /** Largest `size` seen since the last reset (junction radii are relative to it). */
  sizeMax = 0;

  constructor(kind: LayerKind) {
    this.kind = kind;
  }

  /** Any change at all: what the renderer compares. */
  get version(): number {
    return this.styleVersion + this.positionVersion;
  }

  /** Adds a key at the end; its slot is written to `holder` (and kept right from then on) and returned. */
  append(key: string, entity: Entity, holder: SlotHolder): number {
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const slot = this.count++;
    holder.slot = slot;
    this.holders[slot] = holder;
    this.keys[slot] = key;
    this.entities[slot] = entity;
    this.flags[slot] = 0;
    this.styleVersion++;
    return slot;
  }

  /** Empties a slot by moving the last one into its place; its holder's slot becomes -1. */
  removeSlot(slot: number): void {
    if (slot < 0 || slot >= this.count) return;
    if ((this.flags[slot] ?? 0) & FLAG_ALERT) this.alertCount--;
    const holder = this.holders[slot];
    if (holder) holder.slot = -1;
    const last = this.count - 1;
    if (slot !== last) this.moveSlot(last, slot);
    this.keys.length = last;
    this.entities.length = last;
    this.holders.length = last;
    this.count = last;
    this.styleVersion++;
    this.positionVersion++;
  }

  /** Empties the layer (a new snapshot replaces everything). */
  clear(): void {
    this.count = 0;
    for (let slot = 0; slot < this.holders.length; slot++) (this.holders[slot] as SlotHolder).slot = -1;
    this.holders = [];
    this.keys = [];
    this.entities = [];
    this.alertCount = 0;
    this.sizeMax = 0;
    this.styleVersion++;
    this.positionVersion++;
  }

  /** Sets the flags of a slot, keeping `alertCount` right; true when they changed. */
  setFlags(slot: number, flags: number): boolean {
    const before = this.flags[slot] ?? 0;
    if (before === flags) return false;
    if (before & FLAG_ALERT) this.alertCount--;
    if (flags & FLAG_ALERT) this.alertCount++;
    this.flags[slot] = flags;
    return true;
  }

  private moveSlot(from: number, to: number): void {
    this.keys[to] = this.keys[from] as string;
    this.entities[to] = this.entities[from] as Entity;
    const holder = this.holders[from] as SlotHolder;
    holder.slot = to;
    this.holders[to] = holder;
    this.positions.copyWithin(to * 2, from * 2, from * 2 + 2);
    this.target.copyWithin(to * 2, from * 2, from * 2 + 2);
    this.origin.copyWithin(to * 2, from * 2, from * 2 + 2);
    this.fill.copyWithin(to * 4, from * 4, from * 4 + 4);
    this.line.copyWithin(to * 4, from * 4, from * 4 + 4);
    this.moveStart[to] = this.moveStart[from] ?? 0;
    this.moveDuration[to] = this.moveDuration[from] ?? 0;
    this.size[to] = this.size[from] ?? 0;
    this.angle[to] = this.angle[from] ?? 0;
    this.flags[to] = this.flags[from] ?? 0;
    this.ts[to] = this.ts[from] ?? 0;
  }

  private resize(capacity: number): void {
    this.capacity = capacity;
    this.positions = grow(this.positions, capacity * 2);
    this.target = grow(this.target, capacity * 2);
    this.origin = grow(this.origin, capacity * 2);
    this.moveStart = grow(this.moveStart, capacity);
    this.moveDuration = grow(this.moveDuration, capacity);
    this.fill = grow(this.fill, capacity * 4);
    this.line = grow(this.line, capacity * 4);
    this.size = grow(this.size, capacity);
    this.angle = grow(this.angle, capacity);
    this.flags = grow(this.flags, capacity);
    this.ts = grow(this.ts, capacity);
  }
}

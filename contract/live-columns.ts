// The `deltaColumns` event: the same content as `delta`, laid out by column for consoles that draw
// tens of thousands of moving entities. A browser spends ~1.5 µs per entity parsing a JSON delta and
// building its objects; numbers in one binary attachment and ids in one string array cost a tenth of
// that, and let the console update the entities it already holds in place (docs/ARCHITECTURE.md,
// "Live deltas: two encodings").
import type { Entity, EntityStatus } from './entity.js';
import type { FieldValue } from './observation.js';

/** How a socket wants its deltas: `json` (the `delta` event, the default) or `columns` (`deltaColumns`). */
export const DELTA_ENCODINGS = ['json', 'columns'] as const;
export type DeltaEncoding = (typeof DELTA_ENCODINGS)[number];

/** The entities of one domain in a `deltaColumns` event. */
export interface ColumnBlock {
  domain: string;
  ids: string[];
  /** One character per entity: `o` ok, `s` stale, `a` alert. */
  status: string;
  /**
   * Where this block's columns start in `numbers`, counted in 8-byte values. The columns follow one
   * another, each `ids.length` long: `ts`, `lat`, `lon` (NaN: no position yet), then one per name in
   * `numeric` (NaN: the entity has no such field).
   */
  offset: number;
  numeric: string[];
  /** Fields whose values are strings or booleans, one array per name; null where an entity has none. */
  text?: Record<string, (string | boolean | null)[]>;
  /** Tags, one array per name; null where an entity has none. */
  tags?: Record<string, (string | null)[]>;
}

export interface ColumnDelta {
  ts: number;
  /** As `Delta.seq`. */
  seq: number;
  blocks: ColumnBlock[];
  /** As `Delta.removes`: keys ("<domain>/<id>") that left the subscription. */
  removes: string[];
  /** Every block's number columns: IEEE 754 doubles, little-endian (a binary attachment on the wire). */
  numbers: ArrayBuffer | Uint8Array;
}

const STATUS_CODE: Record<EntityStatus, string> = { ok: 'o', stale: 's', alert: 'a' };
const STATUS_OF: Record<string, EntityStatus> = { o: 'ok', s: 'stale', a: 'alert' };

interface BlockDraft {
  domain: string;
  entities: Entity[];
  numeric: Map<string, number>;
  text?: Set<string>;
  tags?: Set<string>;
}

/** Lays `upserts` out by column: one block per domain, every number in one Float64 buffer. */
export function encodeColumnDelta(delta: {
  ts: number;
  seq: number;
  upserts: readonly Entity[];
  removes: string[];
}): ColumnDelta {
  const drafts = new Map<string, BlockDraft>();
  for (const entity of delta.upserts) {
    let draft = drafts.get(entity.domain);
    if (draft === undefined) {
      draft = { domain: entity.domain, entities: [], numeric: new Map() };
      drafts.set(entity.domain, draft);
    }
    draft.entities.push(entity);
    for (const name in entity.fields) {
      const value = entity.fields[name];
      if (typeof value === 'number') {
        if (!draft.numeric.has(name)) draft.numeric.set(name, draft.numeric.size);
      } else (draft.text ??= new Set()).add(name);
    }
    if (entity.tags) for (const name in entity.tags) (draft.tags ??= new Set()).add(name);
  }
  let total = 0;
  for (const draft of drafts.values()) total += draft.entities.length * (3 + draft.numeric.size);
  const numbers = new Float64Array(total);
  const blocks: ColumnBlock[] = [];
  let offset = 0;
  for (const draft of drafts.values()) {
    const n = draft.entities.length;
    const ids = new Array<string>(n);
    let status = '';
    const numeric = [...draft.numeric.keys()];
    // Every field column starts as "absent"; present values overwrite it below.
    numbers.fill(NaN, offset + 3 * n, offset + (3 + numeric.length) * n);
    const text = draft.text ? columnsOf<string | boolean>(draft.text, n) : undefined;
    const tags = draft.tags ? columnsOf<string>(draft.tags, n) : undefined;
    for (let i = 0; i < n; i++) {
      const entity = draft.entities[i] as Entity;
      ids[i] = entity.id;
      status += STATUS_CODE[entity.status];
      numbers[offset + i] = entity.ts;
      numbers[offset + n + i] = entity.lat ?? NaN;
      numbers[offset + 2 * n + i] = entity.lon ?? NaN;
      for (const name in entity.fields) {
        const value = entity.fields[name] as FieldValue;
        if (typeof value === 'number') numbers[offset + (3 + (draft.numeric.get(name) as number)) * n + i] = value;
        else if (text) (text[name] as (string | boolean | null)[])[i] = value;
      }
      if (entity.tags && tags)
        for (const name in entity.tags) (tags[name] as (string | null)[])[i] = entity.tags[name] as string;
    }
    blocks.push({
      domain: draft.domain,
      ids,
      status,
      offset,
      numeric,
      ...(text ? { text } : {}),
      ...(tags ? { tags } : {}),
    });
    offset += (3 + numeric.length) * n;
  }
  return { ts: delta.ts, seq: delta.seq, blocks, removes: delta.removes, numbers: new Uint8Array(numbers.buffer) };
}

function columnsOf<T>(names: Set<string>, n: number): Record<string, (T | null)[]> {
  const columns: Record<string, (T | null)[]> = {};
  for (const name of names) columns[name] = new Array<T | null>(n).fill(null);
  return columns;
}

/** One block with its number columns as typed-array views, ready to read entity by entity. */
export interface ColumnBlockView {
  domain: string;
  ids: string[];
  size: number;
  ts: Float64Array;
  lat: Float64Array;
  lon: Float64Array;
  numericNames: string[];
  numeric: Float64Array[];
  textNames: string[];
  text: (string | boolean | null)[][];
  tagNames: string[];
  tags: (string | null)[][];
  status: string;
}

/** The malformed `deltaColumns` event: its columns do not add up. */
export class ColumnDeltaError extends Error {
  override readonly name = 'ColumnDeltaError';
}

/** Views of a delta's blocks; throws ColumnDeltaError when a block's columns run past the buffer or lengths disagree. */
export function readColumnDelta(delta: ColumnDelta): ColumnBlockView[] {
  const all = float64Of(delta.numbers);
  return delta.blocks.map((block) => readColumnBlock(block, block.ids, block.ids.length, all));
}

/**
 * One block's views over `all` (every number of its delta), for a block of `n` entities whose ids are
 * `ids`; the console's live worker sends blocks whose ids it has already looked up, so the ids may be
 * fewer than `n` there. Throws ColumnDeltaError as `readColumnDelta` does.
 */
export function readColumnBlock(
  block: Omit<ColumnBlock, 'ids'>,
  ids: string[],
  n: number,
  all: Float64Array,
): ColumnBlockView {
  const end = block.offset + (3 + block.numeric.length) * n;
  if (!Number.isInteger(block.offset) || block.offset < 0 || end > all.length) {
    throw new ColumnDeltaError(`block ${block.domain}: columns end at ${end}, the buffer holds ${all.length} numbers`);
  }
  if (block.status.length !== n)
    throw new ColumnDeltaError(`block ${block.domain}: ${block.status.length} statuses for ${n} ids`);
  const column = (k: number) => all.subarray(block.offset + k * n, block.offset + (k + 1) * n);
  const text = block.text ?? {};
  const tags = block.tags ?? {};
  const textNames = Object.keys(text);
  const tagNames = Object.keys(tags);
  for (const values of [...Object.values(text), ...Object.values(tags)]) {
    if (values.length !== n)
      throw new ColumnDeltaError(`block ${block.domain}: a text column holds ${values.length} values for ${n} ids`);
  }
  return {
    domain: block.domain,
    ids,
    size: n,
    ts: column(0),
    lat: column(1),
    lon: column(2),
    numericNames: block.numeric,
    numeric: block.numeric.map((_, k) => column(3 + k)),
    textNames,
    text: textNames.map((name) => text[name] as (string | boolean | null)[]),
    tagNames,
    tags: tagNames.map((name) => tags[name] as (string | null)[]),
    status: block.status,
  };
}

/** The status of entity `i` of a block. */
export function columnStatus(view: ColumnBlockView, i: number): EntityStatus {
  return STATUS_OF[view.status[i] ?? 'o'] ?? 'ok';
}

/** Sets entity `i`'s fields of a block on `fields` (number columns: NaN is absent; text columns: null is absent). */
function writeFields(fields: Record<string, FieldValue>, view: ColumnBlockView, i: number): void {
  for (let k = 0; k < view.numeric.length; k++) {
    const value = (view.numeric[k] as Float64Array)[i] as number;
    if (value === value) fields[view.numericNames[k] as string] = value;
  }
  for (let k = 0; k < view.text.length; k++) {
    const value = (view.text[k] as (string | boolean | null)[])[i];
    if (value !== null && value !== undefined) fields[view.textNames[k] as string] = value;
  }
}

/** Entity `i` of a block as a new object, equal to what the `delta` event would have carried. */
export function columnEntity(view: ColumnBlockView, i: number, id = view.ids[i] as string): Entity {
  const fields: Record<string, FieldValue> = {};
  writeFields(fields, view, i);
  const lat = view.lat[i] as number;
  const lon = view.lon[i] as number;
  const entity: Entity = {
    domain: view.domain,
    id,
    ts: view.ts[i] as number,
    lat: lat === lat ? lat : null,
    lon: lon === lon ? lon : null,
    fields,
    status: columnStatus(view, i),
  };
  if (view.tags.length > 0) {
    const tags: Record<string, string> = {};
    let any = false;
    for (let k = 0; k < view.tags.length; k++) {
      const value = (view.tags[k] as (string | null)[])[i];
      if (value !== null && value !== undefined) {
        tags[view.tagNames[k] as string] = value;
        any = true;
      }
    }
    if (any) entity.tags = tags;
  }
  return entity;
}

/** Every upsert of a `deltaColumns` event as entity objects (for clients that do not update in place). */
export function columnDeltaEntities(delta: ColumnDelta): Entity[] {
  const entities: Entity[] = [];
  for (const view of readColumnDelta(delta)) for (let i = 0; i < view.size; i++) entities.push(columnEntity(view, i));
  return entities;
}

/**
 * Overwrites `entity` with entity `i` of a block when both have the same field and tag names; returns
 * false, touching nothing, when they differ (the caller then takes a new object from `columnEntity`).
 * Updating in place spares the browser a new object per entity per delta, whose promotion to the old
 * generation costs as much as parsing it.
 */
export function updateFromColumns(entity: Entity, view: ColumnBlockView, i: number): boolean {
  const fields = entity.fields;
  let present = 0;
  for (let k = 0; k < view.numeric.length; k++) {
    const value = (view.numeric[k] as Float64Array)[i] as number;
    if (value === value) {
      if (!((view.numericNames[k] as string) in fields)) return false;
      present++;
    }
  }
  for (let k = 0; k < view.text.length; k++) {
    const value = (view.text[k] as (string | boolean | null)[])[i];
    if (value !== null && value !== undefined) {
      if (!((view.textNames[k] as string) in fields)) return false;
      present++;
    }
  }
  if (present !== countKeys(fields)) return false;
  let tagCount = 0;
  for (let k = 0; k < view.tags.length; k++) {
    const value = (view.tags[k] as (string | null)[])[i];
    if (value !== null && value !== undefined) {
      if (entity.tags === undefined || !((view.tagNames[k] as string) in entity.tags)) return false;
      tagCount++;
    }
  }
  if (tagCount !== (entity.tags === undefined ? 0 : countKeys(entity.tags))) return false;
  if (entity.tags !== undefined && tagCount === 0) return false;

  writeFields(fields, view, i);
  if (entity.tags !== undefined) {
    for (let k = 0; k < view.tags.length; k++) {
      const value = (view.tags[k] as (string | null)[])[i];
      if (value !== null && value !== undefined) entity.tags[view.tagNames[k] as string] = value;
    }
  }
  const lat = view.lat[i] as number;
  const lon = view.lon[i] as number;
  entity.ts = view.ts[i] as number;
  entity.lat = lat === lat ? lat : null;
  entity.lon = lon === lon ? lon : null;
  entity.status = columnStatus(view, i);
  return true;
}

/** Own enumerable keys of a plain object, counted without building an array. */
function countKeys(record: object): number {
  let count = 0;
  for (const _ in record) count++;
  return count;
}

/** The buffer as aligned Float64 values; a Node Buffer may sit at any byte offset of a shared pool, so it is copied then. */
export function float64Of(numbers: ArrayBuffer | Uint8Array): Float64Array {
  if (numbers instanceof ArrayBuffer) return new Float64Array(numbers, 0, numbers.byteLength >> 3);
  if (numbers.byteOffset % 8 === 0)
    return new Float64Array(numbers.buffer, numbers.byteOffset, numbers.byteLength >> 3);
  // new Uint8Array(view) copies; a Buffer's own slice() would not.
  return new Float64Array(new Uint8Array(numbers).buffer, 0, numbers.byteLength >> 3);
}

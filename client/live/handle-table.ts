// The live worker's numbering of entities. A `deltaColumns` event names each entity by its id string;
// looking 100 k of them up in the console's maps (hashing each freshly parsed string) and parsing them
// is most of what a large delta costs the main thread. The worker, which parses the event anyway, does
// the lookup here and sends each entity's number instead, and the id only the first time (docs/ARCHITECTURE.md,
// "The console's live worker"). DOM-free: it runs in the worker, and in-thread in Node tests.
import type { ColumnBlock, ColumnDelta } from '../../contract/live-columns.js';
import { splitKey, type Entity } from '../../contract/entity.js';

/** A `deltaColumns` block with its ids replaced by the worker's numbers for them. */
export interface HandleBlock extends Omit<ColumnBlock, 'ids'> {
  /** One number per entity of the block. */
  handles: Int32Array;
  /** Positions in the block (ascending) of entities numbered in this delta: the main thread has not seen them under these numbers. */
  freshAt: number[];
  /** Their ids, in the same order. */
  freshIds: string[];
}

/** A `deltaColumns` event as the live worker hands it to the main thread. */
export interface HandleDelta {
  ts: number;
  seq: number;
  blocks: HandleBlock[];
  removes: string[];
  /** The delta's number columns (transferred, not copied). */
  numbers: ArrayBuffer;
}

/**
 * Numbers for the entities of one subscription, from the snapshot on. Numbers of removed entities are
 * reused, so the table stays as large as the subscription, however long the console runs.
 */
export class HandleTable {
  private readonly byDomain = new Map<string, Map<string, number>>();
  private readonly free: number[] = [];
  private next = 0;

  /** How many entities hold a number now. */
  get size(): number {
    let size = 0;
    for (const byId of this.byDomain.values()) size += byId.size;
    return size;
  }

  /** Starts afresh from a snapshot: entity k gets the k-th number returned (the same entity twice, the same number). */
  reset(entities: readonly Entity[]): Int32Array {
    this.byDomain.clear();
    this.free.length = 0;
    this.next = 0;
    const handles = new Int32Array(entities.length);
    for (let k = 0; k < entities.length; k++) {
      const entity = entities[k] as Entity;
      handles[k] = this.numberOf(entity.domain, entity.id).handle;
    }
    return handles;
  }

  /**
   * The delta with numbers instead of ids. Removes are applied first, as the store applies them, so a
   * number freed by a remove can come back in the same delta as a fresh entity.
   */
  resolve(delta: ColumnDelta, numbers: ArrayBuffer): HandleDelta {
    for (const key of delta.removes) this.forget(key);
    const blocks = delta.blocks.map(({ ids, ...rest }): HandleBlock => {
      const handles = new Int32Array(ids.length);
      const freshAt: number[] = [];
      const freshIds: string[] = [];
      let byId = this.byDomain.get(rest.domain);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as string;
        const known = byId?.get(id);
        if (known !== undefined) {
          handles[i] = known;
          continue;
        }
        const { handle, table } = this.numberOf(rest.domain, id);
        byId = table;
        handles[i] = handle;
        freshAt.push(i);
        freshIds.push(id);
      }
      return { ...rest, handles, freshAt, freshIds };
    });
    return { ts: delta.ts, seq: delta.seq, blocks, removes: delta.removes, numbers };
  }

  /** Frees the number of a "domain/id" key that left the subscription; unknown keys are ignored. */
  forget(key: string): void {
    const parts = splitKey(key);
    if (parts === undefined) return;
    const [domain, id] = parts;
    const byId = this.byDomain.get(domain);
    const handle = byId?.get(id);
    if (byId === undefined || handle === undefined) return;
    byId.delete(id);
    this.free.push(handle);
  }

  private numberOf(domain: string, id: string): { handle: number; table: Map<string, number> } {
    let table = this.byDomain.get(domain);
    if (table === undefined) {
      table = new Map();
      this.byDomain.set(domain, table);
    }
    let handle = table.get(id);
    if (handle === undefined) {
      handle = this.free.pop() ?? this.next++;
      table.set(id, handle);
    }
    return { handle, table };
  }
}

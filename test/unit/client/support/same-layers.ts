import { expect } from 'vitest';
import type { EntityStore } from '../../../../client/state/entity-store.js';
import { LAYER_KINDS } from '../../../../client/state/layer-kinds.js';

/** Asserts that two stores draw the same: per layer, the count, target positions, colours and flags, slot by slot. */
export function expectSameLayers(actual: EntityStore, expected: EntityStore): void {
  for (const kind of LAYER_KINDS) {
    const a = expected.layers[kind];
    const b = actual.layers[kind];
    const view = (buffer: typeof a) => ({
      count: buffer.count,
      target: Array.from(buffer.target.subarray(0, buffer.count * 2)),
      fill: Array.from(buffer.fill.subarray(0, buffer.count * 4)),
      line: Array.from(buffer.line.subarray(0, buffer.count * 4)),
      flags: Array.from(buffer.flags.subarray(0, buffer.count)),
    });
    expect([kind, view(b)]).toEqual([kind, view(a)]);
  }
}

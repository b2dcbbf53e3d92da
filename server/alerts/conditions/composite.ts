import type { CompiledCondition, Reads } from './types.js';

/**
 * `all` / `any` over child conditions, their states side by side. Every child sees every
 * observation the rule gets and keeps its own last known value, so `all[flow < 2, speed < 5]` holds
 * when the latest flow and the latest speed both qualify, even if they arrive in separate observations.
 */
export function compileComposite(mode: 'all' | 'any', children: readonly CompiledCondition[]): CompiledCondition {
  const count = children.length;
  const offsets: number[] = [];
  let width = 0;
  for (const child of children) {
    offsets.push(width);
    width += child.width;
  }
  return {
    reads: mergeReads(children.map((child) => child.reads)),
    width,
    init(buf, at) {
      for (let i = 0; i < count; i++) children[i]!.init(buf, at + offsets[i]!);
    },
    update(buf, at, obs, side) {
      for (let i = 0; i < count; i++) children[i]!.update(buf, at + offsets[i]!, obs, side);
    },
    holds(buf, at, firing, now, side) {
      for (let i = 0; i < count; i++) {
        const held = children[i]!.holds(buf, at + offsets[i]!, firing, now, side);
        if (mode === 'all' && !held) return false;
        if (mode === 'any' && held) return true;
      }
      return mode === 'all';
    },
    value(buf, at, now, side) {
      // `any` shows a child that holds; otherwise (and for `all`) the first child that has a value.
      if (mode === 'any') {
        for (let i = 0; i < count; i++) {
          const child = children[i]!;
          const offset = at + offsets[i]!;
          const value = child.holds(buf, offset, true, now, side) ? child.value(buf, offset, now, side) : null;
          if (value !== null) return value;
        }
      }
      for (let i = 0; i < count; i++) {
        const value = children[i]!.value(buf, at + offsets[i]!, now, side);
        if (value !== null) return value;
      }
      return null;
    },
    known(buf, at) {
      for (let i = 0; i < count; i++) if (!children[i]!.known(buf, at + offsets[i]!)) return false;
      return true;
    },
  };
}

function mergeReads(all: readonly Reads[]): Reads {
  const fields = new Set<string>();
  for (const reads of all) for (const field of reads.fields) fields.add(field);
  return {
    fields: [...fields],
    position: all.some((reads) => reads.position),
    any: all.some((reads) => reads.any),
    timed: all.some((reads) => reads.timed),
  };
}

import type { CompiledCondition, Reads } from './types.js';

/**
 * `all` / `any` over child conditions. Every child sees every observation the rule gets and keeps
 * its own last known value, so `all[flow < 2, speed < 5]` holds when the latest flow and the latest
 * speed both qualify, even if they arrive in separate observations.
 */
export function compileComposite(
  mode: 'all' | 'any',
  children: readonly CompiledCondition[],
): CompiledCondition<unknown[]> {
  const count = children.length;
  return {
    reads: mergeReads(children.map((child) => child.reads)),
    init: () => children.map((child) => child.init()),
    update(states, obs) {
      for (let i = 0; i < count; i++) children[i]!.update(states[i], obs);
    },
    holds(states, firing, now) {
      for (let i = 0; i < count; i++) {
        const held = children[i]!.holds(states[i], firing, now);
        if (mode === 'all' && !held) return false;
        if (mode === 'any' && held) return true;
      }
      return mode === 'all';
    },
    value(states, now) {
      // `any` shows a child that holds; otherwise (and for `all`) the first child that has a value.
      if (mode === 'any') {
        for (let i = 0; i < count; i++) {
          const child = children[i]!;
          const value = child.holds(states[i], true, now) ? child.value(states[i], now) : null;
          if (value !== null) return value;
        }
      }
      for (let i = 0; i < count; i++) {
        const value = children[i]!.value(states[i], now);
        if (value !== null) return value;
      }
      return null;
    },
    known(states) {
      for (let i = 0; i < count; i++) if (!children[i]!.known(states[i])) return false;
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

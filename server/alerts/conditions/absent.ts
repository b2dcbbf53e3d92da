import type { AbsentCondition } from '../../../contract/index.js';
import type { CompiledCondition } from './types.js';

/**
 * No observation from the entity for `absent` ms. It changes with time alone, so the engine
 * re-evaluates it on every `tick(now)`; any observation of the entity resets it. An entity is known
 * from its first observation (or from `seed`); a restored firing state with no observation since
 * keeps holding until the entity reports again. State: [lastSeen], NaN when unknown.
 */
export function compileAbsent(condition: AbsentCondition): CompiledCondition {
  const limit = condition.absent;
  return {
    reads: { fields: [], position: false, any: true, timed: true },
    width: 1,
    init(buf, at) {
      buf[at] = Number.NaN;
    },
    update(buf, at, obs) {
      buf[at] = obs.ts;
    },
    holds(buf, at, _firing, now) {
      const lastSeen = buf[at]!;
      return Number.isNaN(lastSeen) || now - lastSeen >= limit;
    },
    value(buf, at, now) {
      const lastSeen = buf[at]!;
      return Number.isNaN(lastSeen) ? null : Math.max(0, now - lastSeen);
    },
    known: () => true,
  };
}

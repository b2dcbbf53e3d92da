import type { AbsentCondition } from '../../../contract/index.js';
import type { CompiledCondition } from './types.js';

interface AbsentState {
  /** Timestamp of the entity's last observation; NaN when unknown (state restored after a restart). */
  lastSeen: number;
}

/**
 * No observation from the entity for `absent` ms. It changes with time alone, so the engine
 * re-evaluates it on every `tick(now)`; any observation of the entity resets it. An entity is known
 * from its first observation (or from `seed`); a restored firing state with no observation since
 * keeps holding until the entity reports again.
 */
export function compileAbsent(condition: AbsentCondition): CompiledCondition<AbsentState> {
  const limit = condition.absent;
  return {
    reads: { fields: [], position: false, any: true, timed: true },
    init: () => ({ lastSeen: Number.NaN }),
    update(state, obs) {
      state.lastSeen = obs.ts;
    },
    holds: (state, _firing, now) => Number.isNaN(state.lastSeen) || now - state.lastSeen >= limit,
    value: (state, now) => (Number.isNaN(state.lastSeen) ? null : Math.max(0, now - state.lastSeen)),
    known: () => true,
  };
}

import type { FieldValue, ThresholdCondition } from '../../../contract/index.js';
import { compare } from './compare.js';
import type { CompiledCondition } from './types.js';

interface ThresholdState {
  value: FieldValue | undefined;
}

/**
 * `field op value`, with hysteresis when `clear` is set: it starts to hold when `field op value`
 * (at exactly the threshold `>` is false), and once the rule fires it keeps holding until the value
 * reaches `clear` (inclusive): `> 100 clear 80` fires above 100 and resolves at 80 or below;
 * `< 10 clear 20` fires below 10 and resolves at 20 or above. The last value seen is kept, so an
 * observation without the field leaves the condition as it was.
 */
export function compileThreshold(condition: ThresholdCondition): CompiledCondition<ThresholdState> {
  const { field, op, value: threshold, clear } = condition;
  const upward = op === '>' || op === '>=';
  const hasClear = clear !== undefined && op !== '==' && op !== '!=';
  return {
    reads: { fields: [field], position: false, any: false, timed: false },
    init: () => ({ value: undefined }),
    update(state, obs) {
      const value = obs.fields[field];
      if (value !== undefined) state.value = value;
    },
    holds(state, firing) {
      const value = state.value;
      if (value === undefined) return false;
      if (firing && hasClear && typeof value === 'number') return upward ? value > clear : value < clear;
      return compare(value, op, threshold);
    },
    value: (state) => state.value ?? null,
    known: (state) => state.value !== undefined,
  };
}

import type { FieldValue, ThresholdCondition } from '../../../contract/index.js';
import { compare } from './compare.js';
import type { CompiledCondition, Side } from './types.js';

// State: [kind, number]. Strings live in the entity's side map, keyed by the compiled condition.
const UNSEEN = 0;
const NUMBER = 1;
const TRUE = 2;
const FALSE = 3;
const STRING = 4;

/**
 * `field op value`, with hysteresis when `clear` is set: it starts to hold when `field op value`
 * (at exactly the threshold `>` is false), and once the rule fires it keeps holding until the value
 * reaches `clear` (inclusive): `> 100 clear 80` fires above 100 and resolves at 80 or below;
 * `< 10 clear 20` fires below 10 and resolves at 20 or above. The last value seen is kept, so an
 * observation without the field leaves the condition as it was.
 */
export function compileThreshold(condition: ThresholdCondition): CompiledCondition {
  const { field, op, value: threshold, clear } = condition;
  const upward = op === '>' || op === '>=';
  const hasClear = clear !== undefined && op !== '==' && op !== '!=';
  const self: CompiledCondition = {
    reads: { fields: [field], position: false, any: false, timed: false },
    width: 2,
    init(buf, at) {
      buf[at] = UNSEEN;
    },
    update(buf, at, obs, side) {
      const value = obs.fields[field];
      if (value === undefined) return;
      if (typeof value === 'number') {
        buf[at] = NUMBER;
        buf[at + 1] = value;
      } else if (typeof value === 'boolean') buf[at] = value ? TRUE : FALSE;
      else {
        buf[at] = STRING;
        (side.strings ??= new Map()).set(self, value);
      }
    },
    holds(buf, at, firing, _now, side) {
      const kind = buf[at];
      if (kind === UNSEEN) return false;
      if (kind === NUMBER) {
        const value = buf[at + 1]!;
        if (firing && hasClear) return upward ? value > clear : value < clear;
        return compare(value, op, threshold);
      }
      return compare(read(buf, at, side, self)!, op, threshold);
    },
    value: (buf, at, _now, side) => read(buf, at, side, self) ?? null,
    known: (buf, at) => buf[at] !== UNSEEN,
  };
  return self;
}

function read(buf: Float64Array, at: number, side: Side, key: object): FieldValue | undefined {
  switch (buf[at]) {
    case NUMBER:
      return buf[at + 1];
    case TRUE:
      return true;
    case FALSE:
      return false;
    case STRING:
      return side.strings?.get(key) ?? '';
    default:
      return undefined;
  }
}

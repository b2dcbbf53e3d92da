import type { RateCondition } from '../../../contract/index.js';
import { compare } from './compare.js';
import type { CompiledCondition } from './types.js';

/** Samples kept per (rule, entity); spaced at least per/STEPS apart, so a full window fits. */
const CAPACITY = 40;
const STEPS = 32;

interface RateState {
  times: Float64Array;
  values: Float64Array;
  /** Ring index of the oldest kept sample. */
  head: number;
  count: number;
  /** Change per `per` ms; NaN until the samples span half a window. */
  rate: number;
}

/**
 * Rate of change of `field` per `per` ms, compared with `op value`. The window slides over the
 * samples: its anchor is the newest sample at least `per` old (or the oldest kept), and the rate is
 * the slope from the anchor to the latest sample, scaled to `per`. It stays unknown (not holding)
 * until the samples span at least half of `per`, so two close noisy samples cannot fire it.
 */
export function compileRate(condition: RateCondition): CompiledCondition<RateState> {
  const { field, per } = condition.rate;
  const { op, value: threshold } = condition;
  const minStep = per / STEPS;
  const minSpan = per / 2;
  return {
    reads: { fields: [field], position: false, any: false, timed: false },
    init: () => ({
      times: new Float64Array(CAPACITY),
      values: new Float64Array(CAPACITY),
      head: 0,
      count: 0,
      rate: Number.NaN,
    }),
    update(state, obs) {
      const value = obs.fields[field];
      if (typeof value !== 'number') return;
      const ts = obs.ts;
      const { times, values } = state;
      const tail = (state.head + state.count - 1) % CAPACITY;
      const previous = (tail + CAPACITY - 1) % CAPACITY;
      if (state.count > 1 && ts - times[previous]! < minStep) {
        // The last slot tracks the newest reading until it is a step away from the one before.
        times[tail] = ts;
        values[tail] = value;
      } else push(state, ts, value);
      while (state.count > 2 && times[(state.head + 1) % CAPACITY]! <= ts - per) {
        state.head = (state.head + 1) % CAPACITY;
        state.count--;
      }
      const span = ts - times[state.head]!;
      state.rate = span >= minSpan && span > 0 ? ((value - values[state.head]!) / span) * per : Number.NaN;
    },
    holds: (state) => !Number.isNaN(state.rate) && compare(state.rate, op, threshold),
    value: (state) => (Number.isNaN(state.rate) ? null : state.rate),
    known: (state) => !Number.isNaN(state.rate),
  };
}

function push(state: RateState, ts: number, value: number): void {
  if (state.count === CAPACITY) {
    state.head = (state.head + 1) % CAPACITY;
    state.count--;
  }
  const at = (state.head + state.count) % CAPACITY;
  state.times[at] = ts;
  state.values[at] = value;
  state.count++;
}

import type { RateCondition } from '../../../contract/index.js';
import { compare } from './compare.js';
import type { CompiledCondition } from './types.js';

/** Samples kept per (rule, entity); spaced at least per/STEPS apart, so a full window fits. */
const CAPACITY = 24;
const STEPS = 16;
// State: [head, count, rate, times × CAPACITY, values × CAPACITY]; a ring of samples, oldest at head.
const HEAD = 0;
const COUNT = 1;
const RATE = 2;
const TIMES = 3;
const VALUES = TIMES + CAPACITY;

/**
 * Rate of change of `field` per `per` ms, compared with `op value`. The window slides over the
 * samples: its anchor is the newest sample at least `per` old (or the oldest kept), and the rate is
 * the slope from the anchor to the latest sample, scaled to `per`. It stays unknown (not holding)
 * until the samples span at least half of `per`, so two close noisy samples cannot fire it.
 */
export function compileRate(condition: RateCondition): CompiledCondition {
  const { field, per } = condition.rate;
  const { op, value: threshold } = condition;
  const minStep = per / STEPS;
  const minSpan = per / 2;
  return {
    reads: { fields: [field], position: false, any: false, timed: false },
    width: VALUES + CAPACITY,
    init(buf, at) {
      buf[at + HEAD] = 0;
      buf[at + COUNT] = 0;
      buf[at + RATE] = Number.NaN;
    },
    update(buf, at, obs) {
      const value = obs.fields[field];
      if (typeof value !== 'number') return;
      const ts = obs.ts;
      let head = buf[at + HEAD]!;
      let count = buf[at + COUNT]!;
      const tail = (head + count - 1) % CAPACITY;
      const previous = (tail + CAPACITY - 1) % CAPACITY;
      if (count > 1 && ts - buf[at + TIMES + previous]! < minStep) {
        // The last slot tracks the newest reading until it is a step away from the one before.
        buf[at + TIMES + tail] = ts;
        buf[at + VALUES + tail] = value;
      } else {
        if (count === CAPACITY) {
          head = (head + 1) % CAPACITY;
          count--;
        }
        const slot = (head + count) % CAPACITY;
        buf[at + TIMES + slot] = ts;
        buf[at + VALUES + slot] = value;
        count++;
      }
      while (count > 2 && buf[at + TIMES + ((head + 1) % CAPACITY)]! <= ts - per) {
        head = (head + 1) % CAPACITY;
        count--;
      }
      buf[at + HEAD] = head;
      buf[at + COUNT] = count;
      const span = ts - buf[at + TIMES + head]!;
      buf[at + RATE] = span >= minSpan && span > 0 ? ((value - buf[at + VALUES + head]!) / span) * per : Number.NaN;
    },
    holds(buf, at) {
      const rate = buf[at + RATE]!;
      return !Number.isNaN(rate) && compare(rate, op, threshold);
    },
    value(buf, at) {
      const rate = buf[at + RATE]!;
      return Number.isNaN(rate) ? null : rate;
    },
    known: (buf, at) => !Number.isNaN(buf[at + RATE]!),
  };
}

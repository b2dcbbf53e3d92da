import type { Observation } from '../../../contract/index.js';

/** The value an alert shows for its condition (a field value, a rate, a silence in ms, a zone side). */
export type ConditionValue = number | boolean | string | null;

/** What a condition reads from an observation: the engine indexes rules by it. */
export interface Reads {
  /** Observation fields; an observation carrying none of them (and no other trigger) skips the rule. */
  fields: string[];
  /** Reacts to observations carrying lat/lon. */
  position: boolean;
  /** Reacts to every observation of the domain (absence). */
  any: boolean;
  /** May change with time alone, so the engine re-evaluates it on `tick`. */
  timed: boolean;
}

/** Per-entity storage besides the numbers: string values of thresholds, by condition. */
export interface Side {
  strings: Map<object, string> | undefined;
}

/**
 * A compiled condition. Its per-(rule, entity) state is `width` doubles at offset `at` of the
 * entity's state buffer: all of an entity's rule states sit in one typed array, so evaluating the
 * rules for one observation walks one contiguous block and allocates nothing. `update` only ever
 * sees observations in timestamp order (the engine drops older ones).
 */
export interface CompiledCondition {
  readonly reads: Reads;
  readonly width: number;
  init(buf: Float64Array, at: number): void;
  update(buf: Float64Array, at: number, obs: Observation, side: Side): void;
  /** Whether the condition holds at `now`; `firing` switches a threshold to its `clear` bound (hysteresis). */
  holds(buf: Float64Array, at: number, firing: boolean, now: number, side: Side): boolean;
  value(buf: Float64Array, at: number, now: number, side: Side): ConditionValue;
  /** Whether it has seen enough data to judge (a restored firing alert waits for this before clearing). */
  known(buf: Float64Array, at: number): boolean;
}

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

/**
 * A compiled condition. State is per (rule, entity) and created by `init`; `update` only ever sees
 * observations in timestamp order (the engine drops older ones).
 */
export interface CompiledCondition<S = unknown> {
  readonly reads: Reads;
  init(): S;
  update(state: S, obs: Observation): void;
  /** Whether the condition holds at `now`; `firing` switches a threshold to its `clear` bound (hysteresis). */
  holds(state: S, firing: boolean, now: number): boolean;
  value(state: S, now: number): ConditionValue;
  /** Whether it has seen enough data to judge (a restored firing alert waits for this before clearing). */
  known(state: S): boolean;
}

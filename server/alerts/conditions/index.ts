import type { Condition } from '../../../contract/index.js';
import { compileAbsent } from './absent.js';
import { compileComposite } from './composite.js';
import { compileRate } from './rate.js';
import { compileThreshold } from './threshold.js';
import type { CompiledCondition } from './types.js';
import { compileZone } from './zone.js';

export type { CompiledCondition, ConditionValue, Reads, Side } from './types.js';

/** Compiles a rule condition (Alert rules v1) into its evaluator, dispatching on the condition's kind. */
export function compileCondition(condition: Condition): CompiledCondition {
  if ('all' in condition) return compileComposite('all', condition.all.map(compileCondition));
  if ('any' in condition) return compileComposite('any', condition.any.map(compileCondition));
  if ('absent' in condition) return compileAbsent(condition);
  if ('zone' in condition) return compileZone(condition);
  if ('rate' in condition) return compileRate(condition);
  return compileThreshold(condition);
}

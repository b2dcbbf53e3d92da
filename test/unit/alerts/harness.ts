import type { Observation, Rule, RuleInput } from '../../../contract/index.js';
import { createAlertEngine, type Transition } from '../../../server/alerts/engine.js';
import { parseRule } from '../../../server/alerts/rules.js';

/** A Rule from a rule input, as the registry would store it. */
export function rule(input: Omit<RuleInput, 'id' | 'name' | 'severity'> & Partial<RuleInput>): Rule {
  return parseRule({ name: 'test rule', severity: 'warning', id: 'r1', ...input }, () => 'r1');
}

/** One observation; `fields` are the only required part. */
export function obs(
  id: string,
  ts: number,
  fields: Observation['fields'],
  extra: Partial<Observation> = {},
): Observation {
  return { domain: 'sensor', id, ts, fields, ...extra };
}

/** An engine with the given rules that records its transitions as compact strings and objects. */
export function engineWith(...rules: Rule[]) {
  const transitions: Transition[] = [];
  const engine = createAlertEngine({ clock: () => 0, onTransition: (t) => transitions.push(t) });
  engine.setRules(rules);
  const log = () => transitions.map((t) => `${t.kind} ${t.rule.id}/${t.entityId}@${t.ts}`);
  return { engine, transitions, log };
}

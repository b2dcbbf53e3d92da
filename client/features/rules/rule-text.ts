import { RuleInputSchema, type Condition, type Rule, type RuleInput } from '../../../contract/rule.js';

/** The result of checking the editor's text: the rule to send, or where and why it is wrong. */
export type RuleCheck =
  | { ok: true; rule: RuleInput }
  | { ok: false; kind: 'json'; message: string }
  | { ok: false; kind: 'schema'; path: string; message: string };

/** Parses and validates the editor text with the contract's RuleInputSchema, naming the first bad key. */
export function checkRuleText(text: string): RuleCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, kind: 'json', message: (err as Error).message };
  }
  const parsed = RuleInputSchema.safeParse(value);
  if (parsed.success) return { ok: true, rule: value as RuleInput };
  const issue = parsed.error.issues[0];
  const keys = issue && 'keys' in issue && Array.isArray(issue.keys) ? issue.keys : [];
  // An unknown key is reported on its parent object: name the key itself.
  const path = [...(issue?.path ?? []), ...keys.slice(0, 1)].map(String).join('.');
  return { ok: false, kind: 'schema', path: path === '' ? '(rule)' : path, message: issue?.message ?? 'invalid' };
}

const UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** Milliseconds back to the shortest exact duration text ("5m", "90s", "250ms") for editing. */
export function durationText(ms: number): string {
  for (const [unit, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function conditionText(condition: Condition): unknown {
  if ('all' in condition) return { all: condition.all.map(conditionText) };
  if ('any' in condition) return { any: condition.any.map(conditionText) };
  if ('absent' in condition) return { absent: durationText(condition.absent) };
  if ('rate' in condition) return { ...condition, rate: { ...condition.rate, per: durationText(condition.rate.per) } };
  return condition;
}

/** A stored rule (durations in ms) as an operator writes it, pretty-printed for the editor. */
export function ruleToText(rule: Rule): string {
  const { for: holdFor, escalateAfter, condition, ...rest } = rule;
  const input: Record<string, unknown> = { ...rest, condition: conditionText(condition) };
  if (holdFor !== undefined) input.for = durationText(holdFor);
  if (escalateAfter !== undefined) input.escalateAfter = durationText(escalateAfter);
  return JSON.stringify(input, null, 2);
}

/** The starting text of a new rule: a threshold rule to adapt. */
export const NEW_RULE_TEXT = JSON.stringify(
  {
    name: 'PM2.5 high',
    domain: 'sensor',
    condition: { field: 'pm25', op: '>', value: 100, clear: 80 },
    for: '5m',
    severity: 'warning',
    enabled: false,
  },
  null,
  2,
);

import { randomBytes } from 'node:crypto';
import { RuleInputSchema, type Condition, type Rule } from '../../contract/index.js';
import { badRequest, fromZodError, type IssueBody } from './errors.js';

/**
 * Validates a rule as written by an operator or the config file and returns it with durations in
 * ms and `enabled` set. Beyond the schema it checks what the schema cannot: ordering operators take
 * numbers, `clear` lies on the resolving side of the threshold, durations are positive. 400 names
 * the bad key (`condition.all.1.clear`). The id is the input's, else `makeId()`.
 */
export function parseRule(input: unknown, makeId: (name: string) => string): Rule {
  const parsed = RuleInputSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error, 'rule');
  const issues = checkCondition(parsed.data.condition, 'condition');
  if (parsed.data.escalateAfter !== undefined && parsed.data.escalateAfter <= 0) {
    issues.push({ path: 'escalateAfter', message: 'must be longer than 0' });
  }
  const first = issues[0];
  if (first) throw badRequest(`invalid rule at "${first.path}": ${first.message}`, issues);
  const { id, enabled, ...rest } = parsed.data;
  return { ...rest, id: id ?? makeId(rest.name), enabled: enabled ?? true };
}

/** An id for a rule posted without one: slug of its name plus a short random suffix. */
export function generatedRuleId(name: string): string {
  return `${slug(name)}-${randomBytes(3).toString('hex')}`;
}

/** `PM2.5 high!` → `pm2.5-high`; `rule` when nothing usable is left. */
export function slug(name: string): string {
  const text = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 48)
    .replace(/[-.]+$/g, '');
  return text.length > 0 ? text : 'rule';
}

function checkCondition(condition: Condition, path: string): IssueBody[] {
  if ('all' in condition) return condition.all.flatMap((child, i) => checkCondition(child, `${path}.all.${i}`));
  if ('any' in condition) return condition.any.flatMap((child, i) => checkCondition(child, `${path}.any.${i}`));
  if ('absent' in condition) {
    return condition.absent > 0 ? [] : [{ path: `${path}.absent`, message: 'must be longer than 0' }];
  }
  if ('zone' in condition) return [];
  if ('rate' in condition) {
    return condition.rate.per > 0 ? [] : [{ path: `${path}.rate.per`, message: 'must be longer than 0' }];
  }
  const { op, value, clear } = condition;
  const ordering = op !== '==' && op !== '!=';
  if (ordering && typeof value !== 'number') {
    return [{ path: `${path}.value`, message: `"${op}" compares numbers: value must be a number` }];
  }
  if (clear === undefined) return [];
  if (!ordering || typeof value !== 'number') {
    return [{ path: `${path}.clear`, message: 'clear applies only to >, >=, < and <= thresholds' }];
  }
  const upward = op === '>' || op === '>=';
  if (upward ? clear > value : clear < value) {
    return [
      {
        path: `${path}.clear`,
        message: `with "${op}" clear must be ${upward ? 'at or below' : 'at or above'} value ${value}`,
      },
    ];
  }
  return [];
}

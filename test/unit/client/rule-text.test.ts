import { describe, expect, it } from 'vitest';
import type { Rule } from '../../../contract/rule.js';
import { checkRuleText, durationText, NEW_RULE_TEXT, ruleToText } from '../../../client/features/rules/rule-text.js';

describe('rule editor validation', () => {
  it('accepts the starting rule', () => {
    expect(checkRuleText(NEW_RULE_TEXT).ok).toBe(true);
  });

  it('reports broken JSON', () => {
    const check = checkRuleText('{"name": ');
    expect(check.ok).toBe(false);
    expect(!check.ok && check.kind).toBe('json');
  });

  it('names the bad key of a schema failure', () => {
    const bad = (rule: object) => {
      const check = checkRuleText(JSON.stringify(rule));
      return check.ok ? null : check.kind === 'schema' ? check.path : 'json';
    };
    const base = { name: 'x', domain: 'sensor', condition: { field: 'pm25', op: '>', value: 1 }, severity: 'info' };
    expect(bad({ ...base, severity: 'urgent' })).toBe('severity');
    expect(bad({ ...base, for: 'soon' })).toBe('for');
    expect(bad({ ...base, colour: 'red' })).toBe('colour');
    const { name: _name, ...nameless } = base;
    expect(bad(nameless)).toBe('name');
    expect(bad({ ...base, match: { ids: ['bad id!'] } })).toBe('match.ids.0');
  });
});

describe('rule text for editing', () => {
  it('writes durations back the way people write them', () => {
    expect(durationText(300_000)).toBe('5m');
    expect(durationText(90_000)).toBe('90s');
    expect(durationText(3_600_000)).toBe('1h');
    expect(durationText(250)).toBe('250ms');
  });

  it('turns a stored rule into valid editor text', () => {
    const rule: Rule = {
      id: 'lvl',
      name: 'Level',
      domain: 'sensor',
      condition: { any: [{ rate: { field: 'level', per: 600_000 }, op: '>', value: 0.5 }, { absent: 300_000 }] },
      for: 120_000,
      escalateAfter: 900_000,
      severity: 'warning',
      enabled: true,
    };
    const text = ruleToText(rule);
    expect(JSON.parse(text)).toMatchObject({
      id: 'lvl',
      for: '2m',
      escalateAfter: '15m',
      condition: { any: [{ rate: { per: '10m' } }, { absent: '5m' }] },
    });
    expect(checkRuleText(text).ok).toBe(true);
  });
});

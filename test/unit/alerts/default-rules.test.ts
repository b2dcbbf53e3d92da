import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../server/alerts/default-rules.js';
import { parseRule } from '../../../server/alerts/rules.js';
import { serviceWith, T0 } from './service-harness.js';

const MIN = 60_000;

describe('default rules', () => {
  it('are valid, with unique ids, covering the four built-in domains', () => {
    const rules = DEFAULT_RULES.map((input) => parseRule(input, () => 'unused'));
    expect(new Set(rules.map((rule) => rule.id)).size).toBe(rules.length);
    expect(new Set(rules.map((rule) => rule.domain))).toEqual(new Set(['sensor', 'traffic', 'health', 'queue']));
  });

  it('fire on the demo city incidents they are meant for', async () => {
    const { service, emitted, clock } = await serviceWith([...DEFAULT_RULES]);
    const at = (m: number) => T0 + m * MIN;
    for (let m = 0; m <= 6; m++) {
      service.observe([
        { domain: 'sensor', id: 'aq-01', ts: at(m), fields: { pm25: 210 } },
        { domain: 'sensor', id: 'wl-01', ts: at(m), fields: { level: 2 + 0.08 * m } },
        { domain: 'traffic', id: 'jn-01', ts: at(m), fields: { flow: 1, speed: 3 } },
        { domain: 'health', id: 'hp-01', ts: at(m), fields: { erWait: 75 } },
        { domain: 'queue', id: 'sc-01', ts: at(m), fields: { avgWait: 50 } },
      ]);
    }
    service.observe([{ domain: 'sensor', id: 'ns-01', ts: at(0), fields: { noise: 50 } }]);
    clock.set(at(6));
    service.tick();
    expect(emitted.map((a) => `${a.ruleId}/${a.entityId}`).sort()).toEqual([
      'er-wait-long/hp-01',
      'junction-flow-collapse/jn-01',
      'pm25-very-unhealthy/aq-01',
      'sensor-silent/ns-01',
      'service-queue-wait-long/sc-01',
      'water-level-rising-fast/wl-01',
    ]);
    expect(emitted.find((a) => a.ruleId === 'pm25-very-unhealthy')).toMatchObject({
      severity: 'critical',
      startedAt: at(5),
    });
  });
});

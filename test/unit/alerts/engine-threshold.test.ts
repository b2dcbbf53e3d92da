import { describe, expect, it } from 'vitest';
import { engineWith, obs, rule } from './harness.js';

describe('threshold condition', () => {
  it('does not fire exactly at the threshold for ">" and fires just above it', () => {
    const { engine, log } = engineWith(rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } }));
    engine.observe([obs('S1', 1, { pm25: 100 })]);
    expect(log()).toEqual([]);
    engine.observe([obs('S1', 2, { pm25: 100.1 })]);
    expect(log()).toEqual(['fire r1/S1@2']);
  });

  it('fires exactly at the threshold for ">=" and "<="', () => {
    const { engine, log } = engineWith(
      rule({ id: 'ge', domain: 'sensor', condition: { field: 'pm25', op: '>=', value: 100 } }),
      rule({ id: 'le', domain: 'sensor', condition: { field: 'pm25', op: '<=', value: 100 } }),
    );
    engine.observe([obs('S1', 1, { pm25: 100 })]);
    expect(log().sort()).toEqual(['fire ge/S1@1', 'fire le/S1@1']);
  });

  it('without clear, resolves as soon as the comparison is false', () => {
    const { engine, log } = engineWith(rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } }));
    engine.observe([obs('S1', 1, { pm25: 150 }), obs('S1', 2, { pm25: 100 })]);
    expect(log()).toEqual(['fire r1/S1@1', 'clear r1/S1@2']);
  });

  it('stays firing inside the hysteresis band and resolves at clear (inclusive)', () => {
    const { engine, log } = engineWith(
      rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100, clear: 80 } }),
    );
    engine.observe([obs('S1', 1, { pm25: 101 })]);
    engine.observe([obs('S1', 2, { pm25: 90 }), obs('S1', 3, { pm25: 80.01 }), obs('S1', 4, { pm25: 100 })]);
    expect(log()).toEqual(['fire r1/S1@1']);
    engine.observe([obs('S1', 5, { pm25: 80 })]);
    expect(log()).toEqual(['fire r1/S1@1', 'clear r1/S1@5']);
  });

  it('does not fire from inside the band when it was not firing', () => {
    const { engine, log } = engineWith(
      rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100, clear: 80 } }),
    );
    engine.observe([obs('S1', 1, { pm25: 90 }), obs('S1', 2, { pm25: 100 })]);
    expect(log()).toEqual([]);
  });

  it('applies hysteresis downwards for "<"', () => {
    const { engine, log } = engineWith(
      rule({ domain: 'sensor', condition: { field: 'level', op: '<', value: 10, clear: 20 } }),
    );
    engine.observe([obs('S1', 1, { level: 9 }), obs('S1', 2, { level: 19.9 }), obs('S1', 3, { level: 20 })]);
    expect(log()).toEqual(['fire r1/S1@1', 'clear r1/S1@3']);
  });

  it('ignores an observation older than the last one for that entity', () => {
    const { engine, log } = engineWith(rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } }));
    engine.observe([obs('S1', 10, { pm25: 150 })]);
    engine.observe([obs('S1', 5, { pm25: 10 })]);
    expect(log()).toEqual(['fire r1/S1@10']);
    expect(engine.stats().outOfOrder).toBe(1);
    // The late reading did not change the kept value: the next one decides.
    engine.observe([obs('S1', 11, { pm25: 50 })]);
    expect(log()).toEqual(['fire r1/S1@10', 'clear r1/S1@11']);
  });

  it('applies an observation with the same timestamp', () => {
    const { engine, log } = engineWith(rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } }));
    engine.observe([obs('S1', 10, { pm25: 150 }), obs('S1', 10, { pm25: 50 })]);
    expect(log()).toEqual(['fire r1/S1@10', 'clear r1/S1@10']);
  });

  it('keeps state per entity and compares strings with == and !=', () => {
    const { engine, log } = engineWith(
      rule({ domain: 'health', condition: { field: 'status', op: '==', value: 'down' } }),
    );
    engine.observe([
      obs('A', 1, { status: 'down' }, { domain: 'health' }),
      obs('B', 1, { status: 'up' }, { domain: 'health' }),
      obs('B', 2, { status: 'down' }, { domain: 'health' }),
    ]);
    expect(log()).toEqual(['fire r1/A@1', 'fire r1/B@2']);
  });

  it('matches by domain, ids and tags (tags remembered from an earlier observation)', () => {
    const { engine, log } = engineWith(
      rule({
        domain: 'sensor',
        match: { ids: ['S1', 'S2'], tags: { district: 'north' } },
        condition: { field: 'pm25', op: '>', value: 100 },
      }),
    );
    engine.observe([
      obs('S1', 1, { pm25: 150 }, { domain: 'traffic' }),
      obs('S3', 1, { pm25: 150 }, { tags: { district: 'north' } }),
      obs('S2', 1, { pm25: 150 }, { tags: { district: 'south' } }),
      obs('S1', 1, { pm25: 50 }, { tags: { district: 'north' } }),
      obs('S1', 2, { pm25: 150 }),
    ]);
    expect(log()).toEqual(['fire r1/S1@2']);
  });

  it('skips a rule when the observation carries none of its fields', () => {
    const { engine } = engineWith(rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } }));
    engine.observe([obs('S1', 1, { noise: 70 }), obs('S1', 2, { level: 3 })]);
    expect(engine.stats()).toMatchObject({ observations: 2, evaluations: 0, states: 0 });
  });

  it('ignores disabled rules', () => {
    const { engine, log } = engineWith(
      rule({ domain: 'sensor', enabled: false, condition: { field: 'pm25', op: '>', value: 1 } }),
    );
    engine.observe([obs('S1', 1, { pm25: 150 })]);
    expect(log()).toEqual([]);
  });
});

describe('for duration', () => {
  const slow = () => rule({ domain: 'sensor', for: '5m', condition: { field: 'pm25', op: '>', value: 100 } });

  it('fires only after the condition held for the whole duration, on observation timestamps', () => {
    const { engine, log } = engineWith(slow());
    engine.observe([obs('S1', 0, { pm25: 150 }), obs('S1', 299_999, { pm25: 150 })]);
    expect(log()).toEqual([]);
    engine.observe([obs('S1', 300_000, { pm25: 150 })]);
    expect(log()).toEqual(['fire r1/S1@300000']);
  });

  it('restarts the duration when the condition breaks', () => {
    const { engine, log } = engineWith(slow());
    engine.observe([obs('S1', 0, { pm25: 150 }), obs('S1', 200_000, { pm25: 50 }), obs('S1', 250_000, { pm25: 150 })]);
    engine.observe([obs('S1', 500_000, { pm25: 150 })]);
    expect(log()).toEqual([]);
    engine.observe([obs('S1', 550_000, { pm25: 150 })]);
    expect(log()).toEqual(['fire r1/S1@550000']);
  });

  it('completes on a timer tick without a new observation', () => {
    const { engine, log } = engineWith(slow());
    engine.observe([obs('S1', 1_000, { pm25: 150 })]);
    engine.tick(300_999);
    expect(log()).toEqual([]);
    engine.tick(301_000);
    expect(log()).toEqual(['fire r1/S1@301000']);
    engine.tick(400_000);
    expect(log()).toHaveLength(1);
  });

  it('does not fire on a tick once the condition stopped holding', () => {
    const { engine, log } = engineWith(slow());
    engine.observe([obs('S1', 0, { pm25: 150 }), obs('S1', 10_000, { pm25: 10 })]);
    engine.tick(1_000_000);
    expect(log()).toEqual([]);
  });
});

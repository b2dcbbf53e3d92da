import { describe, expect, it } from 'vitest';
import type { GeoArea } from '../../../contract/index.js';
import { engineWith, obs, rule } from './harness.js';

const MIN = 60_000;

describe('rate of change', () => {
  const rising = () =>
    rule({ domain: 'sensor', condition: { rate: { field: 'level', per: '10m' }, op: '>', value: 0.5 } });

  it('fires when the change per window exceeds the value and clears when it slows', () => {
    const { engine, log, transitions } = engineWith(rising());
    // 0.06 m/min = 0.6 per 10 min.
    for (let m = 0; m <= 10; m++) engine.observe([obs('G1', m * MIN, { level: 1 + 0.06 * m })]);
    expect(log()).toEqual(['fire r1/G1@300000']);
    expect(transitions[0]!.value).toBeCloseTo(0.6, 6);
    // Flat from 10 min on: at 12 min the window (2..12 min) shows 1.12 → 1.6, i.e. 0.48 per 10 min.
    for (let m = 11; m <= 30; m++) engine.observe([obs('G1', m * MIN, { level: 1.6 })]);
    expect(log()).toEqual(['fire r1/G1@300000', 'clear r1/G1@720000']);
  });

  it('is unknown until the samples span half a window (two close noisy samples do not fire)', () => {
    const { engine, log } = engineWith(rising());
    engine.observe([obs('G1', 0, { level: 1 }), obs('G1', 1_000, { level: 1.2 })]);
    expect(log()).toEqual([]);
  });

  it('at exactly the value ">" is false', () => {
    const { engine, log } = engineWith(rising());
    engine.observe([obs('G1', 0, { level: 1 }), obs('G1', 10 * MIN, { level: 1.5 })]);
    expect(log()).toEqual([]);
    engine.observe([obs('G1', 11 * MIN, { level: 1.56 })]);
    expect(log()).toEqual(['fire r1/G1@660000']);
  });

  it('slides: an old rise leaves the window', () => {
    const { engine, log } = engineWith(rising());
    engine.observe([obs('G1', 0, { level: 1 }), obs('G1', 5 * MIN, { level: 2 })]);
    expect(log()).toEqual(['fire r1/G1@300000']);
    for (let s = 301; s <= 1_800; s += 1) engine.observe([obs('G1', s * 1000, { level: 2 })]);
    expect(log()).toEqual(['fire r1/G1@300000', 'clear r1/G1@900000']);
  });

  it('ignores out-of-order samples and non-numeric values', () => {
    const { engine, log } = engineWith(rising());
    engine.observe([obs('G1', 0, { level: 1 }), obs('G1', 6 * MIN, { level: 1.1 })]);
    engine.observe([obs('G1', 3 * MIN, { level: 5 }), obs('G1', 7 * MIN, { level: 'n/a' })]);
    expect(log()).toEqual([]);
  });
});

describe('absent', () => {
  const silent = () => rule({ domain: 'sensor', condition: { absent: '5m' } });

  it('fires on a tick once an entity has been silent that long, and clears when it reports', () => {
    const { engine, log, transitions } = engineWith(silent());
    engine.observe([obs('S1', 0, { pm25: 10 }), obs('S2', 2 * MIN, { pm25: 10 })]);
    engine.tick(5 * MIN - 1);
    expect(log()).toEqual([]);
    engine.tick(5 * MIN);
    expect(log()).toEqual(['fire r1/S1@300000']);
    expect(transitions[0]!.value).toBe(5 * MIN);
    engine.tick(6 * MIN);
    expect(log()).toEqual(['fire r1/S1@300000']);
    engine.observe([obs('S1', 6 * MIN, { noise: 50 })]);
    expect(log()).toEqual(['fire r1/S1@300000', 'clear r1/S1@360000']);
  });

  it('does not know an entity that never reported, unless seeded', () => {
    const { engine, log } = engineWith(silent());
    engine.tick(60 * MIN);
    expect(log()).toEqual([]);
    engine.seed([{ domain: 'sensor', id: 'S9', ts: 0 }]);
    engine.tick(60 * MIN);
    expect(log()).toEqual(['fire r1/S9@3600000']);
  });

  it('is not reset by an out-of-order observation', () => {
    const { engine, log } = engineWith(silent());
    engine.observe([obs('S1', 10 * MIN, { pm25: 1 })]);
    engine.tick(16 * MIN);
    engine.observe([obs('S1', 9 * MIN, { pm25: 1 })]);
    expect(log()).toEqual(['fire r1/S1@960000']);
  });
});

const square = (w: number, s: number, e: number, n: number): [number, number][] => [
  [w, s],
  [e, s],
  [e, n],
  [w, n],
  [w, s],
];
const ZONE: GeoArea = { type: 'Polygon', coordinates: [square(106.18, 21.26, 106.2, 21.28)] };
const at = (id: string, ts: number, lon: number, lat: number) => obs(id, ts, {}, { domain: 'traffic', lat, lon });

describe('geofence', () => {
  it('"inside" holds while inside (boundary included) and clears when the entity leaves', () => {
    const { engine, log } = engineWith(rule({ domain: 'traffic', condition: { zone: ZONE, on: 'inside' } }));
    engine.observe([at('B1', 1, 106.19, 21.27), at('B2', 1, 106.2, 21.27), at('B3', 1, 106.3, 21.27)]);
    expect(log()).toEqual(['fire r1/B1@1', 'fire r1/B2@1']);
    engine.observe([at('B1', 2, 106.21, 21.27)]);
    expect(log()).toContain('clear r1/B1@2');
  });

  it('"enter" needs the entity seen outside first; "exit" needs it seen inside first', () => {
    const { engine, log } = engineWith(
      rule({ id: 'enter', domain: 'traffic', condition: { zone: ZONE, on: 'enter' } }),
      rule({ id: 'exit', domain: 'traffic', condition: { zone: ZONE, on: 'exit' } }),
    );
    engine.observe([at('B1', 1, 106.19, 21.27), at('B2', 1, 106.3, 21.27)]);
    expect(log()).toEqual([]);
    engine.observe([at('B1', 2, 106.3, 21.27), at('B2', 2, 106.19, 21.27)]);
    expect(log().sort()).toEqual(['fire enter/B2@2', 'fire exit/B1@2']);
    engine.observe([at('B1', 3, 106.19, 21.27)]);
    expect(log()).toContain('clear exit/B1@3');
    expect(log()).toContain('fire enter/B1@3');
  });

  it('handles MultiPolygon with holes and skips observations without a position', () => {
    const multi: GeoArea = {
      type: 'MultiPolygon',
      coordinates: [[square(0, 0, 10, 10), square(4, 4, 6, 6)], [square(20, 20, 30, 30)]],
    };
    const { engine, log } = engineWith(rule({ domain: 'traffic', condition: { zone: multi, on: 'inside' } }));
    engine.observe([at('A', 1, 5, 5), at('B', 1, 2, 2), at('C', 1, 25, 25), at('D', 1, 15, 15)]);
    engine.observe([obs('B', 2, { speed: 3 }, { domain: 'traffic' })]);
    expect(log()).toEqual(['fire r1/B@1', 'fire r1/C@1']);
    expect(engine.stats().evaluations).toBe(4);
  });
});

describe('composites', () => {
  it('all[] combines the latest value of each field, even from separate observations', () => {
    const collapse = rule({
      domain: 'traffic',
      condition: {
        all: [
          { field: 'flow', op: '<', value: 2 },
          { field: 'speed', op: '<', value: 5 },
        ],
      },
    });
    const { engine, log } = engineWith(collapse);
    const j = (ts: number, fields: Record<string, number>) => obs('J1', ts, fields, { domain: 'traffic' });
    engine.observe([j(1, { flow: 1 })]);
    expect(log()).toEqual([]);
    engine.observe([j(2, { speed: 4 })]);
    expect(log()).toEqual(['fire r1/J1@2']);
    engine.observe([j(3, { flow: 2 })]);
    expect(log()).toEqual(['fire r1/J1@2', 'clear r1/J1@3']);
  });

  it('any[] with a timed child is re-evaluated on ticks', () => {
    const { engine, log } = engineWith(
      rule({ domain: 'sensor', condition: { any: [{ absent: '1m' }, { field: 'pm25', op: '>', value: 100 }] } }),
    );
    engine.observe([obs('S1', 0, { pm25: 150 })]);
    expect(log()).toEqual(['fire r1/S1@0']);
    engine.observe([obs('S1', 1_000, { pm25: 10 })]);
    engine.tick(61_000);
    expect(log()).toEqual(['fire r1/S1@0', 'clear r1/S1@1000', 'fire r1/S1@61000']);
  });
});

describe('restored firing state', () => {
  it('does not clear until the condition can be judged, then clears if it no longer holds', () => {
    const collapse = rule({
      domain: 'traffic',
      condition: {
        all: [
          { field: 'flow', op: '<', value: 2 },
          { field: 'speed', op: '<', value: 5 },
        ],
      },
    });
    const { engine, log } = engineWith(collapse);
    engine.restoreFiring('r1', 'J1', 0);
    engine.observe([obs('J1', 1, { flow: 9 }, { domain: 'traffic' })]);
    expect(log()).toEqual([]);
    engine.observe([obs('J1', 2, { speed: 30 }, { domain: 'traffic' })]);
    expect(log()).toEqual(['clear r1/J1@2']);
  });

  it("keeps an unchanged rule's state across setRules", () => {
    const r = rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } });
    const { engine, log } = engineWith(r);
    engine.observe([obs('S1', 1, { pm25: 150 })]);
    engine.setRules([{ ...r }]);
    engine.observe([obs('S1', 2, { pm25: 160 })]);
    expect(log()).toEqual(['fire r1/S1@1']);
  });
});

describe('rule set changes', () => {
  it('keeps the state of unchanged rules when rules are added to or removed from their domain', () => {
    const pm = rule({ id: 'pm', domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100, clear: 80 } });
    const status = rule({ id: 'st', domain: 'sensor', condition: { field: 'status', op: '==', value: 'fault' } });
    const { engine, log } = engineWith(pm, status);
    engine.observe([obs('S1', 1, { pm25: 150, status: 'fault' })]);
    expect(log().sort()).toEqual(['fire pm/S1@1', 'fire st/S1@1']);
    const noise = rule({ id: 'noise', domain: 'sensor', condition: { field: 'noise', op: '>', value: 70 } });
    const silent = rule({ id: 'silent', domain: 'sensor', condition: { absent: '1m' } });
    engine.setRules([noise, silent, status, pm]);
    // Still firing under hysteresis (90 is inside the band), and the string value survived the move.
    engine.observe([obs('S1', 2, { pm25: 90, noise: 80 })]);
    expect(log().slice(2)).toEqual(['fire noise/S1@2']);
    engine.setRules([pm]);
    engine.observe([obs('S1', 3, { pm25: 80 })]);
    expect(log().slice(3)).toEqual(['clear pm/S1@3']);
    engine.setRules([pm, status]);
    engine.observe([obs('S1', 4, { status: 'fault' })]);
    expect(log().slice(4)).toEqual(['fire st/S1@4']);
  });

  it('starts a changed rule afresh', () => {
    const pm = rule({ id: 'pm', domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } });
    const { engine, log } = engineWith(pm);
    engine.observe([obs('S1', 1, { pm25: 150 })]);
    engine.setRules([{ ...pm, severity: 'critical' }]);
    engine.observe([obs('S1', 2, { pm25: 150 })]);
    expect(log()).toEqual(['fire pm/S1@1', 'fire pm/S1@2']);
  });

  it('reports the position of the entity with a transition', () => {
    const { engine, transitions } = engineWith(
      rule({ domain: 'sensor', condition: { field: 'pm25', op: '>', value: 100 } }),
    );
    engine.observe([obs('S1', 1, { temp: 20 }, { lat: 21.27, lon: 106.19 }), obs('S1', 2, { pm25: 150 })]);
    expect(transitions[0]).toMatchObject({ lat: 21.27, lon: 106.19, domain: 'sensor', value: 150 });
  });
});

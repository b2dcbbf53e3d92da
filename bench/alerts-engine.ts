// Alert rule engine throughput: 200 mixed rules over the four built-in domains against observations
// arriving at 50 000/s (simulated time), in pipeline-sized batches with a timer tick per second.
// Baseline, measured in the same run: the same loop with an observer that only walks each batch and
// reads every field. Prints obs/s evaluated, the ratio to the baseline and the real-time headroom.
// Run: npx tsx bench/alerts-engine.ts [--quick]
import { pathToFileURL } from 'node:url';
import type { Condition, Observation, Rule, RuleInput } from '../contract/index.js';
import { createAlertEngine } from '../server/alerts/engine.js';
import { parseRule } from '../server/alerts/rules.js';

const TARGET_RATE = 50_000;
const BATCH = 500;
const CENTRE = { lat: 21.273, lon: 106.194 };

interface DomainSpec {
  domain: string;
  fields: string[];
  /** Typical value and spread per field; a few entities run hot so that rules fire. */
  ranges: Record<string, [number, number]>;
  positioned: boolean;
}

const DOMAINS: DomainSpec[] = [
  {
    domain: 'sensor',
    fields: ['pm25', 'pm10', 'noise', 'level', 'rain'],
    ranges: { pm25: [40, 30], pm10: [60, 30], noise: [55, 15], level: [2, 0.3], rain: [2, 4] },
    positioned: false,
  },
  {
    domain: 'traffic',
    fields: ['flow', 'speed', 'occupancy'],
    ranges: { flow: [20, 15], speed: [30, 20], occupancy: [40, 30] },
    positioned: true,
  },
  {
    domain: 'health',
    fields: ['bedsFree', 'erWait', 'speed'],
    ranges: { bedsFree: [30, 20], erWait: [30, 25], speed: [40, 30] },
    positioned: true,
  },
  {
    domain: 'queue',
    fields: ['waiting', 'avgWait', 'countersOpen'],
    ranges: { waiting: [20, 15], avgWait: [20, 15], countersOpen: [5, 3] },
    positioned: false,
  },
];

/** A small deterministic PRNG so every run sees the same workload. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function square(size: number, r: () => number) {
  const w = CENTRE.lon - 0.03 + r() * 0.05;
  const s = CENTRE.lat - 0.03 + r() * 0.05;
  const ring = [
    [w, s],
    [w + size, s],
    [w + size, s + size],
    [w, s + size],
    [w, s],
  ] as [number, number][];
  return { type: 'Polygon' as const, coordinates: [ring] };
}

/** 200 rules, 50 per domain: thresholds (some with clear/for), rates, composites, absence, geofences. */
export function makeRules(count = 200): Rule[] {
  const r = random(7);
  const rules: Rule[] = [];
  for (let i = 0; i < count; i++) {
    const spec = DOMAINS[i % DOMAINS.length]!;
    const field = spec.fields[Math.floor(i / DOMAINS.length) % spec.fields.length]!;
    const other = spec.fields[(Math.floor(i / DOMAINS.length) + 1) % spec.fields.length]!;
    const [mean, spread] = spec.ranges[field]!;
    const high = mean + spread * (1.5 + r());
    const kind = i % 10;
    let condition: Condition;
    if (kind < 5) condition = { field, op: '>', value: high, ...(kind % 2 === 0 ? { clear: mean + spread } : {}) };
    else if (kind < 7) condition = { rate: { field, per: 600_000 }, op: '>', value: spread };
    else if (kind === 7) {
      condition = {
        all: [
          { field, op: '>', value: high },
          { field: other, op: '<', value: spec.ranges[other]![0] },
        ],
      };
    } else if (kind === 8 && spec.positioned)
      condition = { zone: square(0.01, r), on: i % 20 === 8 ? 'enter' : 'inside' };
    else if (kind === 8)
      condition = {
        any: [
          { field, op: '>', value: high },
          { field: other, op: '>', value: high },
        ],
      };
    else condition = { absent: 300_000 };
    const input: RuleInput = {
      id: `bench-${i}`,
      name: `bench rule ${i}`,
      domain: spec.domain,
      condition,
      severity: 'warning',
      ...(i % 3 === 0 ? { for: 30_000 } : {}),
    };
    rules.push(parseRule(input, () => `bench-${i}`));
  }
  return rules;
}

/** `seconds` of observations at 50 000/s from `entities` entities, 1–3 fields each, in timestamp order. */
export function makeObservations(seconds: number, entities = 10_000, startTs = 1_700_000_000_000): Observation[] {
  const r = random(42);
  const out: Observation[] = [];
  const total = seconds * TARGET_RATE;
  const positions = Array.from({ length: entities }, () => ({
    lat: CENTRE.lat - 0.04 + r() * 0.08,
    lon: CENTRE.lon - 0.04 + r() * 0.08,
  }));
  for (let n = 0; n < total; n++) {
    const e = Math.floor(r() * entities);
    const spec = DOMAINS[e % DOMAINS.length]!;
    const hot = e % 50 === 0;
    const fields: Record<string, number> = {};
    const start = Math.floor(r() * spec.fields.length);
    const count = 1 + Math.floor(r() * 3);
    for (let k = 0; k < count; k++) {
      const field = spec.fields[(start + k) % spec.fields.length]!;
      const [mean, spread] = spec.ranges[field]!;
      fields[field] = Math.round((mean + spread * (r() - 0.5 + (hot ? 3 : 0))) * 10) / 10;
    }
    const obs: Observation = {
      domain: spec.domain,
      id: `${spec.domain}-${e}`,
      ts: startTs + Math.floor(n / 50),
      fields,
    };
    if (spec.positioned) {
      const p = positions[e]!;
      p.lat += (r() - 0.5) * 0.0005;
      p.lon += (r() - 0.5) * 0.0005;
      obs.lat = p.lat;
      obs.lon = p.lon;
    }
    out.push(obs);
  }
  return out;
}

interface Observer {
  observe(batch: readonly Observation[]): void;
  tick(now: number): void;
}

interface Rate {
  /** Observations per wall-clock second. */
  wall: number;
  /** Observations per second of this process's CPU time (less disturbed by other load on the machine). */
  cpu: number;
}

/** Feeds the observations in pipeline-sized batches, ticking once per simulated second. */
function drive(observer: Observer, observations: readonly Observation[]): Rate {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let nextTick = (observations[0]?.ts ?? 0) + 1000;
  for (let i = 0; i < observations.length; i += BATCH) {
    const batch = observations.slice(i, i + BATCH);
    observer.observe(batch);
    const last = batch[batch.length - 1]!.ts;
    if (last >= nextTick) {
      observer.tick(last);
      nextTick += 1000;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: observations.length / seconds, cpu: observations.length / ((cpu.user + cpu.system) / 1e6) };
}

/** The baseline: walk every batch and read every field, as any observer must at least do. */
function walker(): Observer & { sum: number } {
  const state = {
    sum: 0,
    observe(batch: readonly Observation[]) {
      for (const obs of batch) {
        for (const field in obs.fields) {
          const value = obs.fields[field];
          if (typeof value === 'number') state.sum += value;
        }
      }
    },
    tick() {},
  };
  return state;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export interface AlertsEngineFigures {
  rules: number;
  observations: number;
  /** Rule evaluations per observation (rules that could react to it). */
  evaluationsPerObservation: number;
  engine: Rate;
  baseline: Rate;
  /** Engine over baseline, wall clock. */
  ratioToBaseline: number;
  /** Engine throughput (CPU time) over the 50 000 obs/s target. */
  realtimeHeadroom: number;
  transitions: number;
}

/** Median of `runs` runs; each run primes a fresh engine with one simulated second, then times the rest. */
export function runAlertsEngineBench(options: { seconds?: number; runs?: number } = {}): AlertsEngineFigures {
  const seconds = options.seconds ?? 6;
  const runs = options.runs ?? 3;
  const rules = makeRules();
  const all = makeObservations(seconds + 1);
  const prime = all.slice(0, TARGET_RATE);
  const timed = all.slice(TARGET_RATE);
  const engineRates: Rate[] = [];
  const baseRates: Rate[] = [];
  let transitions = 0;
  let evaluations = 0;
  for (let run = 0; run < runs; run++) {
    const base = walker();
    drive(base, prime);
    baseRates.push(drive(base, timed));
    let count = 0;
    const engine = createAlertEngine({ clock: () => 0, onTransition: () => count++ });
    engine.setRules(rules);
    drive(engine, prime);
    const before = engine.stats().evaluations;
    count = 0;
    engineRates.push(drive(engine, timed));
    evaluations = engine.stats().evaluations - before;
    transitions = count;
  }
  const engine = { wall: median(engineRates.map((r) => r.wall)), cpu: median(engineRates.map((r) => r.cpu)) };
  const baseline = { wall: median(baseRates.map((r) => r.wall)), cpu: median(baseRates.map((r) => r.cpu)) };
  return {
    rules: rules.length,
    observations: timed.length,
    evaluationsPerObservation: evaluations / timed.length,
    engine,
    baseline,
    ratioToBaseline: engine.wall / baseline.wall,
    realtimeHeadroom: engine.cpu / TARGET_RATE,
    transitions,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const f = runAlertsEngineBench(quick ? { seconds: 2, runs: 1 } : {});
  const k = (n: number) => `${(n / 1000).toFixed(0)} k`;
  const perObs = (rate: number) => `${(1e6 / rate).toFixed(2)} µs/obs`;
  console.log(
    `alerts engine: ${f.rules} rules, ${f.observations} observations per run (50 000/s simulated), ` +
      `${f.evaluationsPerObservation.toFixed(1)} rule evaluations per observation, median of ${quick ? 1 : 3}`,
  );
  console.log(
    `  engine    ${k(f.engine.wall)} obs/s wall, ${k(f.engine.cpu)} obs/s CPU (${perObs(f.engine.cpu)}); ${f.transitions} transitions`,
  );
  console.log(
    `  baseline  ${k(f.baseline.wall)} obs/s wall, ${k(f.baseline.cpu)} obs/s CPU (walk each batch, read every field)`,
  );
  console.log(`  ratio     ${(f.ratioToBaseline * 100).toFixed(2)} % of the baseline (wall)`);
  console.log(
    `  target    ${f.realtimeHeadroom.toFixed(2)}× the 50 000 obs/s goal on CPU time: ` +
      `one core ${(100 / f.realtimeHeadroom).toFixed(0)} % busy at the goal rate`,
  );
}

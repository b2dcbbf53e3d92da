import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  fastObservation,
  normalizeObservation,
  normalizeWithSchema,
  type NormalizeOptions,
  type NormalizeResult,
} from '../../ingest/normalize.js';
import { seededRandom as random } from '../support/random.js';

// Property test: the hand-written fast path must never accept what the zod path rejects, must build the very
// same Observation when it accepts, and must decline only the exotic inputs it leaves to zod on purpose.

const NOW = Date.parse('2024-06-01T12:00:00Z');
const BASE_OPTIONS: NormalizeOptions = {
  now: NOW,
  maxFutureMs: 5 * 60_000,
  maxPastMs: 7 * 86_400_000,
  domains: new Set(['sensor', 'traffic', 'health', 'queue']),
};

type Rng = () => number;
type Item = Record<string, unknown>;
const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)] as T;

class Device {
  constructor(
    public domain: string,
    public id: string,
    public fields: unknown,
  ) {}
}

const ISO = (ms: number) => new Date(ms).toISOString();

const DOMAINS = ['sensor', 'traffic', 'parking', 'Sensor', '', 'a'.repeat(33), 'sensor ', 'séance', 5, null, undefined];
const IDS = [
  'S1',
  'urn:dev:S-1.2_3',
  'x'.repeat(128),
  'x'.repeat(129),
  '',
  'S 1',
  'S1é',
  '🙂',
  'S1\n',
  12,
  null,
  undefined,
];
const TIMESTAMPS = [
  NOW,
  NOW - 1,
  NOW - BASE_OPTIONS.maxPastMs,
  NOW - BASE_OPTIONS.maxPastMs - 1,
  NOW + BASE_OPTIONS.maxFutureMs,
  NOW + BASE_OPTIONS.maxFutureMs + 1,
  -0,
  0,
  -1,
  NOW + 0.5,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  2 ** 53,
  2 ** 53 - 1,
  ISO(NOW - 1000),
  ISO(NOW - 1000).replace('Z', '+07:00'),
  ISO(NOW - 1000).replace('Z', '-00:30'),
  ISO(NOW - 1000).replace('.000Z', 'Z'),
  ISO(NOW - 1000).replace('.000Z', '.123456789Z'),
  ISO(NOW - 1000).replace('Z', 'z'),
  ISO(NOW - 1000).replace('Z', '+24:00'),
  ISO(NOW - 1000).replace('T', ' '),
  ISO(NOW - 1000).slice(0, 16) + 'Z',
  '2024-02-30T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2024-06-01T11:59:60Z',
  '0000-01-01T00:00:00Z',
  '',
  'yesterday',
  true,
  null,
  {},
  undefined,
];
const LATITUDES = [21.27, 90, -90, 90.0000001, -90.0000001, -0, 0, Number.NaN, Infinity, '21', null, undefined, true];
const LONGITUDES = [106.19, 180, -180, 180.0000001, -180.0000001, -0, Number.NaN, -Infinity, '106', null, undefined];
const FIELD_NAMES = [
  'pm25',
  'pm2.5',
  'a-b',
  '_x',
  'a'.repeat(64),
  'a'.repeat(65),
  '1a',
  '',
  'é',
  'a b',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'lat',
  'lon',
  '0',
  '__proto__x',
  'time',
  'id',
  '_field',
  '_measurement',
];
const FIELD_VALUES = [
  1,
  -0,
  0.1,
  1e308,
  -5e-324,
  true,
  false,
  '',
  'x',
  'x'.repeat(1024),
  'x'.repeat(1025),
  '🙂'.repeat(512),
  '🙂'.repeat(600),
  '\ud800',
  'Hà Nội',
  Number.NaN,
  Infinity,
  null,
  undefined,
  {},
  [],
  10n,
];
// Storage rules (contract/legal.ts): no control characters, no trailing backslash, no empty value.
const TAG_VALUES = [
  'n',
  '',
  'x'.repeat(256),
  'x'.repeat(257),
  'ü'.repeat(200),
  1,
  true,
  null,
  undefined,
  {},
  'a\\',
  'a\\b',
  'a\tb',
  'a\nb',
  'a b,c=d',
];

function baseItem(rng: Rng): Item {
  const item: Item = {
    domain: pick(rng, ['sensor', 'traffic', 'health', 'queue']),
    id: `S${Math.floor(rng() * 100_000)}`,
    fields: { pm25: Math.round(rng() * 1000) / 10, ok: rng() < 0.5, state: 'on' },
  };
  if (rng() < 0.7) item.ts = NOW - Math.floor(rng() * 60_000);
  if (rng() < 0.5) {
    item.lat = Math.round((rng() * 180 - 90) * 1e6) / 1e6;
    item.lon = Math.round((rng() * 360 - 180) * 1e6) / 1e6;
  }
  if (rng() < 0.5) item.tags = { district: pick(rng, ['tran-phu', 'le-loi']) };
  return item;
}

function recordOf(item: Item, key: 'fields' | 'tags'): Record<string, unknown> {
  const current = item[key];
  if (typeof current === 'object' && current !== null && Object.getPrototypeOf(current) === Object.prototype) {
    return current as Record<string, unknown>;
  }
  const fresh: Record<string, unknown> = {};
  item[key] = fresh;
  return fresh;
}

function manyFields(count: number, lift: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) fields[`f${i}`] = i;
  if (lift) {
    fields.lat = 10;
    fields.lon = 20;
  }
  return fields;
}

/** A mutation of an item; `exotic` ones build inputs the fast path may leave to zod. */
interface Mutation {
  exotic?: boolean;
  apply(item: Item, rng: Rng): Item;
}

const MUTATIONS: Mutation[] = [
  { apply: (item, rng) => ({ ...item, domain: pick(rng, DOMAINS) }) },
  {
    apply: (item) => {
      const { domain: _, ...rest } = item;
      return rest;
    },
  },
  { apply: (item, rng) => ({ ...item, id: pick(rng, IDS) }) },
  { apply: (item, rng) => ({ ...item, ts: pick(rng, TIMESTAMPS) }) },
  {
    apply: (item) => {
      const { ts: _, ...rest } = item;
      return rest;
    },
  },
  { apply: (item, rng) => ({ ...item, lat: pick(rng, LATITUDES) }) },
  { apply: (item, rng) => ({ ...item, lon: pick(rng, LONGITUDES) }) },
  { apply: (item, rng) => ({ ...item, lat: pick(rng, LATITUDES), lon: pick(rng, LONGITUDES) }) },
  {
    apply: (item, rng) => {
      recordOf(item, 'fields')[pick(rng, FIELD_NAMES)] = pick(rng, FIELD_VALUES);
      return item;
    },
  },
  {
    apply: (item, rng) => {
      const fields = recordOf(item, 'fields');
      fields.lat = pick(rng, LATITUDES);
      if (rng() < 0.7) fields.lon = pick(rng, LONGITUDES);
      return item;
    },
  },
  { apply: (item) => ({ ...item, fields: {} }) },
  { apply: (item, rng) => ({ ...item, fields: manyFields(pick(rng, [62, 63, 64, 65, 200, 1000]), rng() < 0.5) }) },
  { apply: (item, rng) => ({ ...item, fields: pick(rng, [[], null, 'x', 3, undefined, [1, 2]]) }) },
  {
    exotic: true,
    apply: (item) => ({ ...item, fields: Object.assign(Object.create(null) as object, { a: 1, b: 'x' }) }),
  },
  { exotic: true, apply: (item) => ({ ...item, fields: new Map([['a', 1]]) }) },
  { exotic: true, apply: (item) => ({ ...item, fields: new Date(0) }) },
  { exotic: true, apply: (item) => ({ ...item, fields: new Device('sensor', 'S1', 1) }) },
  { exotic: true, apply: (item) => ({ ...item, fields: Object.create({ inherited: 1 }) as object }) },
  { exotic: true, apply: (item) => ({ ...item, fields: JSON.parse('{"__proto__":1,"a":2}') as unknown }) },
  { exotic: true, apply: (item) => ({ ...item, fields: JSON.parse('{"__proto__":{"a":1}}') as unknown }) },
  { apply: (item, rng) => ({ ...item, fields: { constructor: pick(rng, [1, 'x', true, Object, null]), a: 1 } }) },
  {
    exotic: true,
    apply: (item) => {
      const fields = recordOf(item, 'fields');
      Object.defineProperty(fields, 'hidden', { value: Number.NaN, enumerable: false, configurable: true });
      return item;
    },
  },
  {
    exotic: true,
    apply: (item, rng) => {
      const fields = recordOf(item, 'fields');
      Object.defineProperty(fields, Symbol('s'), { value: 1, enumerable: rng() < 0.5 });
      return item;
    },
  },
  {
    exotic: true,
    apply: (item) => {
      const fields = recordOf(item, 'fields');
      Object.defineProperty(fields, 'computed', { get: () => 7, enumerable: true, configurable: true });
      return item;
    },
  },
  {
    apply: (item, rng) => {
      recordOf(item, 'tags')[pick(rng, FIELD_NAMES)] = pick(rng, TAG_VALUES);
      return item;
    },
  },
  {
    apply: (item, rng) => ({
      ...item,
      tags: Object.fromEntries(Array.from({ length: pick(rng, [31, 32, 33, 100]) }, (_, i) => [`t${i}`, 'v'])),
    }),
  },
  { apply: (item, rng) => ({ ...item, tags: pick(rng, [[], null, 'x', undefined, {}]) }) },
  { exotic: true, apply: (item) => ({ ...item, tags: JSON.parse('{"__proto__":"x","a":"y"}') as unknown }) },
  { exotic: true, apply: (item) => ({ ...item, tags: Object.assign(Object.create(null) as object, { a: 'y' }) }) },
  { apply: (item, rng) => ({ ...item, extra: pick(rng, [1, null, { deep: true }]), sentAt: NOW }) },
  { exotic: true, apply: (item) => Object.create(item) as Item },
  { exotic: true, apply: (item) => Object.assign(new Device('sensor', 'S1', { a: 1 }), item) },
  {
    exotic: true,
    apply: (item) => {
      const withGetter = { ...item };
      Object.defineProperty(withGetter, 'id', { get: () => 'G1', enumerable: true, configurable: true });
      return withGetter;
    },
  },
];

const NOT_OBJECTS: unknown[] = [
  null,
  undefined,
  'S1',
  5,
  true,
  [],
  [{ domain: 'sensor', id: 'S1', fields: { a: 1 } }],
  // An array carrying an observation's properties is still not an object to zod.
  Object.assign([], { domain: 'sensor', id: 'S1', fields: { a: 1 } }),
  new Date(0),
];

const OPTION_VARIANTS: NormalizeOptions[] = [
  { ...BASE_OPTIONS, maxPastMs: 1500, maxFutureMs: 0 },
  // Limits so wide that only the contract bounds ts (safe integers, RFC 3339).
  { ...BASE_OPTIONS, maxPastMs: Number.MAX_VALUE, maxFutureMs: Number.MAX_VALUE },
  // A configured domain that breaks the contract's pattern: the schema still rejects it.
  { ...BASE_OPTIONS, domains: new Set([...BASE_OPTIONS.domains, 'Sensor', 'parking']) },
];

function optionsFor(rng: Rng): NormalizeOptions {
  return rng() < 0.7 ? BASE_OPTIONS : pick(rng, OPTION_VARIANTS);
}

interface Case {
  value: unknown;
  options: NormalizeOptions;
  exotic: boolean;
}

function generate(rng: Rng): Case {
  const options = optionsFor(rng);
  if (rng() < 0.02) return { value: pick(rng, NOT_OBJECTS), options, exotic: false };
  let item = baseItem(rng);
  let exotic = false;
  const count = Math.floor(rng() * 4);
  for (let i = 0; i < count; i++) {
    const mutation = pick(rng, MUTATIONS);
    exotic ||= mutation.exotic === true;
    item = mutation.apply(item, rng);
  }
  return { value: item, options, exotic };
}

function describeCase(c: Case, fast: unknown, reference: NormalizeResult): string {
  return inspect({ value: c.value, fast, reference }, { depth: 4, showHidden: false, breakLength: 160 });
}

/** Key order and -0 matter downstream (line protocol, JSON): compare them too. */
function sameObservation(a: unknown, b: unknown): boolean {
  const replacer = (_key: string, v: unknown) => (Object.is(v, -0) ? '-0' : v);
  return JSON.stringify(a, replacer) === JSON.stringify(b, replacer);
}

describe('normalizeObservation: the fast path and the zod path agree', () => {
  // 20,000 items through both paths take seconds on a busy 2-core machine: more than vitest's default 5 s.
  it('on generated valid and invalid items', { timeout: 60_000 }, () => {
    const rng = random(0x10c);
    const mismatches: string[] = [];
    let accepted = 0;
    let acceptedFast = 0;
    const total = 20_000;
    for (let n = 0; n < total; n++) {
      const c = generate(rng);
      const reference = normalizeWithSchema(c.value, c.options);
      const combined = normalizeObservation(c.value, c.options);
      const fast = fastObservation(c.value, c.options);
      if (reference.ok) accepted += 1;
      if (fast !== undefined) acceptedFast += 1;
      const agree =
        reference.ok === combined.ok &&
        (reference.ok
          ? combined.ok && sameObservation(combined.observation, reference.observation)
          : !combined.ok && combined.error === reference.error);
      const fastAgrees =
        fast === undefined
          ? !(reference.ok && !c.exotic) // declining is allowed only for exotic inputs or rejections
          : reference.ok && sameObservation(fast, reference.observation);
      if (!agree || !fastAgrees) mismatches.push(describeCase(c, fast, reference));
      if (mismatches.length >= 5) break;
    }
    expect(mismatches).toEqual([]);
    // The generator must exercise both outcomes in earnest, and the fast path must carry the valid ones.
    expect(accepted).toBeGreaterThan(total * 0.2);
    expect(total - accepted).toBeGreaterThan(total * 0.2);
    expect(acceptedFast).toBeGreaterThan(total * 0.2);
  });

  it('on hand-picked edge cases', () => {
    const item = (patch: Item): Item => ({ domain: 'sensor', id: 'S1', ts: NOW, fields: { a: 1 }, ...patch });
    const cases: unknown[] = [
      item({ lat: 90, lon: 180 }),
      item({ lat: 90.0000001, lon: 0 }),
      item({ lat: -0, lon: -0, fields: { v: -0 } }),
      item({ ts: -0, fields: { a: 1 } }),
      item({ fields: { lat: 21, lon: 106 } }),
      item({ lat: 1, lon: 2, fields: { lat: 3, lon: 4 } }),
      item({ lat: 1, lon: 2, fields: { lat: 91, lon: 4 } }),
      item({ fields: { lat: 'n/a' } }),
      item({ fields: { lat: 21 } }),
      item({ fields: { lat: Number.NaN, lon: 1 } }),
      item({ fields: manyFields(62, true) }),
      item({ fields: manyFields(63, true) }),
      item({ fields: manyFields(64, false) }),
      item({ fields: manyFields(65, false) }),
      item({ fields: { s: '🙂'.repeat(600) } }),
      item({ fields: { s: '🙂'.repeat(1025) } }),
      item({ tags: { s: '🙂'.repeat(200) } }),
      item({ fields: JSON.parse('{"__proto__":1}') as unknown }),
      item({ fields: { constructor: 'x', toString: 1, hasOwnProperty: true } }),
      item({ fields: Object.assign(Object.create(null) as object, { a: 1 }) }),
      item({ ts: '2024-06-01T11:59:00.5+00:00' }),
      item({ ts: '0000-01-01T00:00:00Z' }),
      item({ ts: 2 ** 53 - 1 }),
      item({ ts: 2 ** 53 }),
      item({ ts: -1 }),
      item({ domain: 'parking' }),
      item({ domain: 'Sensor' }),
      item({ fields: { time: 1 } }),
      item({ fields: { id: 'x' } }),
      item({ tags: { id: 'x' } }),
      item({ tags: { time: 'x', _field: 'y', _measurement: 'z' } }),
      item({ tags: { t: 'ends\\' } }),
      item({ tags: { t: 'tab\there' } }),
      item({ tags: { t: 'a\\b c,d=e' } }),
      item({ fields: { a: 2 ** 63 }, integers: { a: '9223372036854775807' } }),
      item({ fields: { a: 1 }, integers: { a: '1' } }),
      item({ fields: { a: 1 }, integers: { a: '2' } }),
      item({ fields: { a: 1 }, integers: { b: '1' } }),
      item({ fields: { a: 1 }, integers: { a: '01' } }),
      item({ fields: { a: 1e19 }, integers: { a: '10000000000000000000' } }),
      item({ fields: { a: 'x' }, integers: { a: '1' } }),
      item({ fields: { a: 1 }, integers: 'a' }),
      ...NOT_OBJECTS,
    ];
    for (const options of [BASE_OPTIONS, ...OPTION_VARIANTS]) {
      for (const value of cases) {
        const reference = normalizeWithSchema(value, options);
        const combined = normalizeObservation(value, options);
        const fast = fastObservation(value, options);
        const what = inspect({ value, options }, { depth: 3 });
        expect(combined.ok, what).toBe(reference.ok);
        if (fast !== undefined) expect(reference.ok, what).toBe(true);
        if (reference.ok && combined.ok)
          expect(sameObservation(combined.observation, reference.observation), what).toBe(true);
        if (!reference.ok && !combined.ok) expect(combined.error, what).toBe(reference.error);
      }
    }
  });

  it('keeps field names it has seen bounded and still checks new ones', () => {
    for (let i = 0; i < 10_000; i++) {
      const result = normalizeObservation(
        { domain: 'sensor', id: 'S1', ts: NOW, fields: { [`f${i}`]: i } },
        BASE_OPTIONS,
      );
      expect(result.ok).toBe(true);
    }
    expect(normalizeObservation({ domain: 'sensor', id: 'S1', ts: NOW, fields: { 'f 1': 1 } }, BASE_OPTIONS)).toEqual({
      ok: false,
      error: 'fields.f 1: field names are letters, digits, "_", "." or "-"',
    });
  });
});

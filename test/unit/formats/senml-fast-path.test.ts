import { describe, expect, it } from 'vitest';
import { fastSenmlRecord, parseRecord, parseRecordWithSchema } from '../../../ingest/formats/senml.js';
import { seededRandom as random } from '../../support/random.js';

// Property test: the fast path for SenML records answers exactly as the schema does (accepts the same
// records, and for the others the schema words the same first problem), over records of every label with
// values of every kind, plus labels no schema knows.

const LABELS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver', 'n', 'u', 'v', 'vs', 'vb', 'vd', 's', 't', 'ut'];
const ODD_LABELS = ['__proto__', 'toString', 'constructor', 'x', 'fields', 'hasOwnProperty'];
const VALUES: unknown[] = [
  0,
  -1.5,
  1e300,
  10,
  11,
  3.5,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  'abc',
  '',
  'dGVzdA',
  'dGVzdA==',
  'a+b/',
  'not base64!',
  true,
  false,
  null,
  [],
  {},
  [1, 2],
];

const TEXT = ['abc', '', 'Phường Trần Phú'];
// RAW: written into the JSON text as is: 1e400 parses to Infinity, which the schema refuses.
const NUMBERS = [0, -1.5, 3.5, 1e300, 1.276020076e9, 'RAW:1e400', 'RAW:-1e400'];
const GOOD: Record<string, unknown[]> = {
  bn: TEXT,
  bu: TEXT,
  n: TEXT,
  u: TEXT,
  vs: TEXT,
  bt: NUMBERS,
  bv: NUMBERS,
  bs: NUMBERS,
  v: NUMBERS,
  s: NUMBERS,
  t: NUMBERS,
  ut: NUMBERS,
  bver: [1, 5, 10, 10.5, 11],
  vb: [true, false],
  vd: ['dGVzdA', 'dGVzdA==', '', 'dGVzdA=', 'a'],
};

function record(next: () => number): Record<string, unknown> {
  // JSON.parse, as a payload arrives: a "__proto__" label is then an own property, not the prototype.
  const entries: [string, unknown][] = [];
  const labels = next() < 0.15 ? [...LABELS, ...ODD_LABELS] : LABELS;
  for (const label of labels) {
    if (next() >= 0.35) continue;
    // Mostly a value of the label's own kind, so that many records pass; otherwise anything.
    const pool = next() < 0.8 ? (GOOD[label] ?? VALUES) : VALUES;
    entries.push([label, pool[Math.floor(next() * pool.length)]]);
  }
  const json = (v: unknown) =>
    typeof v === 'string' && v.startsWith('RAW:') ? v.slice(4) : (JSON.stringify(v) ?? 'null');
  const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${json(v)}`).join(',')}}`;
  return JSON.parse(text) as Record<string, unknown>;
}

function known(parsed: Record<string, unknown> | string): Record<string, unknown> | string {
  if (typeof parsed === 'string') return parsed;
  return Object.fromEntries(
    LABELS.filter((label) => parsed[label] !== undefined).map((label) => [label, parsed[label]]),
  );
}

describe('SenML record fast path', () => {
  it('accepts exactly what the schema accepts, and leaves every refusal to the schema', () => {
    const next = random(20261202);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = record(next);
      const viaSchema = parseRecordWithSchema(input);
      const viaFast = parseRecord(input);
      if (typeof viaSchema === 'string') {
        refused++;
        expect(fastSenmlRecord(input), JSON.stringify(input)).toBeUndefined();
        expect(viaFast).toBe(viaSchema);
      } else {
        accepted++;
        // The decoder reads only the labels the schema knows; the schema's copy leaves out an own "__proto__".
        expect(known(viaFast), JSON.stringify(input)).toEqual(known(viaSchema));
      }
    }
    // Both branches were exercised a fair number of times.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });

  it('takes the records of a real pack on the fast path', () => {
    const pack = JSON.parse(
      '[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.276020076e9,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},{"n":"current","t":-5,"v":1.2},{"n":"ok","vb":true},{"n":"label","vs":"Phường Trần Phú"}]',
    ) as Record<string, unknown>[];
    for (const item of pack) expect(fastSenmlRecord(item)).toBe(item);
  });
});

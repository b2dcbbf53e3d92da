// Over 350 lines: the case tables are the point of this file, and split apart they would be read out of context.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeContext } from '../../ingest/formats/types.js';
import { createFieldTypeRegistry, type FieldKind } from '../../ingest/field-types.js';
import { ingestPayload } from '../../ingest/ingest-payload.js';
import { observationToLine } from '../../server/store/influx-line.js';
import { influxQuery, startInfluxd, uniqueName, type RunningService } from '../support/services.js';

// Differential test of line protocol: each payload is written to a real influxd twice, once as it is (the
// reference: InfluxDB's own parser) and once through the product (its parser and normaliser, then the store's
// line encoder) into a second database of the same influxd. What both stored is queried and compared.

type Precision = NonNullable<DecodeContext['precision']>;

interface Case {
  /** The payload; `{m}` is replaced by the case's own measurement, so field types never meet across cases. */
  lines: string;
  precision?: Precision;
}

interface Refused extends Case {
  /** The product's reason for the first line. */
  reason: RegExp;
}

const T = '1600000000123000000'; // ns, a whole millisecond

/** Accepted by both: what the product stores must equal what InfluxDB stores. */
const ACCEPTED: Case[] = [
  { lines: `{m},id=S1 v=1.5 ${T}` },
  { lines: `{m},id=S1,zone=north pm25=12.5,count=7i,ok=true,label="hello" ${T}` },
  { lines: `{m},id=S1 a=9223372036854775807i,b=-9223372036854775808i,c=9007199254740993i,d=0i ${T}` },
  { lines: `{m},id=S1 a=0009223372036854775807i,b=-0009223372036854775808i ${T}` },
  { lines: `{m},id=S1 a=1.,b=.5,c=-1.5E-2,d=1e3,e=01,f=6.632243e+06,g=-0.64,h=1E+3 ${T}` },
  { lines: `{m},id=S1 a=${'1' + '0'.repeat(308)},b=-${'1' + '0'.repeat(308)},c=5e-324 ${T}` },
  { lines: `{m},id=S1 a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE ${T}` },
  { lines: String.raw`{m},id=S1,t=a\ b\,c\=d v=1 ${T}` },
  { lines: String.raw`{m},id=S1,t=C:\\x\\\\y,u=a\b v=1 ${T}` },
  { lines: String.raw`{m},id=S1,regions=\\,\,\=east v=1 ${T}` },
  { lines: String.raw`{m},id=S1,regions=east\\  v=1 ${T}` },
  { lines: String.raw`{m},id=S1,regions=\\ east,b=eas\\ t v=1 ${T}` },
  { lines: String.raw`{m},id=S1,t=1\"\",k=\"q\" v=1 ${T}` },
  { lines: String.raw`{m},id=S1 s="a \"q\" \\ b\, c",u="{Hello\"{,}\" World}" ${T}` },
  { lines: `{m},id=S1 s="two\nlines",n=1 ${T}` },
  { lines: String.raw`{m},id=S1 s="foo\\",s2="bar",s3="" ${T}` },
  { lines: `{m},id=S1,city=Bắc\\ Giang s="wè",v=1 ${T}` },
  { lines: `{m},id=S1 v=1i,v=2i ${T}` },
  { lines: `{m},id=S1 v=-0 ${T}` },
  { lines: `{m},id=S1 lat=21.27,lon=106.19,v=1 ${T}` },
  { lines: `{m},id=S1   v=1    ${T}   ` },
  { lines: `# a comment\n\n{m},id=S1 v=1 ${T}\n  # indented comment\n{m},id=S2 v=2 ${T}\n` },
  { lines: `{m},id=S1 v=1 1600000000123000`, precision: 'us' },
  { lines: `{m},id=S1 v=1 1600000000123`, precision: 'ms' },
  { lines: `{m},id=S1 v=1 1600000000`, precision: 's' },
  { lines: `{m},id=S1 v=1 26666666`, precision: 'm' },
  { lines: `{m},id=S1 v=1 444444`, precision: 'h' },
  { lines: `{m},id=S1 v=1 0001600000000123000000` },
  { lines: `{m},id=S1 v=1 0` },
  { lines: `{m},id=S1,z=1 v=1 ${T}\n{m},z=2,id=S2 v=2 1600000000124000000` },
];

/** Refused by InfluxDB and by the product, with the product's reason. */
const REFUSED_BY_BOTH: Refused[] = [
  { lines: `{m},id=S1,t=x=y v=1 ${T}`, reason: /invalid tag format/ },
  { lines: String.raw`{m},id=S1,t=a\\ v=1 ${T}`, reason: /invalid tag format/ },
  { lines: `{m},id=S1,t=x,t=y v=1 ${T}`, reason: /duplicate tags/ },
  { lines: `{m},id=S1,id=S2 v=1 ${T}`, reason: /duplicate tags/ },
  { lines: `{m},id=S1,time=x v=1 ${T}`, reason: /tag key 'time' is reserved by InfluxDB/ },
  { lines: `{m},id=S1 time=1 ${T}`, reason: /field name 'time' is reserved by InfluxDB/ },
  { lines: `{m},id=S1,t= v=1 ${T}`, reason: /missing tag value/ },
  { lines: `{m},id=S1,t v=1 ${T}`, reason: /missing tag value/ },
  { lines: `{m},id=S1,=x v=1 ${T}`, reason: /missing tag key/ },
  { lines: `{m},id=S1`, reason: /missing fields/ },
  { lines: `{m},id=S1 =1 ${T}`, reason: /missing field key/ },
  { lines: `{m},id=S1 v= ${T}`, reason: /missing field value/ },
  { lines: `{m},id=S1 v=1,b ${T}`, reason: /missing field value/ },
  { lines: `{m},id=S1 v="open ${T}`, reason: /unbalanced quotes/ },
  { lines: `{m},id=S1 f="blah"=123,r ${T}`, reason: /invalid field format/ },
  { lines: `{m},id=S1 v=9223372036854775808i ${T}`, reason: /outside the 64-bit integer range/ },
  { lines: `{m},id=S1 v=-9223372036854775809i ${T}`, reason: /outside the 64-bit integer range/ },
  { lines: `{m},id=S1 v=18446744073709551615u ${T}`, reason: /outside the 64-bit integer range/ },
  { lines: `{m},id=S1 v=1e400 ${T}`, reason: /out of range for a 64-bit float/ },
  { lines: `{m},id=S1 v=NaN ${T}`, reason: /values must be finite numbers/ },
  { lines: `{m},id=S1 v=inf ${T}`, reason: /values must be finite numbers/ },
  { lines: `{m},id=S1 v=-Infinity ${T}`, reason: /values must be finite numbers/ },
  ...['+1', '0x1', '1.0i', '1ii', '1a', '-123u', '-', '.', '-.', '1.1.1', '9e10i', '42+3', 'yes'].map((v) => ({
    lines: `{m},id=S1 v=${v} ${T}`,
    reason: /^field 'v': /,
  })),
  { lines: `{m},id=S1 v=1 9223372036854775808`, reason: /out of range/ },
  { lines: `{m},id=S1 v=1 9223372036854775807`, reason: /outside InfluxDB's time range/ },
  { lines: `{m},id=S1 v=1 9223372036855`, precision: 'ms', reason: /outside InfluxDB's time range/ },
  { lines: `{m},id=S1 v=1 1600000000x`, reason: /is not an integer/ },
  { lines: `{m},id=S1 v=1 1-`, reason: /is not an integer/ },
  { lines: `{m},id=S1 v=1 ${T} 12`, reason: /unexpected text after the timestamp/ },
];

/** Accepted by InfluxDB, refused by the product on purpose (the store or the contract could not keep it as sent). */
const REFUSED_BY_PRODUCT: Refused[] = [
  { lines: `{m},id=S1,t=a\tb v=1 ${T}`, reason: /holds a tab/ },
  { lines: `{m},id=S1,t=a\\\nb v=1 ${T}`, reason: /holds a line break/ },
  { lines: `{m},id=S1 v=1 -1500000`, reason: /times before 1970 \(negative ms\) cannot be stored/ },
  { lines: `{m},id=S1 id=5 ${T}`, reason: /would shadow the entity id tag/ },
  { lines: `{m},id=S1,_field=x v=1 ${T}`, reason: /reserved by InfluxDB/ },
  { lines: String.raw`{m},id=S1 a\ b=1 ${T}`, reason: /field names are letters/ },
  { lines: `{m},zone=a v=1 ${T}`, reason: /missing tag 'id'/ },
  { lines: `{m},id=S1 lat="north" ${T}`, reason: /^lat: expected number, received string/ },
];

/** Accepted by the product, refused by this influxd (1.x builds leave unsigned integers off): stored as integers. */
const REFUSED_BY_INFLUXD_1X: Case[] = [{ lines: `{m},id=S1 v=42u,w=9223372036854775807u ${T}` }];

const ALL = [...ACCEPTED, ...REFUSED_BY_BOTH, ...REFUSED_BY_PRODUCT, ...REFUSED_BY_INFLUXD_1X];
const measurementOf = new Map<Case, string>(ALL.map((c, i) => [c, `lp${i}`]));
const DOMAINS = new Set(measurementOf.values());
const NORMALIZE = { maxFutureMs: 86_400_000, maxPastMs: 100 * 365 * 86_400_000, domains: DOMAINS };

function payloadOf(c: Case): string {
  return c.lines.replaceAll('{m}', measurementOf.get(c) ?? 'lp');
}

// ---- influxd access ----

let influxd: RunningService;

beforeAll(async () => {
  influxd = await startInfluxd();
});

afterAll(async () => {
  await influxd?.stop();
});

async function createDb(): Promise<string> {
  const db = uniqueName('lpdiff');
  await influxQuery(influxd.url, `CREATE DATABASE "${db}"`);
  return db;
}

async function write(db: string, body: string, precision: Precision): Promise<{ status: number; text: string }> {
  const params = new URLSearchParams({
    db,
    precision: precision === 'us' ? 'u' : precision === 'ns' ? 'n' : precision,
  });
  const res = await fetch(`${influxd.url}/write?${params.toString()}`, { method: 'POST', body });
  return { status: res.status, text: await res.text() };
}

type Row = (string | number | boolean | null)[];
interface Stored {
  columns: string[];
  rows: Row[];
  types: Record<string, string>;
}

/** InfluxQL JSON with integers of 16+ digits kept as text, so int64 extremes compare exactly. */
async function queryExact(db: string, q: string): Promise<{ columns: string[]; values: Row[] } | undefined> {
  const params = new URLSearchParams({ db, q, epoch: 'ns' });
  const res = await fetch(`${influxd.url}/query?${params.toString()}`);
  const text = (await res.text()).replace(/(?<=[,[])(-?\d{16,})(?=[,\]])/g, '"$1"');
  const body = JSON.parse(text) as { results: { series?: { columns: string[]; values: Row[] }[] }[] };
  return body.results[0]?.series?.[0];
}

/** Every point of a measurement, columns sorted by name, rows by time and id, plus the field types. */
async function stored(db: string, measurement: string): Promise<Stored> {
  const series = await queryExact(db, `SELECT * FROM "${measurement}"`);
  const keys = await queryExact(db, `SHOW FIELD KEYS FROM "${measurement}"`);
  const types = Object.fromEntries((keys?.values ?? []).map((row) => [String(row[0]), String(row[1])]));
  if (series === undefined) return { columns: [], rows: [], types };
  const order = series.columns.map((name, index) => ({ name, index })).sort((a, b) => a.name.localeCompare(b.name));
  // -0 is read as 0: the product writes it so (JSON, and so the live feed, has no -0).
  const rows = series.values.map((row) => order.map(({ index }) => (row[index] === 0 ? 0 : (row[index] ?? null))));
  return {
    columns: order.map((c) => c.name),
    rows: rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    types,
  };
}

/** Numbers as doubles: what the product stores for a numeric field nobody declared (it starts as a float field). */
function asDoubles(s: Stored): Row[] {
  return s.rows.map((row) =>
    row.map((v) => (typeof v === 'string' && /^-?\d{16,}$/.test(v) ? Number(v) : v === 0 ? 0 : v)),
  );
}

/** InfluxDB's field types as the product's `ingest.fieldTypes` declaration for that measurement. */
function declaredFrom(measurement: string, types: Record<string, string>): Record<string, Record<string, FieldKind>> {
  const kindOf: Record<string, FieldKind> = { float: 'number', integer: 'integer', unsigned: 'integer', string: 'string', boolean: 'boolean' };
  return { [measurement]: Object.fromEntries(Object.entries(types).map(([field, type]) => [field, kindOf[type] ?? 'string'])) };
}

/** The product's ingest, with its field-type registry: fresh (nothing declared), or with the given declaration. */
function throughProduct(c: Case, declared?: Record<string, Record<string, FieldKind>>) {
  const fieldTypes = createFieldTypeRegistry(declared === undefined ? {} : { declared });
  return ingestPayload(payloadOf(c), 'line', { precision: c.precision ?? 'ns' }, { ...NORMALIZE, fieldTypes }, Date.now());
}

// ---- the tests ----

describe('line protocol against a real influxd', () => {
  let direct: string;
  let viaStore: string;
  let viaDeclared: string;
  const summary = { compared: 0, refusedByBoth: 0, refusedByProduct: 0, refusedByInfluxd: 0 };

  beforeAll(async () => {
    [direct, viaStore, viaDeclared] = await Promise.all([createDb(), createDb(), createDb()]);
  });

  afterAll(() => {
    console.info(`line-protocol differential: ${JSON.stringify(summary)}`);
  });

  it.each(
    ACCEPTED.map(
      (c) =>
        [
          payloadOf(c)
            .split('\n')
            .find((l) => l.includes('=')) ?? '',
          c,
        ] as const,
    ),
  )('stores %s as InfluxDB does', async (_label, c) => {
    const precision = c.precision ?? 'ns';
    const measurement = measurementOf.get(c) ?? '';
    const reference = await write(direct, payloadOf(c), precision);
    expect(reference, 'influxd takes the line as it is').toMatchObject({ status: 204 });
    const want = await stored(direct, measurement);
    expect(want.rows.length).toBeGreaterThan(0);

    // Nothing declared: numeric fields start as float fields, so values compare as doubles.
    const fresh = throughProduct(c);
    expect(fresh.rejected).toEqual([]);
    expect(await write(viaStore, fresh.observations.map((o) => observationToLine(o)).join('\n'), 'ms')).toMatchObject({
      status: 204,
    });
    const store = await stored(viaStore, measurement);
    expect(store.columns).toEqual(want.columns);
    expect(asDoubles(store)).toEqual(asDoubles(want));

    // Field types declared as the devices send them: the same series, tags, times, values and field types,
    // int64 extremes exact.
    const declared = throughProduct(c, declaredFrom(measurement, want.types));
    expect(declared.rejected).toEqual([]);
    const lines = declared.observations.map((o) => observationToLine(o)).join('\n');
    expect(await write(viaDeclared, lines, 'ms')).toMatchObject({ status: 204 });
    expect(await stored(viaDeclared, measurement)).toEqual(want);
    summary.compared += payloadOf(c)
      .split('\n')
      .filter((l) => l.includes('=') && !l.trim().startsWith('#')).length;
  });

  it.each(REFUSED_BY_BOTH.map((c) => [payloadOf(c), c] as const))('%s is refused by both', async (_label, c) => {
    const reference = await write(direct, payloadOf(c), c.precision ?? 'ns');
    expect(reference.status, reference.text).toBe(400);
    const outcome = throughProduct(c);
    expect(outcome.observations).toEqual([]);
    expect(outcome.rejected[0]?.error).toMatch(c.reason);
    summary.refusedByBoth += 1;
  });

  it.each(REFUSED_BY_PRODUCT.map((c) => [payloadOf(c), c] as const))(
    '%s is stored by influxd but refused by the product with a reason',
    async (_label, c) => {
      expect((await write(direct, payloadOf(c), c.precision ?? 'ns')).status).toBe(204);
      const outcome = throughProduct(c);
      expect(outcome.observations).toEqual([]);
      expect(outcome.rejected[0]?.error).toMatch(c.reason);
      summary.refusedByProduct += 1;
    },
  );

  it('takes unsigned integers this influxd refuses, and stores them as exact integers in integer fields', async () => {
    for (const c of REFUSED_BY_INFLUXD_1X) {
      expect((await write(direct, payloadOf(c), 'ns')).text).toMatch(/invalid number/);
      const measurement = measurementOf.get(c) ?? '';
      const outcome = throughProduct(c, { [measurement]: { v: 'integer', w: 'integer' } });
      expect(outcome.rejected).toEqual([]);
      const lines = outcome.observations.map((o) => observationToLine(o)).join('\n');
      expect(await write(viaDeclared, lines, 'ms')).toMatchObject({ status: 204 });
      const got = await stored(viaDeclared, measurement);
      expect(got.types).toEqual({ v: 'integer', w: 'integer' });
      expect(got.columns).toEqual(['id', 'time', 'v', 'w']);
      expect(got.rows).toEqual([['S1', '1600000000123000000', 42, '9223372036854775807']]);
      summary.refusedByInfluxd += 1;
    }
  });

  it('keeps a sub-millisecond time to the millisecond it lies in, before and after 1970', () => {
    const [after] = ingestPayload('lp0,id=S1 v=1 1600000000123999999', 'line', {}, NORMALIZE, Date.now()).observations;
    expect(after?.ts).toBe(1_600_000_000_123);
    const decoded = ingestPayload('lp0,id=S1 v=1 -1500000', 'line', { precision: 'ns' }, NORMALIZE, Date.now());
    expect(decoded.rejected[0]?.error).toMatch(/times before 1970 \(negative ms\) cannot be stored/);
  });
});

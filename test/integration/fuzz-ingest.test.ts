import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMetrics } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { uniqueName } from '../support/services.js';

// 10 000 hostile inputs (fast-check values, naughty strings, truncated and bit-flipped valid payloads, binary
// garbage) over MQTT and HTTP, interleaved with 1 000 good ones, seeded so every run sends the same bytes:
// the product keeps answering, stores every good one, refuses every other one with a reason (or stores it,
// when a flip left it valid), and its counters agree with what was sent and stored.

const SEED = 20_261_201;
const HOSTILE = 10_000;
const GOOD_EVERY = 10;
const HTTP_CONCURRENCY = 8;

/** Strings that break naive parsers (after the Big List of Naughty Strings). */
const NAUGHTY = [
  '', ' ', 'undefined', 'null', 'NaN', 'Infinity', '-Infinity', '0x0', '1e309', '-0', '[]', '{}', '[[[[[[[[[[', '{"a":',
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '\u200b', '\ufeff{}', '\ud800', '\udfff',
  'Ω≈ç√∫˜µ≤≥÷', '田中さんにあげて下さい', '‫test‫', '👾 🙇 💁 🙅', '𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐', "'; DROP TABLE observations; --",
  '" OR 1=1 --', '<script>alert(1)</script>', '${jndi:ldap://x/a}', '{{7*7}}', '%00%0a%0d', '../../../../etc/passwd',
  'sensor,id=a b', 'sensor,id=a\\ x=1', 'sensor,id=\\ x=1i 1', 'sensor x=1,x=2', 'sensor,time=1 x=1', 'sensor,id=a x="unterminated',
  'sensor,id=a x=9223372036854775808i', 'sensor,id=a x=1u', '[{"bn":"a:","n":"x","v":1,"vs":"y"}]', '[{"n":"x"}]',
  '[{"bt":1e300,"n":"x","v":1}]', '{"ts":"2026-13-45T99:99:99Z","x":1}', '{"ts":-1,"x":1}', '{"lat":91,"lon":0}', '{"x":1e400}',
  '\r\n\r\n', '\t', 'true', 'false', '"str"', '12345',
];

/** Valid payloads the truncations and bit flips start from. */
function templates(ts: number): string[] {
  return [
    JSON.stringify({ ts, v: 21.5, tags: { zone: 'north' } }),
    JSON.stringify({ ts: new Date(ts).toISOString(), lat: 21.27, lon: 106.19, v: 3 }),
    JSON.stringify([{ bn: 'x:', bt: ts / 1000, n: 'v', v: 1.5 }, { n: 'w', vb: true }]),
    `sensor,id=lp-1,zone=a v=1.5,w="x" ${ts}`,
    JSON.stringify([{ domain: 'sensor', id: 'arr-1', ts, fields: { v: 2 } }]),
  ];
}

function hostileArbitrary(ts: number): fc.Arbitrary<Buffer> {
  const valid = templates(ts);
  const text = (s: string) => Buffer.from(s, 'utf8');
  return fc.oneof(
    fc.jsonValue().map((v) => text(JSON.stringify(v) ?? 'null')),
    fc
      .record({
        ts: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(ts)),
        lat: fc.oneof(fc.double(), fc.constant(undefined)),
        fields: fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), fc.oneof(fc.double(), fc.string({ unit: 'binary' }), fc.boolean(), fc.constant(null))),
        tags: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.integer())),
      })
      .map((o) => text(JSON.stringify(o))),
    fc.string({ unit: 'binary', maxLength: 300 }).map(text),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.constantFrom(...NAUGHTY).map(text),
    fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([t, n]) => text(t.slice(0, n % t.length))),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 7 })).map(([t, n, bit]) => {
      const bytes = text(t);
      const at = n % bytes.length;
      bytes[at] = bytes[at]! ^ (1 << bit);
      return bytes;
    }),
  );
}

interface Report {
  topic: string;
  errors: { index: number; error: string }[];
  errorsTotal?: number;
}

describe('fuzz: hostile input over MQTT and HTTP', () => {
  let product: TestIoc;
  let client: MqttClient;
  const reports = new Map<string, Report[]>();

  beforeAll(async () => {
    // Retention off: every accepted row stays a raw row, so rows and the accepted counter can be compared.
    product = await startTestIoc({ mqtt: { port: 0 }, store: { retention: { enabled: false } } });
    client = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: uniqueName('fuzz') });
    await client.subscribeAsync('ioc/rejected/#', { qos: 1 });
    client.on('message', (topic, payload) => {
      if (!topic.startsWith('ioc/rejected/')) return;
      const report = JSON.parse(payload.toString()) as Report;
      reports.set(report.topic, [...(reports.get(report.topic) ?? []), report]);
    });
  });
  afterAll(async () => {
    await client?.endAsync();
    await product?.stop();
  });

  const storedRows = () => {
    const db = new Database(path.join(product.dataDir, 'ioc.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare<[], { domain: string; id: string; n: number }>('SELECT domain, id, count(*) AS n FROM observations GROUP BY domain, id').all();
      return new Map(rows.map((r) => [`${r.domain}/${r.id}`, r.n]));
    } finally {
      db.close();
    }
  };

  it('survives 10 000 hostile inputs, stores every good one and refuses the rest with a reason', async () => {
    const now = Date.now();
    const inputs = fc.sample(hostileArbitrary(now - 60_000), { seed: SEED, numRuns: HOSTILE });
    type Sent = { kind: 'hostile' | 'good'; transport: 'mqtt' | 'http'; key: string; payload: Buffer };
    const plan: Sent[] = [];
    let good = 0;
    inputs.forEach((payload, i) => {
      const transport = i % 2 === 0 ? 'mqtt' : 'http';
      plan.push({ kind: 'hostile', transport, key: `fz-${i}`, payload: transport === 'http' && payload.length === 0 ? Buffer.from(' ') : payload });
      if (i % GOOD_EVERY === 0) {
        const seq = good++;
        const body =
          transport === 'mqtt'
            ? { ts: now - 30_000 + seq, seqno: seq }
            : { domain: 'queue', id: `good-${seq}`, ts: now - 30_000 + seq, fields: { seqno: seq } };
        plan.push({ kind: 'good', transport, key: `good-${seq}`, payload: Buffer.from(JSON.stringify(body)) });
      }
    });

    const httpOutcomes = new Map<string, { status: number; accepted: number; reasons: string[]; rejectedTotal: number }>();
    const sendHttp = async (sent: Sent) => {
      const res = await fetch(`${product.baseUrl}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent.payload });
      const body = (await res.json()) as { accepted?: number; rejected?: { error: string }[]; rejectedTotal?: number; error?: { message: string } };
      const reasons = body.rejected?.map((r) => r.error) ?? (body.error ? [body.error.message] : []);
      httpOutcomes.set(sent.key, { status: res.status, accepted: body.accepted ?? 0, reasons, rejectedTotal: body.rejectedTotal ?? body.rejected?.length ?? 0 });
    };
    const http = plan.filter((s) => s.transport === 'http');
    const mqttPlan = plan.filter((s) => s.transport === 'mqtt');
    const topicOf = (s: Sent) => (s.kind === 'good' ? `city/queue/${s.key}` : `city/sensor/${s.key}`);
    let next = 0;
    const httpWorkers = Array.from({ length: HTTP_CONCURRENCY }, async () => {
      while (next < http.length) await sendHttp(http[next++]!);
    });
    // MQTT in acknowledged slices, interleaved in time with the HTTP requests.
    for (let i = 0; i < mqttPlan.length; i += 250) {
      await Promise.all(mqttPlan.slice(i, i + 250).map((s) => client.publishAsync(topicOf(s), s.payload, { qos: 1 })));
    }
    await Promise.all(httpWorkers);

    // Zero crashes: still answering, the publisher still connected.
    expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
    expect(client.connected).toBe(true);

    // HTTP: every answer is 202 with something accepted or 400 with a reason; never a 5xx.
    for (const sent of http) {
      const outcome = httpOutcomes.get(sent.key)!;
      expect([202, 400], `${sent.key}: ${sent.payload.toString('utf8').slice(0, 80)}`).toContain(outcome.status);
      if (outcome.status === 400) expect(outcome.reasons.length, sent.key).toBeGreaterThan(0);
      if (sent.kind === 'good') expect(outcome, sent.key).toMatchObject({ status: 202, accepted: 1 });
      for (const reason of outcome.reasons) expect(reason.length).toBeGreaterThan(0);
    }

    // MQTT: each hostile message refused with a reason on ioc/rejected/sensor, or stored (a flip that stayed valid).
    const mqttHostile = mqttPlan.filter((s) => s.kind === 'hostile');
    const mqttGood = mqttPlan.filter((s) => s.kind === 'good');
    const settled = await waitFor(
      () => {
        const rows = storedRows();
        const unsettled = mqttHostile.filter((s) => !reports.has(topicOf(s)) && !rows.has(`sensor/${s.key}`));
        const goodMissing = [...mqttGood, ...http.filter((s) => s.kind === 'good')].filter((s) => rows.get(`queue/${s.key}`) !== 1);
        return unsettled.length === 0 && goodMissing.length === 0 ? rows : undefined;
      },
      'every MQTT message refused or stored, every good one stored once',
      60_000,
      250,
    );
    for (const s of mqttHostile) {
      for (const report of reports.get(topicOf(s)) ?? []) {
        expect(report.errors.length, s.key).toBeGreaterThan(0);
        for (const e of report.errors) expect(e.error.length, s.key).toBeGreaterThan(0);
      }
    }

    // The product's counters agree with what was sent, refused and stored.
    const storedTotal = [...settled.values()].reduce((a, b) => a + b, 0);
    const mqttRefusals = [...reports.values()].flat().reduce((n, r) => n + (r.errorsTotal ?? r.errors.length), 0);
    const httpRefusals = [...httpOutcomes.values()].reduce((n, o) => n + (o.status === 202 || o.status === 400 ? o.rejectedTotal : 0), 0);
    const metric = (text: string, name: string) =>
      [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    // Every accepted observation was written; two accepted ones for the same entity and instant (a
    // flipped payload can repeat one) are one row, as in InfluxDB, so rows may be fewer, never more.
    const metrics = await waitFor(async () => {
      const text = await fetchMetrics(product.baseUrl);
      const accepted = metric(text, 'ioc_ingest_accepted_total');
      return accepted === metric(text, 'ioc_store_written_total') && accepted >= storedTotal ? text : undefined;
    }, 'accepted counter equal to the written one', 20_000, 250);
    expect(metric(metrics, 'ioc_ingest_accepted_total') - storedTotal).toBeLessThanOrEqual(10);
    expect(metric(metrics, 'ioc_ingest_messages_total')).toBe(plan.length);
    expect(/ioc_ingest_rejected_total\{transport="mqtt"\} (\d+)/.exec(metrics)?.[1]).toBe(String(mqttRefusals));
    expect(/ioc_ingest_rejected_total\{transport="http"\} (\d+)/.exec(metrics)?.[1]).toBe(String(httpRefusals));
    console.log(
      `fuzz: ${HOSTILE} hostile + ${good} good sent; ${mqttRefusals + httpRefusals} refusals (mqtt ${mqttRefusals}, http ${httpRefusals}); ${storedTotal} rows stored`,
    );
  }, 120_000);
});

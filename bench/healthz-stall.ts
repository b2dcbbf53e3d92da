// Can one request stall the server? /healthz is asked again and again (one request at a time, as a load
// balancer's probe would) while a single heavy or hostile request runs: the longest raw history allowed,
// a rule backtest over the longest range allowed, a CSV export of everything, a 1 MB ingest body, JSON
// nested too deep, and a malformed URL. Each figure is the slowest /healthz answer meanwhile, held
// against the 200 ms bound; the baseline is the slowest answer with nothing else running, measured in
// the same run.
import { startProduct, tokenFor, type ProductProcess } from './support/product.js';
import { below, type Figure, type SuiteResult } from './support/report.js';
import { percentile } from './support/stats.js';
import type { BenchContext, Suite } from './support/context.js';

const DAY = 86_400_000;
/** The longest raw history (limits.historyRange) and backtest (limits.backtestRange) the product allows by default. */
const HISTORY_RANGE = 400 * DAY;
const BACKTEST_RANGE = 31 * DAY;
const STALL_BOUND_MS = 200;
const INGEST_BATCH = 5_000;

interface Probe {
  answers: number[];
  slowest: number;
  p99: number;
  /** How long the heavy request took, ms. */
  tookMs: number;
  status: number;
}

/** Asks /healthz back to back while `heavy` runs, and once more after it, so a stall at its end counts too. */
async function probeWhile(baseUrl: string, heavy: () => Promise<number>): Promise<Probe> {
  let done = false;
  const started = performance.now();
  let tookMs = 0;
  const running = heavy().then((status) => {
    done = true;
    tookMs = performance.now() - started;
    return status;
  });
  const answers: number[] = [];
  do {
    const sent = performance.now();
    const res = await fetch(`${baseUrl}/healthz`);
    await res.arrayBuffer();
    answers.push(performance.now() - sent);
  } while (!done);
  const status = await running;
  return { answers, slowest: Math.max(...answers), p99: percentile(answers, 99), tookMs, status };
}

/** Drains a response body and returns the status (the export streams; its end is when the last byte arrived). */
async function drained(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

async function load(product: ProductProcess, rows: number, now: number, log: (m: string) => void): Promise<void> {
  const step = Math.floor((HISTORY_RANGE - 60_000) / rows);
  const first = now - HISTORY_RANGE + 30_000;
  for (let start = 0; start < rows; start += INGEST_BATCH) {
    const batch = [];
    for (let i = start; i < Math.min(rows, start + INGEST_BATCH); i++) {
      batch.push({ domain: 'sensor', id: 'busy-1', ts: first + i * step, fields: { pm25: (i % 997) + 0.25 } });
    }
    const res = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (res.status !== 202) throw new Error(`loading history answered ${res.status}: ${await res.text()}`);
  }
  // Wait until the store holds the newest row (rows are written in order).
  const last = first + (rows - 1) * step;
  for (let tries = 0; ; tries++) {
    const res = await fetch(`${product.baseUrl}/api/v1/entities/sensor/busy-1/history?from=${last}&to=${now}`, {
      headers: { authorization: `Bearer ${tokenFor(product.baseUrl)}` },
    });
    const body = (await res.json()) as { points?: unknown[] };
    if (res.status !== 200) throw new Error(`history answered ${res.status}: ${JSON.stringify(body)}`);
    if ((body.points?.length ?? 0) > 0) break;
    if (tries > 300) throw new Error('the loaded rows were not stored within a minute');
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`loaded ${rows} rows over 400 days`);
}

const TITLE = '/healthz while one heavy or hostile request runs';

export const healthzStallSuite: Suite = {
  id: 'stall',
  title: TITLE,
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const t0 = performance.now();
    const rows = ctx.quick ? 50_000 : 300_000;
    const product = await startProduct({
      teardown: ctx.teardown,
      workDir: ctx.workDir('stall'),
      overrides: {
        mqtt: { port: 0 },
        store: { retention: { enabled: false } },
        ingest: { maxPast: HISTORY_RANGE + DAY },
        rules: [
          { id: 'pm25-high', name: 'PM2.5 high', domain: 'sensor', condition: { field: 'pm25', op: '>', value: 500 }, severity: 'warning' },
        ],
      },
    });
    const figures: Figure[] = [];
    const notes: string[] = [];
    try {
      const now = Date.now();
      await load(product, rows, now, (m) => ctx.log(m));
      const base = product.baseUrl;
      const auth = { authorization: `Bearer ${tokenFor(base)}` };

      const idle = await probeWhile(base, () => new Promise((r) => setTimeout(() => r(200), 2_000)));
      const baseline = { name: '/healthz with nothing else running, slowest', value: idle.slowest };

      const cases: { name: string; heavy: () => Promise<number> }[] = [
        {
          name: `raw history, 400 days, ${rows.toLocaleString('en')} rows`,
          heavy: async () =>
            drained(await fetch(`${base}/api/v1/entities/sensor/busy-1/history?from=${now - HISTORY_RANGE}&to=${now}`, { headers: auth })),
        },
        {
          name: 'rule backtest, 31 days',
          heavy: async () =>
            drained(
              await fetch(`${base}/api/v1/rules/pm25-high/backtest?from=${now - BACKTEST_RANGE}&to=${now}`, {
                method: 'POST',
                headers: auth,
              }),
            ),
        },
        {
          name: 'CSV export, 366 days (the longest window)',
          heavy: async () =>
            drained(
              await fetch(`${base}/api/v1/export?format=csv&from=${new Date(now - 366 * DAY).toISOString()}&to=${new Date(now).toISOString()}`, {
                headers: auth,
              }),
            ),
        },
        {
          name: 'ingest, 1 MB JSON body',
          heavy: async () => {
            const item = (i: number) => ({ domain: 'sensor', id: `s-${i % 500}`, fields: { pm25: i % 300 } });
            // Just under the 1 MB body limit.
            const count = Math.floor(1_000_000 / (JSON.stringify(item(99_999)).length + 1)) - 10;
            const body = JSON.stringify(Array.from({ length: count }, (_, i) => item(i)));
            return drained(await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
          },
        },
        {
          name: 'JSON nested 200 000 deep',
          heavy: async () =>
            drained(
              await fetch(`${base}/api/v1/ingest`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '['.repeat(200_000) + ']'.repeat(200_000),
              }),
            ),
        },
        {
          name: 'malformed URL encoding',
          heavy: async () => drained(await fetch(`${base}/api/v1/entities/sensor/%E0%A4%A/history`, { headers: auth })),
        },
      ];
      for (const c of cases) {
        const probe = await probeWhile(base, c.heavy);
        ctx.log(`${c.name}: answered ${probe.status} in ${Math.round(probe.tookMs)} ms; /healthz ${probe.answers.length}×, slowest ${Math.round(probe.slowest)} ms`);
        figures.push({
          name: `${c.name}: slowest /healthz`,
          value: Math.round(probe.slowest),
          unit: 'ms',
          baseline,
          target: below(probe.slowest, STALL_BOUND_MS, `< ${STALL_BOUND_MS} ms`),
          note: `request ${probe.status} in ${Math.round(probe.tookMs)} ms; ${probe.answers.length} probes, p99 ${Math.round(probe.p99)} ms`,
        });
      }
      notes.push(
        `Probes run back to back, one at a time, from the benchmark process; the product runs alone in its own process on the embedded store (${rows.toLocaleString('en')} rows of one entity over 400 days).`,
        'No single request may hold /healthz past 200 ms (docs/PERFORMANCE.md); the baseline is the slowest probe with nothing running.',
      );
    } finally {
      await product.stop();
    }
    return { id: 'stall', title: TITLE, figures, notes, seconds: (performance.now() - t0) / 1000, quick: ctx.quick };
  },
};

// Suite 5: a peer side by side. The same paced MQTT load into a Node-RED flow (mqtt in → influxdb
// out, one write per message) and into the product, both writing to the same real InfluxDB.
import { readFileSync } from 'node:fs';
import { influxQuery } from '../test/support/services.js';
import type { BenchContext, Suite } from './support/context.js';
import { installNodeRed, nodeRedInstalled, startNodeRed } from './support/node-red.js';
import type { LoadSpec } from './support/payloads.js';
import { readMetrics } from './support/product.js';
import type { Publisher } from './support/publisher.js';
import { atLeast, type Figure, type SuiteResult, type Target } from './support/report.js';
import { formatNumber } from './support/stats.js';

interface Outcome {
  offered: number;
  sent: number;
  stored: number;
  /** Stored observations per second, from the start of publishing to the last one stored. */
  rate: number;
  loss: number;
  rssMb?: number;
}

async function countPoints(url: string, db: string): Promise<number> {
  const result = (await influxQuery(url, 'SELECT count("pm25") FROM "sensor"', db)) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Publishes at `rate` for `seconds`, then waits until the stored count has not grown for 2 s (at most 60 s). */
async function drive(
  publisher: Publisher,
  brokerUrl: string,
  spec: LoadSpec,
  rate: number,
  seconds: number,
  stored: () => Promise<number>,
  pid: number,
): Promise<Outcome> {
  const before = await stored();
  const started = performance.now();
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(pid) ?? 0)), 250);
  let last = before;
  let lastGrowth = performance.now();
  let report;
  try {
    report = await publisher.run({ url: brokerUrl, spec, rate, durationMs: seconds * 1000, qos: 1, firstSeq: 0 });
    last = await stored();
    lastGrowth = performance.now();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && performance.now() - lastGrowth < 2000 && last - before < report.observations) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = await stored();
      if (now > last) {
        last = now;
        lastGrowth = performance.now();
      }
    }
  } finally {
    clearInterval(sampler);
  }
  const count = last - before;
  return {
    offered: rate,
    sent: report.observations,
    stored: count,
    rate: count / ((lastGrowth - started) / 1000),
    loss: 1 - count / report.observations,
    rssMb: peakRss || undefined,
  };
}

/** Per-entity JSON dated by the wall clock: each of 1 000 entities reports every 1 000 / rate s. */
function liveLoad(topicRoot: string, rate: number): LoadSpec {
  return { shape: 'json', topicRoot, entities: 1000, startTs: Date.now(), spacingMs: (1000 * 1000) / rate };
}

function describe(who: string, rate: number, o: Outcome): string {
  return `${who} at ${formatNumber(rate)} obs/s: stored ${formatNumber(o.stored)} of ${formatNumber(o.sent)} (${Math.round(o.loss * 100)} % lost), ${formatNumber(o.rate)} obs/s, RSS ${formatNumber(o.rssMb ?? Number.NaN)} MB`;
}

/** The load at each rate into a fresh Node-RED (its own database), which is stopped afterwards. */
async function nodeRedRuns(
  ctx: BenchContext,
  rates: number[],
  seconds: number,
  notes: string[],
): Promise<Map<number, Outcome>> {
  const [broker, influx, publisher] = await Promise.all([ctx.mosquitto(), ctx.influxd(), ctx.publisher()]);
  const db = await ctx.influxDatabase('peer_red');
  const root = `red${process.pid}`;
  const flow = {
    brokerPort: broker.port,
    topic: `${root}/+/+`,
    influxPort: influx.port,
    db,
    clientId: `bench-red-${process.pid}`,
  };
  const red = await startNodeRed(flow, ctx.teardown);
  const outcomes = new Map<number, Outcome>();
  try {
    for (const rate of rates) {
      const stored = () => countPoints(influx.url, db);
      const outcome = await drive(publisher, broker.url, liveLoad(root, rate), rate, seconds, stored, red.pid);
      outcomes.set(rate, outcome);
      ctx.log(describe('Node-RED', rate, outcome));
    }
    const errors = red
      .output()
      .split('\n')
      .filter((l) => /error/i.test(l)).length;
    if (errors > 0)
      notes.push(
        `Node-RED logged ${errors} error lines in its last 3 KB of log (lost writes are reported only there).`,
      );
  } finally {
    await red.stop();
  }
  return outcomes;
}

/** The same load into the run's shared product on InfluxDB, counted by /metrics and cross-checked in InfluxDB. */
async function productRuns(
  ctx: BenchContext,
  rates: number[],
  seconds: number,
  notes: string[],
): Promise<Map<number, Outcome>> {
  const [broker, influx, publisher, shared] = await Promise.all([
    ctx.mosquitto(),
    ctx.influxd(),
    ctx.publisher(),
    ctx.product('influx'),
  ]);
  const product = shared.process;
  const db = shared.db ?? '';
  const before = await countPoints(influx.url, db);
  const outcomes = new Map<number, Outcome>();
  let sent = 0;
  for (const rate of rates) {
    const written = async () => (await readMetrics(product.baseUrl)).get('ioc_store_written_total') ?? 0;
    const outcome = await drive(
      publisher,
      broker.url,
      liveLoad(shared.topicRoot, rate),
      rate,
      seconds,
      written,
      product.pid,
    );
    sent += outcome.sent;
    outcomes.set(rate, outcome);
    ctx.log(describe('product', rate, outcome));
  }
  const counted = (await countPoints(influx.url, db)) - before;
  notes.push(
    `Cross-check: InfluxDB gained ${formatNumber(counted)} points from the product for ${formatNumber(sent)} sent.`,
  );
  return outcomes;
}

/** ≥ 5× Node-RED's stored rate; when Node-RED stored nothing at all the ratio has no finite value. */
function peerTarget(ours: Outcome, red: Outcome): Target {
  if (red.stored === 0) {
    const met = ours.stored > 0;
    return { text: '≥ 5× Node-RED', met, gap: met ? 'met (Node-RED stored nothing)' : 'neither stored anything' };
  }
  return atLeast(ours.rate / red.rate, 5, '≥ 5× Node-RED');
}

/** Runs the peer comparison. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const base = {
    id: 'peer',
    title: '5. Peer: Node-RED vs the product, same MQTT load into InfluxDB',
    quick: ctx.quick,
  };
  if (ctx.quick) {
    // Starting Node-RED and letting both systems drain takes longer than the whole quick run may.
    return {
      ...base,
      figures: [],
      notes: [],
      seconds: 0,
      skipped: 'full runs only (`npm run bench -- --only=peer`, ~2 min).',
    };
  }
  if (!nodeRedInstalled()) {
    ctx.log('installing node-red@4 and node-red-contrib-influxdb into bench/.work/node-red ...');
    const failure = installNodeRed();
    if (failure)
      return {
        ...base,
        figures: [],
        notes: [],
        seconds: (Date.now() - started) / 1000,
        skipped: `could not install Node-RED (${failure}); the peer comparison needs npm registry access.`,
      };
  }
  const rates = [2000, 5000, 10_000];
  const seconds = 10;
  const notes: string[] = [];
  const red = await nodeRedRuns(ctx, rates, seconds, notes);
  const ours = await productRuns(ctx, rates, seconds, notes);
  const figures: Figure[] = [];
  for (const rate of rates) {
    const r = red.get(rate);
    const o = ours.get(rate);
    if (!r || !o) continue;
    const label = `${formatNumber(rate)} obs/s offered for ${seconds} s`;
    figures.push(
      {
        name: `product, ${label}: stored rate`,
        value: o.rate,
        unit: 'obs/s',
        baseline: { name: 'Node-RED', value: r.rate },
        target: rate === rates[rates.length - 1] ? peerTarget(o, r) : undefined,
        note: `lost ${Math.round(o.loss * 1000) / 10} %, RSS ${formatNumber(o.rssMb ?? Number.NaN)} MB`,
      },
      {
        name: `Node-RED, ${label}: stored rate`,
        value: r.rate,
        unit: 'obs/s',
        note: `lost ${Math.round(r.loss * 1000) / 10} % (${formatNumber(r.sent - r.stored)} of ${formatNumber(r.sent)}), RSS ${formatNumber(r.rssMb ?? Number.NaN)} MB`,
      },
    );
  }
  notes.unshift(
    `Per-entity JSON (the same messages) published at QoS 1 by a separate process, paced, ${seconds} s per rate; each system subscribes at QoS 1 and writes into its own database on the same influxd. Stored = points counted in InfluxDB (Node-RED) or /metrics ioc_store_written_total (product), waited for until no growth for 2 s; rate = stored / (first publish → last point stored).`,
    'Flow: mqtt in (QoS 1, parsed JSON) → function (payload → [fields, tags], keeps the payload time) → influxdb out (node-red-contrib-influxdb, 1.x API, one write per message); Node-RED 4 and the contrib node are installed by the bench into bench/.work/node-red, never into the product.',
    'The ratio (≥ 5× target) is taken at the highest offered rate: it is bounded by that rate when the product keeps up, so it understates the product when both are not saturated.',
  );
  return { ...base, figures, notes, seconds: (Date.now() - started) / 1000 };
}

export const peerSuite: Suite = {
  id: 'peer',
  title: '5. Peer: Node-RED',
  prepare: (ctx) =>
    ctx.quick ? Promise.resolve() : Promise.all([ctx.influxd(), ctx.publisher(), ctx.product('influx')]),
  run,
};

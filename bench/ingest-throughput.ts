// Suite 1: observations/s from a real Mosquitto through the product's MQTT ingest, normalisation,
// store write and live fan-out, against a bare mqtt.js subscriber that only counts messages.
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import type { BenchContext, Suite } from './support/context.js';
import { connectLiveClient } from './support/live-client.js';
import { clearSession, drainBare, ingestFilters, primeSession, publishBacklog } from './support/mqtt-load.js';
import {
  observationsPerMessage,
  PAYLOAD_SHAPES,
  SHAPE_LABELS,
  type LoadSpec,
  type PayloadShape,
} from './support/payloads.js';
import { readMetrics, waitForCounter, type ProductProcess } from './support/product.js';
import { profileNotes } from './support/cpu-profile.js';
import { cpuSeconds, processCpuSeconds } from './support/proc-cpu.js';
import { atLeast, type Figure, type SuiteResult, type Target } from './support/report.js';
import { formatNumber, median, wallClockMs } from './support/stats.js';

type StoreKind = 'embedded' | 'influx';

interface Plan {
  shapes: PayloadShape[];
  stores: { kind: StoreKind; shapes: PayloadShape[] }[];
  observations: number;
  repeats: number;
  entities: number;
}

/**
 * `IOC_BENCH_INGEST_OBSERVATIONS` and `IOC_BENCH_INGEST_REPEATS` set the observations per run and the runs per
 * figure, `IOC_BENCH_INGEST_STORE` (embedded or influx) and `IOC_BENCH_INGEST_SHAPES` (comma-separated) narrow a
 * full run: e.g. one configuration long enough to profile, or repeated enough to compare two builds.
 */
function plan(quick: boolean): Plan {
  const observations = Number(process.env.IOC_BENCH_INGEST_OBSERVATIONS) || undefined;
  const repeats = Number(process.env.IOC_BENCH_INGEST_REPEATS) || undefined;
  const onlyStore = process.env.IOC_BENCH_INGEST_STORE;
  const onlyShapes = process.env.IOC_BENCH_INGEST_SHAPES?.split(',').filter((s): s is PayloadShape =>
    (PAYLOAD_SHAPES as readonly string[]).includes(s),
  );
  if (quick) {
    return {
      shapes: ['json', 'line-batch'],
      stores: [{ kind: 'embedded', shapes: ['json', 'line-batch'] }],
      observations: observations ?? 10_000,
      repeats: repeats ?? 1,
      entities: 1000,
    };
  }
  const shapes = onlyShapes?.length ? onlyShapes : [...PAYLOAD_SHAPES];
  const kinds: StoreKind[] = onlyStore === 'influx' || onlyStore === 'embedded' ? [onlyStore] : ['embedded', 'influx'];
  return {
    shapes,
    stores: kinds.map((kind) => ({ kind, shapes })),
    observations: observations ?? 100_000,
    repeats: repeats ?? 3,
    entities: 1000,
  };
}

let runCounter = 0;
const nextRoot = (prefix: string) => `${prefix}${process.pid}x${(runCounter += 1)}`;

/**
 * A load whose observations are dated just before now, 10 ms apart per entity: loads follow each
 * other by more than their span, so no point overwrites another, and the alert rules see live data
 * (old timestamps would make every sensor "silent" and benchmark an alert storm instead).
 */
function spec(shape: PayloadShape, topicRoot: string, entities: number, observations: number): LoadSpec {
  const spacingMs = 10;
  return {
    shape,
    topicRoot,
    entities,
    spacingMs,
    startTs: Date.now() - Math.ceil(observations / entities) * spacingMs,
  };
}

/** The least any ingest must do with a payload: parse it (JSON) or split it into lines (line protocol). */
const PARSERS: Record<PayloadShape, (payload: Buffer) => unknown> = {
  json: (p) => JSON.parse(p.toString()) as unknown,
  senml: (p) => JSON.parse(p.toString()) as unknown,
  'json-batch': (p) => JSON.parse(p.toString()) as unknown,
  'line-batch': (p) =>
    p
      .toString()
      .split('\n')
      .map((l) => l.split(' ')),
};

/** Bare subscriber: prime a session, queue the backlog, drain it; obs/s = msg/s × observations per message. */
async function bareRate(
  ctx: BenchContext,
  shape: PayloadShape,
  observations: number,
  entities: number,
  parse = false,
): Promise<number> {
  const broker = await ctx.mosquitto();
  const root = nextRoot('bare');
  const clientId = `bench-bare-${root}`;
  const load = spec(shape, root, entities, observations);
  const messages = Math.ceil(observations / observationsPerMessage(load));
  await primeSession(broker.url, clientId, ingestFilters(root));
  try {
    await publishBacklog(broker.url, load, messages);
    const work = parse ? PARSERS[shape] : undefined;
    const drained = await drainBare(broker.url, clientId, ingestFilters(root), messages, 120_000, work);
    const seconds = (drained.lastAt - drained.firstAt) / 1000;
    return ((messages - 1) * observationsPerMessage(load)) / seconds;
  } finally {
    await clearSession(broker.url, clientId);
  }
}

interface RunOutcome {
  rate: number;
  /**
   * CPU per stored observation, µs: the product (all threads), its main thread, its busiest other thread (the
   * embedded store's SQLite writer, when there is one), Mosquitto, influxd (0 without).
   */
  cpu: { product: number; main: number; busiestOther: number; broker: number; store: number };
  /** Longest /metrics answer during the drain (the product's event loop was blocked that long). */
  slowestMs: number;
  dropped: number;
  rejected: number;
}

/**
 * One product run: freeze the product (SIGSTOP) while a QoS 1 backlog is queued for it, let it go
 * (SIGCONT) and time until every observation is counted as written by the store (/metrics).
 */
async function productRun(
  ctx: BenchContext,
  product: ProductProcess,
  root: string,
  shape: PayloadShape,
  observations: number,
  entities: number,
  /** influxd's, when the product writes to InfluxDB: its CPU is part of the cost of an observation. */
  storePid?: number,
): Promise<RunOutcome> {
  const broker = await ctx.mosquitto();
  const load = spec(shape, root, entities, observations);
  const messages = Math.ceil(observations / observationsPerMessage(load));
  const expected = messages * observationsPerMessage(load);
  const before = await readMetrics(product.baseUrl);
  const written0 = before.get('ioc_store_written_total') ?? 0;
  const brokerPid = broker.process.pid;
  process.kill(product.pid, 'SIGSTOP');
  let resumedAt: number;
  let cpu0: CpuSnapshot;
  try {
    await publishBacklog(broker.url, load, messages);
  } finally {
    cpu0 = cpuSnapshot(product.pid, brokerPid, storePid);
    resumedAt = wallClockMs();
    process.kill(product.pid, 'SIGCONT');
  }
  // Every 50 ms: each /metrics answer costs the product CPU, and polling faster would slow what is measured.
  const done = await waitForCounter(product.baseUrl, 'ioc_store_written_total', written0 + expected, 180_000, 50);
  const cpu1 = cpuSnapshot(product.pid, brokerPid, storePid);
  const diff = (name: string) => (done.metrics.get(name) ?? 0) - (before.get(name) ?? 0);
  const perObservation = (key: Exclude<keyof CpuSnapshot, 'threads'>) => ((cpu1[key] - cpu0[key]) / expected) * 1e6;
  let busiestOther = 0;
  for (const [tid, seconds] of cpu1.threads) {
    if (tid !== product.pid) busiestOther = Math.max(busiestOther, seconds - (cpu0.threads.get(tid) ?? 0));
  }
  return {
    cpu: {
      product: perObservation('product'),
      main: perObservation('main'),
      busiestOther: (busiestOther / expected) * 1e6,
      broker: perObservation('broker'),
      store: perObservation('store'),
    },
    rate: expected / ((done.at - resumedAt) / 1000),
    slowestMs: done.slowestMs,
    dropped: diff('ioc_store_dropped_total'),
    rejected: diff('ioc_ingest_rejected_total'),
  };
}

/** CPU seconds so far of the product (all threads, and each), its main thread, the broker and influxd (when running). */
interface CpuSnapshot {
  product: number;
  main: number;
  broker: number;
  store: number;
  /** Every thread of the product by its id (threads are not named: the main thread's id is the pid). */
  threads: Map<number, number>;
}

/** CPU seconds so far of each of a process's threads. */
function threadSeconds(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) threads.set(Number(tid), cpuSeconds(`/proc/${pid}/task/${tid}/stat`));
  } catch {
    // The process is gone: no threads.
  }
  return threads;
}

function cpuSnapshot(productPid: number, brokerPid: number | undefined, storePid: number | undefined): CpuSnapshot {
  return {
    threads: threadSeconds(productPid),
    product: cpuSeconds(`/proc/${productPid}/stat`),
    main: cpuSeconds(`/proc/${productPid}/task/${productPid}/stat`),
    broker: processCpuSeconds(brokerPid),
    store: processCpuSeconds(storePid),
  };
}

/** A row of the CPU budget table: µs per observation by process, and the rate that total allows on this machine's cores. */
function cpuBudgetRow(kind: StoreKind, shape: PayloadShape, outcomes: readonly RunOutcome[]): string {
  const us = (pick: (o: RunOutcome) => number) => median(outcomes.map(pick));
  const product = us((o) => o.cpu.product);
  const broker = us((o) => o.cpu.broker);
  const store = us((o) => o.cpu.store);
  const total = product + broker + store;
  const ceiling = (cpus().length * 1e6) / total;
  const cell = (v: number) => `${formatNumber(v)} µs`;
  return `| ${SHAPE_LABELS[shape]} → ${kind === 'influx' ? 'InfluxDB' : 'embedded'} | ${cell(product)} | ${cell(us((o) => o.cpu.main))} | ${cell(us((o) => o.cpu.busiestOther))} | ${cell(broker)} | ${kind === 'influx' ? cell(store) : '–'} | ${cell(total)} | ${formatNumber(ceiling)} obs/s |`;
}

/** The run's shared product for a store, with one socket.io client subscribed to every layer (columns, as the console). */
async function startPipeline(ctx: BenchContext, kind: StoreKind) {
  const shared = await ctx.product(kind);
  const live = await connectLiveClient(shared.process.baseUrl);
  return { product: shared.process, root: shared.topicRoot, live };
}

/**
 * Per-entity shapes: ≥ 50 000 obs/s and ≥ 0.6× the bare subscriber. Batched shapes: the rate alone (the bare
 * subscriber only counts messages, a hundred observations each, so a ratio to it says nothing).
 */
function ingestTarget(rate: number, bare: number, shape: PayloadShape): Target {
  const abs = atLeast(rate, 50_000, '≥ 50 000 obs/s');
  if (shape === 'json-batch' || shape === 'line-batch') return abs;
  const share = atLeast(rate / bare, 0.6, '≥ 0.6× bare');
  return {
    text: '≥ 50 000 obs/s and ≥ 0.6× bare',
    met: abs.met && share.met,
    gap: `${abs.met ? 'rate met' : `rate ${abs.gap}`}; ${(rate / bare).toFixed(2)}× bare`,
  };
}

/** The bare subscriber's rate per shape, counting only and with a parse; median of the plan's repeats. */
async function measureBare(ctx: BenchContext, p: Plan): Promise<Map<PayloadShape, { count: number; parse: number }>> {
  const bare = new Map<PayloadShape, { count: number; parse: number }>();
  for (const shape of p.shapes) {
    const count: number[] = [];
    const parse: number[] = [];
    for (let i = 0; i < p.repeats; i++) {
      count.push(await bareRate(ctx, shape, p.observations, p.entities));
      parse.push(await bareRate(ctx, shape, p.observations, p.entities, true));
    }
    bare.set(shape, { count: median(count), parse: median(parse) });
    ctx.log(
      `bare subscriber, ${SHAPE_LABELS[shape]}: ${formatNumber(median(count))} obs/s (${count.map(formatNumber).join(', ')}); with parse ${formatNumber(median(parse))} obs/s`,
    );
  }
  return bare;
}

/** Runs the ingest throughput sweep. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const p = plan(ctx.quick);
  const figures: Figure[] = [];
  const notes: string[] = [];
  const bare = await measureBare(ctx, p);
  const worst: { kind: StoreKind; shape: PayloadShape; rate: number }[] = [];
  const budget: string[] = [];
  for (const store of p.stores) {
    const { product, root, live } = await startPipeline(ctx, store.kind);
    const storePid = store.kind === 'influx' ? (await ctx.influxd()).process.pid : undefined;
    try {
      for (const shape of store.shapes) {
        const outcomes: RunOutcome[] = [];
        for (let i = 0; i < p.repeats; i++) {
          outcomes.push(await productRun(ctx, product, root, shape, p.observations, p.entities, storePid));
        }
        budget.push(cpuBudgetRow(store.kind, shape, outcomes));
        ctx.log(`CPU per observation ${budget.at(-1)}`);
        const rate = median(outcomes.map((o) => o.rate));
        const baseline = bare.get(shape)?.count ?? Number.NaN;
        const parsed = bare.get(shape)?.parse ?? Number.NaN;
        ctx.log(
          `${store.kind}, ${SHAPE_LABELS[shape]}: ${formatNumber(rate)} obs/s (${outcomes.map((o) => formatNumber(o.rate)).join(', ')})`,
        );
        const lost = outcomes.reduce((n, o) => n + o.dropped + o.rejected, 0);
        const stall = Math.max(...outcomes.map((o) => o.slowestMs));
        figures.push({
          name: `${SHAPE_LABELS[shape]} → ${store.kind === 'influx' ? 'InfluxDB' : 'embedded store'} + live`,
          value: rate,
          unit: 'obs/s',
          baseline: { name: 'bare subscriber', value: baseline },
          target: ingestTarget(rate, baseline, shape),
          note: `${Math.round((rate / parsed) * 100)} % of bare + parse; /metrics answered in up to ${formatNumber(stall)} ms${lost > 0 ? `; ${lost} dropped or rejected` : ''}`,
        });
        worst.push({ kind: store.kind, shape, rate });
      }
      notes.push(
        `${store.kind}: the live client received ${formatNumber(live.deltas)} deltas carrying ${formatNumber(live.upserts)} entity updates during the runs.`,
      );
    } finally {
      live.close();
    }
  }
  for (const shape of p.shapes) {
    const b = bare.get(shape);
    figures.push(
      { name: `bare mqtt.js subscriber, ${SHAPE_LABELS[shape]}`, value: b?.count ?? 0, unit: 'obs/s' },
      { name: `bare subscriber + parse, ${SHAPE_LABELS[shape]}`, value: b?.parse ?? 0, unit: 'obs/s' },
    );
  }
  notes.push(
    `CPU per observation (median of the runs; /proc utime + stime over each drain, the /metrics polls included). Every process here shares the machine's ${cpus().length} cores, so ${cpus().length} s of CPU per second divided by the total is the most this machine can ingest, whatever runs in parallel:`,
    [
      '| shape → store | product, all threads | its main thread | its busiest other thread | Mosquitto | influxd | total | ceiling on this machine |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...budget,
    ].join('\n'),
    `Method: ${formatNumber(p.observations)} observations over ${p.entities} entities per run, queued at QoS 1 in Mosquitto (max_queued_messages 1 000 000, max_inflight_messages 0) while the product process is stopped (SIGSTOP), then timed from SIGCONT until /metrics ioc_store_written_total counts them all; median of ${p.repeats}. The bare subscriber drains the same backlog from a resumed persistent session and only counts messages (batch shapes: messages × 100); "bare + parse" also JSON.parses each payload (line protocol: splits lines and fields), the least any ingest must do.`,
    'The product runs in its own process (tsx), the same process for every run of a store (its store grows run by run), with one socket.io client subscribed to every layer with the columns encoding, as the console subscribes; the publisher and the clients live in the runner.',
  );
  if (ctx.profile) {
    const slowest = worst.sort((a, b) => a.rate - b.rate)[0];
    if (slowest) notes.push(...(await profileRun(ctx, slowest.kind, slowest.shape, p)));
  }
  return {
    id: 'ingest',
    title: '1. Ingest throughput: MQTT → normalise → store → live',
    figures,
    notes,
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

/** Re-runs one configuration under the CPU profiler (warm product) and summarises where the product spends its time. */
async function profileRun(ctx: BenchContext, kind: StoreKind, shape: PayloadShape, p: Plan): Promise<string[]> {
  const file = path.join(ctx.workDir('profiles'), `ingest-${kind}-${shape}-${Date.now()}.cpuprofile`);
  const { product, root, live } = await startPipeline(ctx, kind);
  try {
    await product.startProfile();
    const outcome = await productRun(ctx, product, root, shape, p.observations, p.entities);
    await product.stopProfile(file);
    ctx.log(`profiled run (${kind}, ${SHAPE_LABELS[shape]}): ${formatNumber(outcome.rate)} obs/s under the profiler`);
  } finally {
    live.close();
  }
  return profileNotes(file, `ingest, ${kind}, ${SHAPE_LABELS[shape]} (${formatNumber(p.observations)} observations)`);
}

export const ingestSuite: Suite = {
  id: 'ingest',
  title: '1. Ingest throughput',
  prepare: (ctx) => Promise.all(plan(ctx.quick).stores.map((s) => ctx.product(s.kind))),
  run,
};

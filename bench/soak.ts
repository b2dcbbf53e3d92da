// Suite: soak. The target load (10 000 obs/s of per-entity JSON at QoS 1, 50 socket.io clients) held for
// 30 minutes on a fresh product, sampled every 10 s: RSS, heap, event-loop delay p99, CPU and how far the
// store is behind. A leak, a queue that never drains or a slow creep in the event loop shows here and in
// no short run. Writes a chart (docs/bench/soak.svg) and a table per minute into BENCHMARKS.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { watchBrokerSys } from './support/broker-sys.js';
import { startClientProcess } from './support/client-procs.js';
import { loadNice, setNice } from './support/priority.js';
import { ROOT, type BenchContext, type Suite } from './support/context.js';
import type { LoadSpec } from './support/payloads.js';
import { readMetrics, startProduct, tokenFor, type ProductProcess } from './support/product.js';
import { below, type Figure, type SuiteResult } from './support/report.js';
import { formatNumber, LatencyHistogram, wallClockMs } from './support/stats.js';
import { processCpuSeconds, threadSchedule } from './support/proc-cpu.js';
import { startPublisher } from './support/publisher.js';
import { soakChart, type SoakSample } from './support/soak-chart.js';

const ENTITIES = 1000;
const CLIENTS = 50;
/** The chart BENCHMARKS.md shows, relative to the repository root. */
const CHART = 'docs/bench/soak.svg';

interface Plan {
  minutes: number;
  sampleMs: number;
  rate: number;
  store: 'embedded' | 'influx';
  /** Samples before this are warm-up (caches filling, JIT): left out of the drift fit. */
  warmupMinutes: number;
}

/** `IOC_BENCH_SOAK_MINUTES`, `IOC_BENCH_SOAK_RATE` and `IOC_BENCH_SOAK_STORE` change a full run (e.g. a 4-hour soak). */
function plan(quick: boolean): Plan {
  const env = (name: string) => {
    const value = Number(process.env[name]);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const store = process.env.IOC_BENCH_SOAK_STORE === 'embedded' ? 'embedded' : 'influx';
  if (quick) return { minutes: 0.5, sampleMs: 5000, rate: 10_000, store, warmupMinutes: 0.1 };
  const minutes = env('IOC_BENCH_SOAK_MINUTES') ?? 30;
  return {
    minutes,
    sampleMs: 10_000,
    rate: env('IOC_BENCH_SOAK_RATE') ?? 10_000,
    store,
    warmupMinutes: Math.min(5, minutes / 6),
  };
}

/** A product of its own (the shared one carries other suites' data), on the run's broker and, for InfluxDB, a fresh database. */
async function freshProduct(
  ctx: BenchContext,
  store: Plan['store'],
): Promise<{ product: ProductProcess; root: string }> {
  const broker = await ctx.mosquitto();
  const root = `soak${process.pid}`;
  const overrides: Record<string, unknown> = {
    mqtt: { url: broker.url, clientId: `bench-soak-${process.pid}`, topicRoot: root },
  };
  if (store === 'influx') overrides.influx = { url: (await ctx.influxd()).url, db: await ctx.influxDatabase('soak') };
  const product = await startProduct({ overrides, teardown: ctx.teardown, workDir: ctx.workDir('product-soak') });
  return { product, root };
}

/** CPU time of the whole machine from /proc/stat: stolen by the host (other machines), idle waiting for the disk, and in all. */
function hostTicks(): { steal: number; iowait: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { steal: fields[7] ?? 0, iowait: fields[4] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
}

/** Least-squares slope of y over x (per unit of x). */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MB = 1024 * 1024;

/** A figure that may be unknown (the broker had not reported yet). */
function optional(value: number | undefined): string {
  return value === undefined ? '–' : formatNumber(value);
}

/** A histogram's mean over a window in ms, from the growth of its sum (s) and count. */
function meanMs(sumSeconds: number, count: number): number | undefined {
  return count > 0 ? (sumSeconds / count) * 1000 : undefined;
}

/** The largest of the defined values, undefined when there is none. */
function worstOf(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined);
  return defined.length > 0 ? Math.max(...defined) : undefined;
}

/** One row per minute: memory at the minute's end, the worst event-loop p99, backlog and waits within it. */
function minuteTable(samples: readonly SoakSample[]): string {
  const rows = [
    '| minute | RSS MB | heap used MB | event loop p99 ms (worst 10 s) | store backlog (worst) | behind the offered pace | broker holds | broker dropped | log fdatasync ms (worst 10 s mean) | accepted → written ms (worst 10 s mean) | CPU % of a core | main thread waiting for a core % | broker CPU % | InfluxDB CPU % | host steal % | disk wait % (worst 10 s) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const last = Math.ceil(samples.at(-1)?.minute ?? 0);
  for (let m = 1; m <= last; m++) {
    const inMinute = samples.filter((s) => s.minute > m - 1 && s.minute <= m);
    const end = inMinute.at(-1);
    if (!end) continue;
    const worstLoop = Math.max(...inMinute.map((s) => s.loopP99));
    const worstBacklog = Math.max(...inMinute.map((s) => s.backlog));
    const cpu = inMinute.reduce((a, s) => a + s.cpu, 0) / inMinute.length;
    const steal = inMinute.reduce((a, s) => a + s.steal, 0) / inMinute.length;
    const iowait = worstOf(inMinute.map((s) => s.iowait));
    const meanOf = (pick: (s: SoakSample) => number | undefined) => {
      const values = inMinute.map(pick).filter((v): v is number => v !== undefined);
      return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
    };
    const mainWait = meanOf((s) => s.mainWait);
    const brokerCpu = meanOf((s) => s.brokerCpu);
    const influxCpu = meanOf((s) => s.influxCpu);
    rows.push(
      `| ${m} | ${formatNumber(end.rss / MB)} | ${formatNumber(end.heapUsed / MB)} | ${formatNumber(worstLoop)} | ${formatNumber(worstBacklog)} | ${formatNumber(end.behind)} | ${optional(end.brokerHeld)} | ${optional(end.brokerDropped)} | ${optional(worstOf(inMinute.map((s) => s.walSyncMs)))} | ${optional(worstOf(inMinute.map((s) => s.storeWriteMs)))} | ${formatNumber(cpu * 100)} | ${optional(mainWait === undefined ? undefined : mainWait * 100)} | ${optional(brokerCpu === undefined ? undefined : brokerCpu * 100)} | ${optional(influxCpu === undefined ? undefined : influxCpu * 100)} | ${formatNumber(steal * 100)} | ${iowait === undefined ? '–' : formatNumber(iowait * 100)} |`,
    );
  }
  return rows.join('\n');
}

/** The drift of a series after warm-up, in units per 10 minutes, and whether it stays under `limit` per 10 minutes. */
function drift(samples: readonly SoakSample[], warmup: number, pick: (s: SoakSample) => number): number {
  const kept = samples.filter((s) => s.minute > warmup);
  return (
    slope(
      kept.map((s) => s.minute),
      kept.map(pick),
    ) * 10
  );
}

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const p = plan(ctx.quick);
  // A publisher of its own, so lowering its priority leaves the run's shared one as it was.
  const [publisher, { product, root }] = await Promise.all([startPublisher(ctx.teardown), freshProduct(ctx, p.store)]);
  const broker = await ctx.mosquitto();
  const sys = await watchBrokerSys(broker.url);
  const procs = await Promise.all([
    startClientProcess(ctx.teardown, 'soak light clients'),
    startClientProcess(ctx.teardown, 'soak measuring client'),
  ]);
  const [lightProc, measureProc] = procs;
  // The publisher and the consoles stand in for other machines: they give way when the cores are short.
  const nice = loadNice();
  setNice(ctx, publisher.pid, nice, 'the publisher');
  for (const proc of procs) setNice(ctx, proc.pid, nice, 'a client process');
  const samples: SoakSample[] = [];
  const latency = new LatencyHistogram();
  let published = { messages: 0, observations: 0, lateTicks: 0, ms: 0 };
  try {
    const token = tokenFor(product.baseUrl);
    await lightProc.request({ type: 'connect', baseUrl: product.baseUrl, token, light: CLIENTS - 1, full: 0 });
    await measureProc.request({ type: 'connect', baseUrl: product.baseUrl, token, light: 0, full: 1 });
    const durationMs = p.minutes * 60_000;
    const since = wallClockMs() + p.warmupMinutes * 60_000;
    await Promise.all(procs.map((proc) => proc.request({ type: 'measure', since })));
    const spec: LoadSpec = {
      shape: 'json',
      topicRoot: root,
      entities: ENTITIES,
      spacingMs: (1000 * ENTITIES) / p.rate,
      startTs: Date.now(),
    };
    const publishing = publisher.run({ url: broker.url, spec, rate: p.rate, durationMs, qos: 1, firstSeq: 0 });
    await product.loopDelay();
    const t0 = performance.now();
    let previous = await readMetrics(product.baseUrl);
    let previousAt = t0;
    let previousHost = hostTicks();
    const brokerPid = broker.process.pid;
    const influxPid = p.store === 'influx' ? (await ctx.influxd()).process.pid : undefined;
    const serverCpu = () => ({ broker: processCpuSeconds(brokerPid), influx: processCpuSeconds(influxPid) });
    let previousServers = serverCpu();
    let previousMain = threadSchedule(product.pid);
    const accepted0 = previous.get('ioc_ingest_accepted_total') ?? 0;
    // The broker's drop counter counts since it started (other suites share it): the soak's part is the growth.
    const dropped0 = sys.dropped() ?? 0;
    let done = false;
    void publishing.finally(() => (done = true)).catch(() => undefined);
    // Sampled on a fixed grid from t0, so a slow sample does not stretch the run.
    for (let n = 1; !done; n++) {
      const wait = t0 + n * p.sampleMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const [metrics, loop, memory] = await Promise.all([
        readMetrics(product.baseUrl),
        product.loopDelay(),
        product.memory(),
      ]);
      const now = performance.now();
      const host = hostTicks();
      const servers = serverCpu();
      const main = threadSchedule(product.pid);
      const seconds = (now - previousAt) / 1000;
      const counter = (name: string, from: Map<string, number>) => (metrics.get(name) ?? 0) - (from.get(name) ?? 0);
      const sample: SoakSample = {
        minute: (now - t0) / 60_000,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        loopP99: loop.p99,
        loopMax: loop.max,
        // Accepted but not yet written by the store: what a crash would have to replay from the log.
        backlog: (metrics.get('ioc_ingest_accepted_total') ?? 0) - (metrics.get('ioc_store_written_total') ?? 0),
        stored: counter('ioc_store_written_total', previous) / ((now - previousAt) / 1000),
        cpu: counter('ioc_process_cpu_seconds_total', previous) / ((now - previousAt) / 1000),
        dropped: metrics.get('ioc_store_dropped_total') ?? 0,
        // What the broker still holds for us, roughly: the offered pace so far minus what ingest accepted.
        // (The pace stops with the publisher: a sample after its end does not count seconds it never offered.)
        behind: Math.max(
          0,
          (p.rate * Math.min(now - t0, durationMs)) / 1000 -
            ((metrics.get('ioc_ingest_accepted_total') ?? 0) - accepted0),
        ),
        steal: (host.steal - previousHost.steal) / Math.max(1, host.total - previousHost.total),
        iowait: (host.iowait - previousHost.iowait) / Math.max(1, host.total - previousHost.total),
        // Runnable but not running: the product's main thread waiting for a core other processes hold.
        mainWait: (main.waitNs - previousMain.waitNs) / 1e6 / (now - previousAt),
        brokerCpu: (servers.broker - previousServers.broker) / seconds,
        influxCpu: influxPid === undefined ? undefined : (servers.influx - previousServers.influx) / seconds,
        brokerHeld: sys.held(),
        brokerDropped: sys.dropped() === undefined ? undefined : sys.dropped()! - dropped0,
        // Means over the window from the histograms' sums and counts: which wait grew when ingest stalled.
        walSyncMs: meanMs(
          counter('ioc_wal_sync_seconds_sum', previous),
          counter('ioc_wal_sync_seconds_count', previous),
        ),
        storeWriteMs: meanMs(
          counter('ioc_ingest_to_store_seconds_sum', previous),
          counter('ioc_ingest_to_store_seconds_count', previous),
        ),
      };
      previousHost = host;
      previousServers = servers;
      previousMain = main;
      samples.push(sample);
      previous = metrics;
      previousAt = now;
      ctx.log(
        `${sample.minute.toFixed(1)} min: RSS ${formatNumber(sample.rss / MB)} MB, heap ${formatNumber(sample.heapUsed / MB)} MB, loop p99 ${formatNumber(sample.loopP99)} ms, stored ${formatNumber(sample.stored)} obs/s, backlog ${formatNumber(sample.backlog)}, behind the offered pace ${formatNumber(sample.behind)}, broker holds ${optional(sample.brokerHeld)} and dropped ${optional(sample.brokerDropped)}, log fdatasync ${optional(sample.walSyncMs)} ms, accepted → written ${optional(sample.storeWriteMs)} ms, CPU ${formatNumber(sample.cpu * 100)} % (main thread waiting for a core ${formatNumber((sample.mainWait ?? 0) * 100)} % of the time; broker ${formatNumber((sample.brokerCpu ?? 0) * 100)} %, InfluxDB ${optional(sample.influxCpu === undefined ? undefined : sample.influxCpu * 100)} %), host steal ${formatNumber(sample.steal * 100)} %, disk wait ${formatNumber((sample.iowait ?? 0) * 100)} %`,
      );
    }
    published = await publishing;
    for (const proc of procs) await proc.collect(latency);
  } finally {
    await Promise.all([...procs.map((proc) => proc.stop()), publisher.stop()]);
    await product.stop();
    await sys.close();
  }

  const final = samples.at(-1);
  const kept = samples.filter((s) => s.minute > p.warmupMinutes);
  const meanRss = kept.reduce((a, s) => a + s.rss, 0) / Math.max(1, kept.length);
  const rssDrift = drift(samples, p.warmupMinutes, (s) => s.rss);
  const heapDrift = drift(samples, p.warmupMinutes, (s) => s.heapUsed);
  const loopDrift = drift(samples, p.warmupMinutes, (s) => s.loopP99);
  const worstLoop = Math.max(0, ...kept.map((s) => s.loopP99));
  const worstBacklog = Math.max(0, ...kept.map((s) => s.backlog));
  const summary = latency.summary();
  const offered = published.observations / (published.ms / 1000);
  const chart = soakChart(samples, {
    title: `Soak: ${formatNumber(p.rate)} obs/s, ${CLIENTS} clients, ${p.store === 'influx' ? 'InfluxDB' : 'embedded store'}, ${p.minutes} min`,
    warmupMinutes: p.warmupMinutes,
  });
  // The samples beside the run's work files, so the chart can be drawn again without a new 30-minute run.
  writeFileSync(path.join(ctx.workDir('soak'), 'samples.json'), JSON.stringify(samples));
  const chartFile = ctx.write ? path.join(ROOT, CHART) : path.join(ctx.workDir('soak'), 'soak.svg');
  mkdirSync(path.dirname(chartFile), { recursive: true });
  writeFileSync(chartFile, chart);
  ctx.log(`chart written to ${path.relative(ROOT, chartFile)}`);

  // Flat: after warm-up, the fitted growth over 10 minutes stays under 5 % of the mean RSS.
  const flatLimit = 0.05 * meanRss;
  const figures: Figure[] = [
    {
      name: `RSS drift after warm-up (per 10 min; mean ${formatNumber(meanRss / MB)} MB)`,
      value: rssDrift / MB,
      unit: 'MB',
      target: below(Math.abs(rssDrift), flatLimit, 'memory flat: |drift| < 5 % of RSS per 10 min'),
    },
    {
      name: 'heap used drift after warm-up (per 10 min)',
      value: heapDrift / MB,
      unit: 'MB',
      target: below(Math.abs(heapDrift), flatLimit, 'memory flat: |drift| < 5 % of RSS per 10 min'),
    },
    {
      name: 'event-loop delay p99, worst 10 s window',
      value: worstLoop,
      unit: 'ms',
      note: `drift ${formatNumber(loopDrift)} ms per 10 min`,
    },
    {
      name: 'store backlog, worst sample (accepted, not yet written)',
      value: worstBacklog,
      unit: 'obs',
      target: below(worstBacklog / p.rate, 1, 'store keeps up: backlog < 1 s of input'),
      note: `final ${formatNumber(final?.backlog ?? 0)}; dropped ${formatNumber(final?.dropped ?? 0)}`,
    },
    {
      name: 'ingest behind at the end: messages the broker held ($SYS store count; else the offered pace minus what ingest accepted)',
      value: final?.brokerHeld ?? final?.behind ?? 0,
      unit: 'obs',
      target: below(
        (final?.brokerHeld ?? final?.behind ?? 0) / p.rate,
        1,
        'ingest keeps up: < 1 s of input behind at the end',
      ),
      note: `behind the offered pace: worst ${formatNumber(Math.max(0, ...kept.map((s) => s.behind)))}, at the end ${formatNumber(final?.behind ?? 0)}`,
    },
    {
      name: 'messages the broker dropped during the soak ($SYS/broker/publish/messages/dropped)',
      value: final?.brokerDropped ?? 0,
      unit: 'msgs',
      target: below(final?.brokerDropped ?? 0, 1, 'nothing lost: 0 dropped'),
      note: `the benchmark broker's max_queued_messages is 1 000 000 per session`,
    },
    {
      name: 'CPU taken by the host (steal), mean over the soak',
      value: (100 * samples.reduce((a, s) => a + s.steal, 0)) / Math.max(1, samples.length),
      unit: '%',
      note: `worst 10 s ${formatNumber(100 * Math.max(0, ...samples.map((s) => s.steal)))} %: other machines on the same host; the product got that much less of the 2 cores`,
    },
    {
      name: 'p99 publish → delta over the soak (after warm-up)',
      value: summary.p99,
      unit: 'ms',
      note: `p50 ${formatNumber(summary.p50)} ms, ${formatNumber(summary.count)} samples`,
    },
    {
      name: 'offered rate (publisher)',
      value: offered,
      unit: 'obs/s',
      note: `${published.lateTicks} late publisher ticks`,
    },
  ];
  const notes = [
    `![Soak chart: RSS, heap, event-loop p99 and store backlog over time](${CHART})`,
    `Method: a fresh product (${p.store === 'influx' ? 'InfluxDB' : 'embedded store'}, write-ahead log with fdatasync on) fed ${formatNumber(p.rate)} obs/s of per-entity JSON over ${ENTITIES} entities at QoS 1 by the paced publisher process for ${p.minutes} min, with ${CLIENTS} socket.io clients subscribed to every layer (${CLIENTS - 1} light clients in one process, one decoding client that measures latency in another). Every ${p.sampleMs / 1000} s: process.memoryUsage() and the event-loop delay histogram (reset per sample) from inside the product, counters from /metrics, and the broker's own counts of the messages it holds and has dropped (\`$SYS/broker/store/messages/count\`, \`$SYS/broker/publish/messages/dropped\`, reported every 10 s). Per sample too: how long the product's main thread was runnable but waiting for a core (/proc schedstat), the CPU of the broker and of influxd, and the host's disk wait. The publisher and the client processes run at nice ${nice} (\`IOC_BENCH_LOAD_NICE\`): they stand in for other machines, so when the 2 cores are short they give way first, and "behind the offered pace" can then grow while the broker holds nothing (the publisher itself late: its late ticks). The first ${formatNumber(p.warmupMinutes)} min are warm-up, left out of the drift fits (least squares over the remaining samples).`,
    minuteTable(samples),
  ];
  return {
    id: 'soak',
    title: `Soak: ${p.minutes} minutes at the target rate`,
    figures,
    notes,
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

export const soakSuite: Suite = {
  id: 'soak',
  title: 'Soak at the target rate',
  onlyWhenNamed: true,
  prepare: (ctx) => Promise.all([ctx.mosquitto(), plan(ctx.quick).store === 'influx' ? ctx.influxd() : undefined]),
  run,
};

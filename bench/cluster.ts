// Suite: scale-out. 1, 2 and 3 product nodes behind one Mosquitto (shared subscriptions), one
// InfluxDB, one Redis (socket.io adapter) and one PostgreSQL (state): for each node count, the
// loss-free ingest ceiling (backlog drain) and the publish → delta latency at a fixed offered rate
// with the /live clients spread over the nodes, each node's CPU, and the scaling factor.
import { cpus } from 'node:os';
import type { BenchContext, Suite } from './support/context.js';
import { startClientProcess, type ClientProcess } from './support/client-procs.js';
import {
  bareRate,
  connectClients,
  drain,
  measureLatency,
  type Drain,
  type LatencyOutcome,
  type LatencyPoint,
} from './support/cluster-measure.js';
import { startCluster, type Cluster } from './support/cluster-nodes.js';
import type { Publisher } from './support/publisher.js';
import type { Figure, SuiteResult } from './support/report.js';
import { formatNumber, median } from './support/stats.js';

/** Node counts of a full run; a quick run stops at 2 (each cluster start costs seconds). */
const NODE_COUNTS = [1, 2, 3];
const QUICK_NODE_COUNTS = [1, 2];

interface Plan {
  nodeCounts: number[];
  observations: number;
  /** Observations of the drain before the measured ones, per cluster. */
  warmup: number;
  repeats: number;
  entities: number;
  timing: { warmupMs: number; durationMs: number };
  points: LatencyPoint[];
}

const TARGET_POINT: LatencyPoint = { rate: 10_000, clients: 50, entities: 1000, label: '10,000 obs/s, 50 clients' };
/** README "Sizing a province": 50 k devices once a minute + 2 k vehicles at 1 Hz ≈ 2 833 obs/s, 100 consoles. */
const PROVINCE_POINT: LatencyPoint = {
  rate: 3000,
  clients: 100,
  entities: 10_000,
  label: '3,000 obs/s over 10,000 entities, 100 clients (a province)',
};

function plan(quick: boolean): Plan {
  if (quick)
    return {
      nodeCounts: QUICK_NODE_COUNTS,
      observations: 10_000,
      warmup: 2000,
      repeats: 1,
      entities: 1000,
      timing: { warmupMs: 500, durationMs: 1500 },
      points: [TARGET_POINT],
    };
  return {
    nodeCounts: NODE_COUNTS,
    observations: 100_000,
    warmup: 5000,
    repeats: 3,
    entities: 1000,
    timing: { warmupMs: 2000, durationMs: 8000 },
    points: [TARGET_POINT, PROVINCE_POINT],
  };
}

/** What one node count measured. */
interface NodeCountResult {
  size: number;
  placement: string;
  rate: number;
  drains: Drain[];
  points: { point: LatencyPoint; outcome: LatencyOutcome }[];
}

const percentOfCore = (cores: number[]) => cores.map((c) => `${formatNumber(c * 100)} %`).join(' / ');

/**
 * Starts one cluster per node count, side by side (each with its own Redis), and drains the same
 * backlog through each in turn, round after round: load from other work on a shared machine drifts
 * over minutes, and interleaving spreads that drift over every node count alike. Then the latency
 * points, one cluster at a time. A cluster that does not start is reported and the others go on.
 */
async function measureAll(
  ctx: BenchContext,
  p: Plan,
  procs: ClientProcess[],
  publisher: Publisher,
): Promise<{ results: NodeCountResult[]; errors: string[] }> {
  const clusters: Cluster[] = [];
  const errors: string[] = [];
  const fail = (what: string, err: unknown) => {
    const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    errors.push(message);
    console.error(`  cluster: ${message}`);
  };
  try {
    const up = async (size: number) => {
      const startedAt = Date.now();
      const cluster = await startCluster(ctx, size);
      ctx.log(`${size} node(s) up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s, ${cluster.placement}`);
      return cluster;
    };
    // The first cluster makes the state schema alone; the others then start together (each start costs seconds).
    const [firstSize, ...otherSizes] = p.nodeCounts;
    const first = await Promise.allSettled(firstSize === undefined ? [] : [up(firstSize)]);
    const others = await Promise.allSettled(otherSizes.map(up));
    [...first, ...others].forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') clusters.push(outcome.value);
      else fail(`${p.nodeCounts[i]} nodes`, outcome.reason);
    });
    for (const cluster of [...clusters]) {
      try {
        // Not counted: the first writes make the entities' series in the fresh InfluxDB database and warm the JIT.
        await drain(cluster, p.warmup, p.entities);
      } catch (err) {
        fail(`${cluster.nodes.length} nodes, warm-up`, err);
        clusters.splice(clusters.indexOf(cluster), 1);
        await cluster.stop();
      }
    }
    const drains = new Map<Cluster, Drain[]>(clusters.map((c) => [c, []]));
    for (let round = 0; round < p.repeats; round++) {
      for (const cluster of clusters) {
        const d = await drain(cluster, p.observations, p.entities);
        drains.get(cluster)?.push(d);
        ctx.log(
          `round ${round + 1}, ${cluster.nodes.length} node(s): ${formatNumber(d.rate)} obs/s; CPU per node ${percentOfCore(d.cpu)} of a core; ` +
            `shares ${d.share.map((x) => `${Math.round(x * 100)} %`).join(' / ')}`,
        );
      }
    }
    const results: NodeCountResult[] = [];
    for (const cluster of clusters) {
      const size = cluster.nodes.length;
      const points: NodeCountResult['points'] = [];
      try {
        for (const point of p.points) {
          await connectClients(cluster, point, procs);
          const outcome = await measureLatency(cluster, procs, publisher, point, p.timing);
          points.push({ point, outcome });
          ctx.log(
            `${size} node(s), ${point.label}: p50 ${formatNumber(outcome.summary.p50)} / p99 ${formatNumber(outcome.summary.p99)} ms ` +
              `(${formatNumber(outcome.summary.count)} samples; ingested ${formatNumber(outcome.ingested)} of ${formatNumber(outcome.offered)} obs/s; ` +
              `CPU per node ${percentOfCore(outcome.cpu)} of a core, clients ${formatNumber(outcome.clientCpu * 100)} %)`,
          );
        }
      } catch (err) {
        fail(`${size} nodes, latency`, err);
      } finally {
        await Promise.all(procs.map((proc) => proc.request({ type: 'close' }).catch(() => undefined)));
      }
      const own = drains.get(cluster) ?? [];
      results.push({ size, placement: cluster.placement, rate: median(own.map((d) => d.rate)), drains: own, points });
    }
    return { results, errors };
  } finally {
    await Promise.all(clusters.map((c) => c.stop()));
  }
}

function nodeCountFigures(r: NodeCountResult, one: NodeCountResult | undefined, bare: number): Figure[] {
  const nodes = `${r.size} node${r.size === 1 ? '' : 's'}`;
  const lost = r.drains.reduce((n, d) => n + d.lost, 0);
  const last = r.drains[r.drains.length - 1];
  const figures: Figure[] = [
    {
      name: `max ingest, ${nodes} (${r.placement})`,
      value: r.rate,
      unit: 'obs/s',
      baseline: r.size === 1 || !one ? { name: 'bare subscriber', value: bare } : { name: '1 node (ratio: scaling factor)', value: one.rate },
      note: `CPU per node ${percentOfCore(last?.cpu ?? [])} of a core; shares ${(last?.share ?? []).map((s) => `${Math.round(s * 100)} %`).join(' / ')}; ${lost === 0 ? 'nothing dropped or rejected' : `${lost} dropped or rejected`}`,
    },
  ];
  for (const { point, outcome } of r.points) {
    const before = one?.points.find((q) => q.point === point)?.outcome;
    const behind =
      outcome.ingested < 0.95 * outcome.offered
        ? `ingest fell behind: ${formatNumber(outcome.ingested)} of ${formatNumber(outcome.offered)} obs/s; `
        : '';
    figures.push({
      name: `p99, ${point.label}, ${nodes}`,
      value: outcome.summary.p99,
      unit: 'ms',
      baseline: r.size > 1 && before ? { name: '1 node', value: before.summary.p99 } : undefined,
      note: `${behind}p50 ${formatNumber(outcome.summary.p50)} ms; CPU per node ${percentOfCore(outcome.cpu)} of a core; RSS per node ${outcome.rssMb.map((mb) => `${formatNumber(mb)} MB`).join(' / ')}`,
    });
  }
  return figures;
}

function summaryTable(results: NodeCountResult[], points: LatencyPoint[]): string {
  const one = results.find((r) => r.size === 1);
  const header = [
    '| nodes | placement | max ingest, obs/s | scaling (× 1 node) | CPU per node, drain |',
    ...points.map((p) => ` p50 / p99 at ${p.label} | CPU per node there |`),
  ].join('');
  const rule = `|---|---|---:|---:|---|${points.map(() => '---|---|').join('')}`;
  const rows = results.map((r) => {
    const cells = [
      String(r.size),
      r.placement,
      formatNumber(r.rate),
      one ? `${formatNumber(r.rate / one.rate)}×` : '–',
      percentOfCore(r.drains[r.drains.length - 1]?.cpu ?? []),
      ...points.flatMap((p) => {
        const o = r.points.find((q) => q.point === p)?.outcome;
        return o ? [`${formatNumber(o.summary.p50)} / ${formatNumber(o.summary.p99)} ms`, percentOfCore(o.cpu)] : ['–', '–'];
      }),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

/** Runs the scale-out measurements for 1, 2 and 3 nodes. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const p = plan(ctx.quick);
  const cores = cpus().length;
  const publisher = await ctx.publisher();
  const bareRuns: number[] = [];
  for (let i = 0; i < p.repeats; i++) bareRuns.push(await bareRate(ctx, p.observations, p.entities));
  const bare = median(bareRuns);
  ctx.log(`bare subscriber: ${formatNumber(bare)} obs/s (${bareRuns.map(formatNumber).join(', ')})`);
  const procs = await Promise.all([
    startClientProcess(ctx.teardown, 'cluster light clients'),
    startClientProcess(ctx.teardown, 'cluster measuring clients'),
  ]);
  let measured: { results: NodeCountResult[]; errors: string[] };
  try {
    measured = await measureAll(ctx, p, procs, publisher);
  } finally {
    await Promise.all(procs.map((proc) => proc.stop()));
  }
  const { results, errors } = measured;
  const error = errors.length > 0 ? errors.join('; ') : undefined;
  if (results.length === 0) throw new Error(`the cluster suite measured nothing: ${error ?? 'no cluster started'}`);
  const one = results.find((r) => r.size === 1);
  const figures: Figure[] = [
    ...results.flatMap((r) => nodeCountFigures(r, one, bare)),
    { name: 'bare mqtt.js subscriber, JSON per entity (one process: the ceiling of one node)', value: bare, unit: 'obs/s' },
  ];
  const unpinned = p.nodeCounts.filter((n) => n > cores);
  const notes = [
    summaryTable(results, p.points),
    ...(ctx.quick ? [`Quick run: ${p.nodeCounts.join(' and ')} nodes only; the full run adds ${NODE_COUNTS.filter((n) => !p.nodeCounts.includes(n)).join(', ')}.`] : []),
    `Scaling factor: max ingest of N nodes ÷ max ingest of 1 node, both measured in this run. This machine has ${cores} core${cores === 1 ? '' : 's'}: ` +
      (unpinned.length > 0
        ? `${unpinned.join(' and ')} nodes cannot each have a core of their own, so those nodes run unpinned and share the cores with each other; `
        : 'every node count runs with a core per node; ') +
      'with fewer nodes each node is pinned to its own core (`taskset -a -p`; IOC_BENCH_CLUSTER_PIN=0 leaves them unpinned), but Mosquitto, InfluxDB, Redis, PostgreSQL, the publisher and the clients share those same cores, so the figures show how the product divides a fixed machine, not what a core per node on separate machines gives.',
    `Throughput: ${formatNumber(p.observations)} per-entity JSON observations over ${p.entities} entities queued at QoS 1 while every node is stopped (SIGSTOP); the broker deals them out over the nodes' shared subscription (\`$share/<group>/…\`); all nodes resume at once and the time runs until the nodes' \`ioc_store_written_total\` add up to the backlog (one InfluxDB database for all); median of ${p.repeats}. "Nothing dropped or rejected" sums \`ioc_store_dropped_total\` and \`ioc_ingest_rejected_total\` over the nodes. CPU per node is \`ioc_process_cpu_seconds_total\` over the last round's drain (100 % = one core busy).`,
    `Latency: per-entity JSON published at QoS 0 at a fixed rate by a separate process (${p.timing.warmupMs / 1000} s warm-up, ${p.timing.durationMs / 1000} s measured); the clients are spread over the nodes (light websocket clients round-robin in one process, then one measuring socket.io client per node in the other), all in one subscription group, so every delta from another node's ingest crosses Redis. A sample is (receive time − sentAt) for every entity in every delta the measuring clients get; baseline: the same point on 1 node.`,
    'Deployment as measured: each node has its own ingest client id (IOC_MQTT_CLIENT_ID; nodes on separate hosts get `ioc-ingest-<host name>` by default), the same `mqtt.sharedGroup`, `redisUrl` and `postgresUrl`, and one InfluxDB; the clients reach their node directly over websocket (behind a balancer, long-polling needs sticky sessions).',
  ];
  return {
    id: 'cluster',
    title: 'Scale-out: 1, 2 and 3 nodes (shared subscriptions, Redis adapter, one InfluxDB, one PostgreSQL)',
    figures,
    notes,
    error,
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

export const clusterSuite: Suite = {
  id: 'cluster',
  title: 'Scale-out (cluster)',
  prepare: (ctx) =>
    Promise.all([ctx.mosquitto(), ctx.influxd(), ctx.postgres(), ctx.publisher()]),
  run,
};

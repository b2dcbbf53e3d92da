// A cluster of product nodes for the scale-out benchmark, configured as docs/ARCHITECTURE.md
// ("Cluster mode") deploys one: one Mosquitto with a shared-subscription group, one InfluxDB, one
// Redis for the socket.io adapter and one PostgreSQL state store, each node in its own process.
// Clusters of a run share the broker, influxd and the PostgreSQL server; each has its own Redis,
// topic root, shared group and InfluxDB database.
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { startRedis } from '../../test/support/services.js';
import type { BenchContext } from './context.js';
import { clearSession, publishBacklog } from './mqtt-load.js';
import type { LoadSpec } from './payloads.js';
import { readMetrics, startProduct, type ProductProcess } from './product.js';

const execFileAsync = promisify(execFile);

/** One node of a cluster. */
export interface ClusterNode {
  /** 1-based, as the tables name nodes. */
  number: number;
  product: ProductProcess;
  /** The node's ingest client id (IOC_MQTT_CLIENT_ID in a deployment; nodes on one host need distinct ones). */
  clientId: string;
  /** The core the node is pinned to, or undefined when the machine has fewer cores than nodes. */
  core: number | undefined;
}

/** A running cluster: N nodes sharing one broker group, one InfluxDB database, one Redis and one PostgreSQL database. */
export interface Cluster {
  nodes: ClusterNode[];
  brokerUrl: string;
  topicRoot: string;
  /** How the nodes sit on the cores, for tables ("pinned to cores 0, 1" or why not). */
  placement: string;
  pinned: boolean;
  /** /metrics of every node, in node order. */
  metrics(): Promise<Map<string, number>[]>;
  /** Sends a signal to every node's process (SIGSTOP / SIGCONT to queue a backlog for all of them). */
  signal(signal: NodeJS.Signals): void;
  /** Stops every node and removes their broker sessions; idempotent. */
  stop(): Promise<void>;
}

/** One state database per run: every cluster signs in with the same admin, and only the first creates the schema. */
const stateByContext = new WeakMap<BenchContext, { url: Promise<string>; ready: boolean }>();

let clusters = 0;

/** `name` summed over every node's /metrics. */
export function sumOf(metrics: readonly Map<string, number>[], name: string): number {
  return metrics.reduce((total, m) => total + (m.get(name) ?? 0), 0);
}

/**
 * Pins a running process and all its threads to one core. `taskset -p` on the running pid rather
 * than a `taskset -c` wrapper, so the product starts exactly as everywhere else in the benchmarks;
 * threads started later (the store writer) inherit the mask.
 */
async function pin(pid: number, core: number): Promise<void> {
  try {
    await execFileAsync('taskset', ['-a', '-c', '-p', String(core), String(pid)]);
  } catch (err) {
    throw new Error(`taskset could not pin pid ${pid} to core ${core}: ${(err as Error).message}`);
  }
}

/**
 * Publishes small rounds of probe messages until every node has ingested some: a node's shared
 * subscription is made after it reports ready, and a node the broker does not yet know would get
 * no share of the backlog that follows.
 */
async function waitForSplit(cluster: Cluster, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let round = 0;
  let seen: number[] = [];
  while (Date.now() < deadline) {
    const spec: LoadSpec = { shape: 'json', topicRoot: cluster.topicRoot, entities: 50, startTs: Date.now() - 60_000 };
    await publishBacklog(cluster.brokerUrl, spec, 10 * cluster.nodes.length, { timeoutMs: 10_000 });
    round += 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
    seen = (await cluster.metrics()).map((m) => m.get('ioc_ingest_messages_total') ?? 0);
    if (seen.every((n) => n > 0)) return;
  }
  throw new Error(
    `the broker did not split the probe messages over all ${cluster.nodes.length} nodes within ${timeoutMs / 1000} s ` +
      `(${round} rounds; messages per node: ${seen.join(', ')}): a node's shared subscription is missing`,
  );
}

/**
 * Starts `size` nodes on the run's shared Mosquitto, influxd and PostgreSQL and a Redis of their own, pins each
 * to its own core when the machine has at least `size` cores, and returns once the broker splits
 * the stream between all of them. Every cluster of a run shares one state database (PostgreSQL)
 * and gets a fresh InfluxDB database and topic root.
 */
export async function startCluster(ctx: BenchContext, size: number): Promise<Cluster> {
  let state = stateByContext.get(ctx);
  if (!state) {
    state = { url: ctx.postgresDatabase('ioc_cluster'), ready: false };
    stateByContext.set(ctx, state);
  }
  const [broker, influx, postgresUrl, db] = await Promise.all([
    ctx.mosquitto(),
    ctx.influxd(),
    state.url,
    ctx.influxDatabase('ioc_cluster'),
  ]);
  // A Redis of its own: the adapter's channels are global to a Redis server, and clusters of a run
  // stay up side by side (so that their drains can be interleaved).
  const redis = await startRedis();
  ctx.teardown.track(redis.process);
  clusters += 1;
  const topicRoot = `cl${process.pid}x${clusters}n${size}`;
  const workDir = ctx.workDir(`cluster-${size}`);
  const clientIds = Array.from({ length: size }, (_, i) => `bench-${topicRoot}-node${i + 1}`);
  const overrides = (i: number): Record<string, unknown> => ({
    mqtt: { url: broker.url, sharedGroup: `g${topicRoot}`, topicRoot, clientId: clientIds[i] },
    influx: { url: influx.url, db },
    redisUrl: redis.url,
    postgresUrl,
  });
  const started: ProductProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // A node stopped for a drain (SIGSTOP) cannot answer its stop request: let it run first.
      for (const p of started) {
        try {
          process.kill(p.pid, 'SIGCONT');
        } catch {
          // already gone
        }
      }
      await Promise.all(started.map((p) => p.stop()));
      // The ingest sessions are persistent (QoS 1): without this the broker would keep them, and
      // their shared subscriptions, for the rest of the run.
      await Promise.all(clientIds.map((id) => clearSession(broker.url, id).catch(() => undefined)));
      await redis.stop();
    })();
    return stopping;
  };
  // Runs before the nodes' own teardown steps (newest first) if the runner is interrupted.
  ctx.teardown.add(`cluster of ${size}`, stop);
  const startNode = async (i: number) => {
    try {
      const product = await startProduct({ overrides: overrides(i), teardown: ctx.teardown, workDir });
      started.push(product);
      return product;
    } catch (err) {
      throw new Error(`node ${i + 1} of ${size} did not start: ${(err as Error).message}`);
    }
  };
  try {
    // Nodes making the schema at the same time could trip over each other's CREATE TABLE: the first node of the run starts alone.
    const first = state.ready ? [] : [await startNode(0)];
    state.ready = true;
    const rest = await Promise.all(Array.from({ length: size - first.length }, (_, i) => startNode(i + first.length)));
    const products = [...first, ...rest];
    const cores = cpus().length;
    // IOC_BENCH_CLUSTER_PIN=0 leaves every node to the scheduler, to compare with the pinned figures.
    const pinned = cores >= size && process.env.IOC_BENCH_CLUSTER_PIN !== '0';
    if (pinned) await Promise.all(products.map((p, i) => pin(p.pid, i)));
    const nodes: ClusterNode[] = products.map((product, i) => ({
      number: i + 1,
      product,
      clientId: clientIds[i] ?? '',
      core: pinned ? i : undefined,
    }));
    const cluster: Cluster = {
      nodes,
      brokerUrl: broker.url,
      topicRoot,
      pinned,
      placement: pinned
        ? `pinned to core${size > 1 ? 's' : ''} ${nodes.map((n) => n.core).join(', ')}`
        : cores >= size
          ? 'not pinned (IOC_BENCH_CLUSTER_PIN=0)'
          : `not pinned: ${size} nodes on ${cores} cores`,
      metrics: () => Promise.all(nodes.map((n) => readMetrics(n.product.baseUrl))),
      signal: (signal) => {
        for (const n of nodes) process.kill(n.product.pid, signal);
      },
      stop,
    };
    await waitForSplit(cluster);
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

// Measurements on a running cluster (bench/cluster.ts): the loss-free ingest ceiling by backlog
// drain, the bare subscriber it is compared with, and publish → delta latency with /live clients
// spread over the nodes.
import type { BenchContext } from './context.js';
import type { ClientProcess } from './client-procs.js';
import { sumOf, type Cluster } from './cluster-nodes.js';
import { clearSession, drainBare, ingestFilters, primeSession, publishBacklog } from './mqtt-load.js';
import type { LoadSpec } from './payloads.js';
import { tokenFor } from './product.js';
import type { Publisher } from './publisher.js';
import { LatencyHistogram, wallClockMs, type LatencySummary } from './stats.js';

/** How long a node takes to learn the other nodes' subscription groups (live.clusterPollInterval, default 1 s), with a margin. */
const GROUP_LEARNING_MS = 1500;

/** A fixed offered rate with /live clients spread over the nodes. */
export interface LatencyPoint {
  rate: number;
  clients: number;
  entities: number;
  /** For tables: what the point stands for. */
  label: string;
}

/** Per-entity JSON dated just before now, 10 ms apart per entity (as the ingest suite's loads). */
function backlogSpec(topicRoot: string, entities: number, observations: number): LoadSpec {
  const spacingMs = 10;
  return {
    shape: 'json',
    topicRoot,
    entities,
    spacingMs,
    startTs: Date.now() - Math.ceil(observations / entities) * spacingMs,
  };
}

export interface Drain {
  rate: number;
  /** Each node's CPU over the drain, in cores. */
  cpu: number[];
  /** Each node's share of the observations written. */
  share: number[];
  /** Dropped by a store buffer or rejected by ingest (must be 0). */
  lost: number;
}

/**
 * Every node stopped (SIGSTOP) while a QoS 1 backlog is queued; the broker deals it out between the
 * nodes' sessions. Then all resume at once, timed until the nodes' store counters add up to it.
 */
export async function drain(cluster: Cluster, observations: number, entities: number): Promise<Drain> {
  const before = await cluster.metrics();
  const target = sumOf(before, 'ioc_store_written_total') + observations;
  cluster.signal('SIGSTOP');
  let resumedAt: number;
  try {
    await publishBacklog(cluster.brokerUrl, backlogSpec(cluster.topicRoot, entities, observations), observations);
  } finally {
    resumedAt = wallClockMs();
    cluster.signal('SIGCONT');
  }
  const deadline = Date.now() + 180_000;
  for (;;) {
    const after = await cluster.metrics();
    const at = wallClockMs();
    const written = sumOf(after, 'ioc_store_written_total');
    if (written >= target) {
      const seconds = (at - resumedAt) / 1000;
      const diff = (i: number, name: string) => (after[i]?.get(name) ?? 0) - (before[i]?.get(name) ?? 0);
      const nodes = cluster.nodes.map((_, i) => i);
      return {
        rate: observations / seconds,
        cpu: nodes.map((i) => diff(i, 'ioc_process_cpu_seconds_total') / seconds),
        share: nodes.map((i) => diff(i, 'ioc_store_written_total') / observations),
        lost: nodes.reduce((n, i) => n + diff(i, 'ioc_store_dropped_total') + diff(i, 'ioc_ingest_rejected_total'), 0),
      };
    }
    if (Date.now() > deadline)
      throw new Error(
        `${cluster.nodes.length} nodes wrote ${written - (target - observations)} of ${observations} observations within 180 s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The transport's ceiling: one bare mqtt.js subscriber that only counts, draining the same backlog. */
export async function bareRate(ctx: BenchContext, observations: number, entities: number): Promise<number> {
  const broker = await ctx.mosquitto();
  const root = `clbare${process.pid}x${Date.now().toString(36)}`;
  const clientId = `bench-${root}`;
  await primeSession(broker.url, clientId, ingestFilters(root));
  try {
    await publishBacklog(broker.url, backlogSpec(root, entities, observations), observations);
    const drained = await drainBare(broker.url, clientId, ingestFilters(root), observations, 120_000);
    return (observations - 1) / ((drained.lastAt - drained.firstAt) / 1000);
  } finally {
    await clearSession(broker.url, clientId);
  }
}

export interface LatencyOutcome {
  summary: LatencySummary;
  offered: number;
  ingested: number;
  /** Each node's CPU over the point, in cores. */
  cpu: number[];
  clientCpu: number;
  /** Each node's resident memory at the end of the point, in MB. */
  rssMb: number[];
}

/**
 * Spreads the point's clients over the nodes: the light ones round-robin in one process, then one
 * measuring socket.io client per node, last, in the other (served after every other socket of its
 * node). Every socket joins the same group, so each node sends its share of the city to the others'.
 */
export async function connectClients(cluster: Cluster, point: LatencyPoint, procs: ClientProcess[]): Promise<void> {
  const [lightProc, measureProc] = procs;
  if (!lightProc || !measureProc) throw new Error('two client processes are needed');
  await Promise.all(procs.map((p) => p.request({ type: 'close' })));
  const size = cluster.nodes.length;
  const light = Math.max(0, point.clients - size);
  for (const node of cluster.nodes) {
    const count = Math.floor(light / size) + (node.number <= light % size ? 1 : 0);
    const baseUrl = node.product.baseUrl;
    await lightProc.request({ type: 'connect', baseUrl, token: tokenFor(baseUrl), light: count, full: 0 });
  }
  for (const node of cluster.nodes) {
    const baseUrl = node.product.baseUrl;
    await measureProc.request({ type: 'connect', baseUrl, token: tokenFor(baseUrl), light: 0, full: 1 });
  }
  await new Promise((resolve) => setTimeout(resolve, GROUP_LEARNING_MS));
}

export async function measureLatency(
  cluster: Cluster,
  procs: ClientProcess[],
  publisher: Publisher,
  point: LatencyPoint,
  timing: { warmupMs: number; durationMs: number },
): Promise<LatencyOutcome> {
  const since = wallClockMs() + timing.warmupMs;
  await Promise.all(procs.map((p) => p.request({ type: 'measure', since })));
  const before = await cluster.metrics();
  // Each entity's timeline follows the wall clock from now, so it is newer than anything the drains sent.
  const spec: LoadSpec = {
    shape: 'json',
    topicRoot: cluster.topicRoot,
    entities: point.entities,
    spacingMs: (1000 * point.entities) / point.rate,
    startTs: Date.now(),
  };
  const report = await publisher.run({
    url: cluster.brokerUrl,
    spec,
    rate: point.rate,
    durationMs: timing.warmupMs + timing.durationMs,
    qos: 0,
    firstSeq: 0,
  });
  const after = await cluster.metrics();
  const seconds = report.ms / 1000;
  const ingestedBefore = sumOf(before, 'ioc_ingest_messages_total');
  const ingested = sumOf(after, 'ioc_ingest_messages_total') - ingestedBefore;
  // Let the nodes drain what they are behind on (bounded), so the next point starts clean.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (sumOf(await cluster.metrics(), 'ioc_ingest_messages_total') >= ingestedBefore + report.messages) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
  const total = new LatencyHistogram();
  let clientCpu = 0;
  for (const p of procs) clientCpu += (await p.collect(total)).cpu;
  return {
    summary: total.summary(),
    offered: report.observations / seconds,
    ingested: ingested / seconds,
    cpu: cluster.nodes.map(
      (_, i) =>
        ((after[i]?.get('ioc_process_cpu_seconds_total') ?? 0) - (before[i]?.get('ioc_process_cpu_seconds_total') ?? 0)) /
        seconds,
    ),
    clientCpu,
    rssMb: after.map((m) => (m.get('ioc_process_resident_memory_bytes') ?? Number.NaN) / 1e6),
  };
}


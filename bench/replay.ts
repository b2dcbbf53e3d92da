// Suite: replay and export — the city's state at random moments of the last day, frames over a
// window at step 1 s, and a CSV export, each against the bare database query answering the same
// question (last row per entity before t; a plain query-and-write loop). Figures are reported, never
// asserted. Size: IOC_BENCH_REPLAY_SIZE=quick|full|<entities>x<hours> (default: quick with --quick,
// else full: 1 000 entities at 1 Hz over 24 h, frames over 1 h, an export of 1 000 000 points).
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../config/load.js';
import { ExportQuerySchema } from '../contract/index.js';
import { CSV_FORMAT } from '../server/export/csv.js';
import type { ByteSink } from '../server/export/format.js';
import { planColumns, scanOptionsOf, selector } from '../server/export/select.js';
import { createReplayService, REPLAY_LOOKBACK_MS, REPLAY_SCAN_CHUNK } from '../server/replay/replay-service.js';
import { InfluxHttp } from '../server/store/influx-http.js';
import { createStore } from '../server/store/index.js';
import type { TelemetryStore } from '../server/store/types.js';
import type { BenchContext, Suite } from './support/context.js';
import type { LoadSpec } from './support/payloads.js';
import {
  bareEmbedded,
  bareInflux,
  loadEmbedded,
  loadInflux,
  type BareQueries,
  type Progress,
} from './support/replay-data.js';
import { atLeast, below, type Figure, type SuiteResult } from './support/report.js';
import { formatNumber, percentile } from './support/stats.js';

interface City {
  entities: number;
  /** Seconds of history at 1 Hz. */
  seconds: number;
  spec: LoadSpec;
  from: number;
  to: number;
  points: number;
  /** Random moments for state-at-t. */
  samples: number;
  /** Seconds of the frames window. */
  frameSeconds: number;
  /** Points of the export. */
  exportPoints: number;
}

/** The city's size: IOC_BENCH_REPLAY_SIZE, else quick or full by the runner's flag. */
function city(quick: boolean, size = process.env.IOC_BENCH_REPLAY_SIZE): City {
  const custom = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(size ?? '');
  const full = size === 'full' || (size === undefined && !quick);
  const entities = custom ? Number(custom[1]) : full ? 1000 : 100;
  const seconds = Math.round((custom ? Number(custom[2]) : full ? 24 : 2) * 3600);
  if (size !== undefined && !custom && size !== 'full' && size !== 'quick') {
    throw new Error(`IOC_BENCH_REPLAY_SIZE=${size}: use quick, full or <entities>x<hours>, e.g. 300x6`);
  }
  // The day ends a minute ago, so every moment replayed is in the past.
  const to = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const from = to - (seconds - 1) * 1000;
  const spec: LoadSpec = { shape: 'json', topicRoot: 'x', entities, startTs: from };
  const points = entities * seconds;
  return {
    entities,
    seconds,
    spec,
    from,
    to,
    points,
    samples: full || custom ? 50 : 20,
    frameSeconds: Math.min(seconds, full || custom ? 3600 : 600),
    exportPoints: Math.min(points, full ? 1_000_000 : custom ? 1_000_000 : 200_000),
  };
}

/** Whether this is the size the goals are stated for. */
function isGoalSize(c: City): boolean {
  return c.entities >= 1000 && c.seconds >= 24 * 3600 && c.exportPoints >= 1_000_000;
}

/** A small deterministic PRNG (mulberry32), so every run replays the same moments. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let gc: (() => void) | undefined;
/** A full collection before a heap measure, so garbage left by the previous one is not counted as its start. */
function collect(): void {
  if (!gc) {
    // The runner is not started with --expose-gc; this exposes it to a fresh context only.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Interval of the full collections that measure the live heap during an export (they cost it 1–2 % of its time). */
const LIVE_HEAP_EVERY_MS = 2000;

/**
 * Samples heapUsed and RSS every 100 ms while `work` runs; returns its result, wall ms and their peak
 * growth (MB). With `live`, also a full collection every LIVE_HEAP_EVERY_MS and the peak heap left
 * after one: what the work holds, garbage aside.
 */
async function watched<T>(
  work: () => Promise<T>,
  live = false,
): Promise<{ result: T; ms: number; heapMb: number; rssMb: number; liveMb: number }> {
  collect();
  const before = process.memoryUsage();
  let peak = before.heapUsed;
  let peakRss = before.rss;
  let peakLive = before.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peak = Math.max(peak, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  };
  const timer = setInterval(sample, 100);
  const liveTimer = live
    ? setInterval(() => {
        collect();
        peakLive = Math.max(peakLive, process.memoryUsage().heapUsed);
      }, LIVE_HEAP_EVERY_MS)
    : undefined;
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    sample();
    return {
      result,
      ms,
      heapMb: (peak - before.heapUsed) / 1048576,
      rssMb: (peakRss - before.rss) / 1048576,
      liveMb: (peakLive - before.heapUsed) / 1048576,
    };
  } finally {
    clearInterval(timer);
    clearInterval(liveTimer);
  }
}

async function countScan(store: TelemetryStore, from: number, to: number): Promise<number> {
  let n = 0;
  for await (const chunk of store.scan({ from, to, chunkSize: REPLAY_SCAN_CHUNK })) n += chunk.length;
  return n;
}

async function measureStore(
  label: string,
  store: TelemetryStore,
  bareQueries: BareQueries,
  c: City,
  ctx: BenchContext,
): Promise<Figure[]> {
  const figures: Figure[] = [];
  const replay = createReplayService({
    telemetry: store,
    // No alerts in this city: the state store's part of the answer is left out of the measure.
    state: { loadAlerts: () => Promise.resolve([]), loadAlertsOpenAt: () => Promise.resolve([]) },
    domains: { sensor: { staleAfter: 120_000 } },
  });
  const scope = { layers: ['sensor'] };

  // 1. State at random moments of the last day.
  const rnd = random(42);
  const ours: number[] = [];
  const bare: number[] = [];
  let shown = 0;
  let bareRows = 0;
  // One untimed warm-up of each, so the first sample does not pay for cold caches.
  await replay.stateAt(c.from + Math.floor(c.seconds / 2) * 1000, scope);
  await bareQueries.lastPerEntity(c.from + Math.floor(c.seconds / 2) * 1000, REPLAY_LOOKBACK_MS);
  for (let i = 0; i < c.samples; i++) {
    const at = c.from + Math.floor(rnd() * c.seconds) * 1000;
    let started = performance.now();
    shown = (await replay.stateAt(at, scope)).entities.length;
    ours.push(performance.now() - started);
    started = performance.now();
    bareRows = await bareQueries.lastPerEntity(at, REPLAY_LOOKBACK_MS);
    bare.push(performance.now() - started);
  }
  for (const p of [50, 95]) {
    const value = percentile(ours, p);
    figures.push({
      name: `${label}: state at t, p${p}`,
      value,
      unit: 'ms',
      baseline: { name: 'bare last row per entity before t', value: percentile(bare, p) },
      note: `${shown} entities, ${c.samples} random moments`,
      ...(p === 95 ? { target: below(value, 1000, 'p95 < 1 s') } : {}),
    });
  }
  ctx.log(
    `${label} state at t: p50 ${percentile(ours, 50).toFixed(1)} / p95 ${percentile(ours, 95).toFixed(1)} ms (${shown} entities) vs bare p50 ${percentile(bare, 50).toFixed(1)} / p95 ${percentile(bare, 95).toFixed(1)} ms (${bareRows} rows)`,
  );

  // 2. Frames over a window at step 1 s, starting one window before the end of the day.
  const fFrom = c.to - c.frameSeconds * 1000;
  const fTo = c.to;
  const frames = await watched(async () => {
    let n = 0;
    for await (const frame of replay.frames(fFrom, fTo, 1000, scope)) if (frame) n += 1;
    return n;
  });
  const frameScan = await watched(() => countScan(store, fFrom, fTo));
  const produced = (fTo - fFrom) / 1000;
  const speed = produced / (frames.ms / 1000);
  figures.push({
    name: `${label}: frames, ${c.frameSeconds / 60} min at step 1 s`,
    value: speed,
    unit: '× real time',
    baseline: { name: 'bare counting scan', value: produced / (frameScan.ms / 1000) },
    note: `${frames.result} frames in ${formatNumber(frames.ms / 1000)} s; scan ${frameScan.result} rows`,
    target: atLeast(speed, 100, '≥ 100× real time'),
  });
  ctx.log(
    `${label} frames: ${frames.result} frames in ${frames.ms.toFixed(0)} ms (${speed.toFixed(0)}× real time) vs bare scan ${frameScan.result} rows in ${frameScan.ms.toFixed(0)} ms`,
  );

  // 3. CSV export of N points, as the router does it (columns from the catalogue, scan → select → CSV), bytes discarded.
  const eSeconds = Math.ceil(c.exportPoints / c.entities);
  const eFrom = c.from;
  const eTo = c.from + (eSeconds - 1) * 1000;
  const query = ExportQuerySchema.parse({ format: 'csv', from: String(eFrom), to: String(eTo) });
  let bytes = 0;
  const sink: ByteSink = {
    write(chunk) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      return Promise.resolve();
    },
  };
  const exported = await watched(async () => {
    const columns = await planColumns(store, query, 'names');
    const writer = CSV_FORMAT.open(sink, columns);
    const select = selector(query);
    let rows = 0;
    for await (const chunk of store.scan(scanOptionsOf(query, 5000))) {
      const kept = select(chunk);
      if (kept.length > 0) rows += await writer.write(kept);
    }
    await writer.end();
    return rows;
  }, true);
  let bareBytes = 0;
  const bareSink: ByteSink = {
    write(chunk) {
      bareBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      return Promise.resolve();
    },
  };
  const exportScan = await watched(() => bareQueries.queryAndWrite(eFrom, eTo, bareSink));
  figures.push({
    name: `${label}: CSV export of ${formatNumber(exported.result)} points`,
    value: exported.result / (exported.ms / 1000),
    unit: 'rows/s',
    baseline: { name: 'bare query-and-write loop', value: exportScan.result / (exportScan.ms / 1000) },
    note: `${formatNumber(bytes / 1048576)} MB of CSV discarded (bare: ${formatNumber(bareBytes / 1048576)} MB)`,
  });
  figures.push({
    name: `${label}: CSV export, peak heap growth`,
    value: exported.heapMb,
    unit: 'MB',
    baseline: { name: 'bare query-and-write loop', value: exportScan.heapMb },
    note: 'heapUsed sampled every 100 ms, after a full GC',
  });
  figures.push({
    name: `${label}: CSV export, peak live heap growth`,
    value: exported.liveMb,
    unit: 'MB',
    note: `heapUsed right after a full GC every ${LIVE_HEAP_EVERY_MS / 1000} s: what the export holds, garbage aside`,
    // Holding the rows would be hundreds of MB at this size; a streaming export holds a chunk or two.
    target: below(exported.liveMb, 50, 'constant memory: live heap growth < 50 MB'),
  });
  figures.push({
    name: `${label}: CSV export, peak RSS growth`,
    value: exported.rssMb,
    unit: 'MB',
    baseline: { name: 'bare query-and-write loop', value: exportScan.rssMb },
    note: 'RSS sampled every 100 ms',
  });
  ctx.log(
    `${label} export: ${exported.result} rows in ${exported.ms.toFixed(0)} ms (+${exported.heapMb.toFixed(1)} MB heap, +${exported.liveMb.toFixed(1)} MB live heap, +${exported.rssMb.toFixed(1)} MB RSS) vs bare ${exportScan.result} rows in ${exportScan.ms.toFixed(0)} ms (+${exportScan.heapMb.toFixed(1)} MB heap, +${exportScan.rssMb.toFixed(1)} MB RSS)`,
  );
  return figures;
}

/** Logs a load's progress at every tenth of it, with the time left at the rate so far: a full load runs for many minutes. */
function loadProgress(ctx: BenchContext, store: string): Progress {
  const started = performance.now();
  let shown = 0;
  return (done, total) => {
    const tenth = Math.floor((done / total) * 10);
    if (tenth <= shown || done >= total) return;
    shown = tenth;
    const rate = done / ((performance.now() - started) / 1000);
    ctx.log(
      `${store}: loading ${tenth * 10} % (${formatNumber(done)} of ${formatNumber(total)} points, ${formatNumber(rate)} points/s, about ${Math.ceil((total - done) / rate / 60)} min left)`,
    );
  };
}

async function embedded(ctx: BenchContext, c: City, notes: string[]): Promise<Figure[]> {
  const dataDir = mkdtempSync(path.join(ctx.workDir('replay'), 'embedded-'));
  // Loaded before the store opens the file, straight through the writer's own code in 100 000-row transactions.
  const rate = loadEmbedded(dataDir, c.points, c.spec, loadProgress(ctx, 'embedded'));
  notes.push(
    `Loading the embedded store: ${formatNumber(rate)} points/s, 100 000-row transactions of the writer's own code.`,
  );
  ctx.log(`embedded: ${formatNumber(c.points)} points loaded at ${formatNumber(rate)} points/s`);
  const store = createStore(loadConfig({ noFile: true, env: {}, overrides: { dataDir } }));
  const bareQueries = bareEmbedded(dataDir);
  try {
    await store.init();
    return await measureStore('embedded', store, bareQueries, c, ctx);
  } finally {
    bareQueries.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function influx(ctx: BenchContext, c: City, notes: string[]): Promise<Figure[]> {
  const server = await ctx.influxd();
  const db = await ctx.influxDatabase('replay');
  const store = createStore(loadConfig({ noFile: true, env: {}, overrides: { influx: { url: server.url, db } } }));
  const http = new InfluxHttp({ url: server.url, db, timeoutMs: 120_000 });
  try {
    // init first: it sets the retention policies the lines are then written under.
    await store.init();
    const rate = await loadInflux(http, c.points, c.spec, loadProgress(ctx, 'InfluxDB'));
    notes.push(`Loading InfluxDB: ${formatNumber(rate)} points/s, raw /write POSTs of 50 000 lines, two in flight.`);
    ctx.log(`InfluxDB: ${formatNumber(c.points)} points loaded at ${formatNumber(rate)} points/s`);
    return await measureStore('InfluxDB', store, bareInflux(http, 'sensor'), c, ctx);
  } finally {
    http.close();
    await store.close();
  }
}

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const c = city(ctx.quick);
  const notes: string[] = [
    `${isGoalSize(c) ? '' : 'A smaller city than the goal’s — '}${c.entities} entities at 1 Hz over ${c.seconds / 3600} h = ${formatNumber(c.points)} points (4 fields, position, 1 tag), frames over ${c.frameSeconds / 60} min, an export of ${formatNumber(c.exportPoints)} points${isGoalSize(c) ? '' : '; the goal (IOC_BENCH_REPLAY_SIZE=full) replays 1 000 entities over 24 h, frames over 1 h and exports 1 000 000 points'}.`,
    `State at t: \`createReplayService().stateAt\` called directly (no HTTP; no alerts stored, the state store answers an empty list) at ${c.samples} random moments of the window, vs the bare database question "last row per entity at or before t" (SQLite: one index seek per entity; InfluxDB: \`last(*) … GROUP BY id\` over the lookback) at the same moments; lower is better, the ratio is ours / bare.`,
    `Frames: \`frames(from, to, 1 s)\` over the last ${c.frameSeconds / 60} min, in seconds replayed per wall second, vs a bare \`scan\` of the same window that only counts rows; higher is better.`,
    'Export: the CSV format driven as the router drives it (columns from the field catalogue, scan, selector, writer) into a sink that discards the bytes, vs a bare loop that queries the same rows from the database and writes each as a line into the same kind of sink; the heap and RSS figures are the peak growth of heapUsed (garbage included) and RSS over the run, from a full GC before it; the live heap figure is heapUsed right after a full GC forced every 2 s during the same pass (which costs it 1–2 % of its time).',
  ];
  const figures: Figure[] = [];
  let error: string | undefined;
  try {
    figures.push(...(await embedded(ctx, c, notes)));
  } catch (err) {
    error = `embedded: ${err instanceof Error ? err.message : String(err)}`;
    ctx.log(error);
  }
  try {
    figures.push(...(await influx(ctx, c, notes)));
  } catch (err) {
    const message = `InfluxDB: ${err instanceof Error ? err.message : String(err)}`;
    error = error ? `${error}; ${message}` : message;
    ctx.log(message);
  }
  return {
    id: 'replay',
    title: '9. Replay and export',
    figures,
    notes,
    ...(error ? { error } : {}),
    seconds: (Date.now() - started) / 1000,
    quick: !isGoalSize(c),
  };
}

export const replaySuite: Suite = {
  id: 'replay',
  title: '9. Replay and export',
  prepare: (ctx) => ctx.influxd(),
  run,
};

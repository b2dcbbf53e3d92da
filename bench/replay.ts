// Suite: replay and export — the city's state at random moments of the last day, frames over a
// window at step 1 s, and a CSV export, each against the bare store call answering the same
// question (`latest({at, lookback})`, a counting `scan`). Figures are reported, never asserted.
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
import { createStore } from '../server/store/index.js';
import type { TelemetryStore } from '../server/store/types.js';
import type { BenchContext, Suite } from './support/context.js';
import { observationOf, type LoadSpec } from './support/payloads.js';
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

function city(quick: boolean): City {
  const entities = quick ? 100 : 1000;
  const seconds = quick ? 2 * 3600 : 24 * 3600;
  // The day ends a minute ago, so every moment replayed is in the past.
  const to = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const from = to - (seconds - 1) * 1000;
  const spec: LoadSpec = { shape: 'json', topicRoot: 'x', entities, startTs: from };
  return {
    entities,
    seconds,
    spec,
    from,
    to,
    points: entities * seconds,
    samples: quick ? 20 : 50,
    frameSeconds: quick ? 600 : 3600,
    exportPoints: quick ? 200_000 : 1_000_000,
  };
}

const CHUNK = 50_000;

/** Writes the city through the store's own `write()` + `flush()`, CHUNK at a time (distinct timestamps per entity). */
async function load(store: TelemetryStore, c: City): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < c.points; i += CHUNK) {
    const chunk = [];
    for (let j = i; j < Math.min(c.points, i + CHUNK); j++) chunk.push(observationOf(j, c.spec));
    store.write(chunk);
    await store.flush();
  }
  return c.points / ((performance.now() - started) / 1000);
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

/** Samples heapUsed every 100 ms while `work` runs; returns its result, wall ms and peak heap growth (MB). */
async function watched<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; heapMb: number }> {
  collect();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 100);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { result, ms, heapMb: (peak - before) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

async function countScan(store: TelemetryStore, from: number, to: number): Promise<number> {
  let n = 0;
  for await (const chunk of store.scan({ from, to, chunkSize: REPLAY_SCAN_CHUNK })) n += chunk.length;
  return n;
}

async function measureStore(label: string, store: TelemetryStore, c: City, ctx: BenchContext): Promise<Figure[]> {
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
  await store.latest({ at: c.from + Math.floor(c.seconds / 2) * 1000, lookback: REPLAY_LOOKBACK_MS });
  for (let i = 0; i < c.samples; i++) {
    const at = c.from + Math.floor(rnd() * c.seconds) * 1000;
    let started = performance.now();
    shown = (await replay.stateAt(at, scope)).entities.length;
    ours.push(performance.now() - started);
    started = performance.now();
    bareRows = (await store.latest({ at, lookback: REPLAY_LOOKBACK_MS, domains: ['sensor'] })).length;
    bare.push(performance.now() - started);
  }
  for (const p of [50, 95]) {
    const value = percentile(ours, p);
    figures.push({
      name: `${label}: state at t, p${p}`,
      value,
      unit: 'ms',
      baseline: { name: 'bare latest({at, lookback})', value: percentile(bare, p) },
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

  // 3. CSV export of N points, as the router does it (column pass, then scan → select → CSV), bytes discarded.
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
  });
  const exportScan = await watched(() => countScan(store, eFrom, eTo));
  figures.push({
    name: `${label}: CSV export of ${formatNumber(exported.result)} points`,
    value: exported.result / (exported.ms / 1000),
    unit: 'rows/s',
    baseline: { name: 'bare scan-and-count', value: exportScan.result / (exportScan.ms / 1000) },
    note: `${formatNumber(bytes / 1048576)} MB of CSV discarded; includes the column pass`,
  });
  figures.push({
    name: `${label}: CSV export, peak heap growth`,
    value: exported.heapMb,
    unit: 'MB',
    baseline: { name: 'bare scan-and-count', value: exportScan.heapMb },
    note: 'heapUsed sampled every 100 ms, after a full GC',
  });
  ctx.log(
    `${label} export: ${exported.result} rows in ${exported.ms.toFixed(0)} ms (+${exported.heapMb.toFixed(1)} MB heap) vs bare ${exportScan.result} rows in ${exportScan.ms.toFixed(0)} ms (+${exportScan.heapMb.toFixed(1)} MB)`,
  );
  return figures;
}

async function embedded(ctx: BenchContext, c: City, notes: string[]): Promise<Figure[]> {
  const dataDir = mkdtempSync(path.join(ctx.workDir('replay'), 'embedded-'));
  const store = createStore(loadConfig({ noFile: true, env: {}, overrides: { dataDir } }));
  try {
    await store.init();
    const rate = await load(store, c);
    notes.push(`Loading the embedded store: ${formatNumber(rate)} points/s through its own write() + flush().`);
    ctx.log(`embedded: ${formatNumber(c.points)} points loaded at ${formatNumber(rate)} points/s`);
    return await measureStore('embedded', store, c, ctx);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function influx(ctx: BenchContext, c: City, notes: string[]): Promise<Figure[]> {
  const server = await ctx.influxd();
  const db = await ctx.influxDatabase('replay');
  const store = createStore(loadConfig({ noFile: true, env: {}, overrides: { influx: { url: server.url, db } } }));
  try {
    await store.init();
    const rate = await load(store, c);
    notes.push(`Loading InfluxDB: ${formatNumber(rate)} points/s through the product's writer (write() + flush()).`);
    ctx.log(`InfluxDB: ${formatNumber(c.points)} points loaded at ${formatNumber(rate)} points/s`);
    return await measureStore('InfluxDB', store, c, ctx);
  } finally {
    await store.close();
  }
}

async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const c = city(ctx.quick);
  const notes: string[] = [
    `${ctx.quick ? 'Quick run: a smaller city than the goal’s — ' : ''}${c.entities} entities at 1 Hz over ${c.seconds / 3600} h = ${formatNumber(c.points)} points (4 fields, position, 1 tag)${ctx.quick ? '; the full run replays 1 000 entities over 24 h, frames over 1 h and exports 1 000 000 points' : ''}.`,
    `State at t: \`createReplayService().stateAt\` called directly (no HTTP; no alerts stored, the state store answers an empty list) at ${c.samples} random moments of the window, vs the store's own \`latest({at, lookback: 7 d})\` at the same moments; lower is better, the ratio is ours / bare.`,
    `Frames: \`frames(from, to, 1 s)\` over the last ${c.frameSeconds / 60} min, in seconds replayed per wall second, vs a bare \`scan\` of the same window that only counts rows; higher is better.`,
    'Export: the CSV format driven as the router drives it (column pass, scan, selector, writer) into a sink that discards the bytes, vs a bare scan-and-count of the same window; the heap figure is the peak growth of heapUsed (garbage included) over the run, from a full GC before it.',
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
    quick: ctx.quick,
  };
}

export const replaySuite: Suite = {
  id: 'replay',
  title: '9. Replay and export',
  prepare: (ctx) => ctx.influxd(),
  run,
};

// Suite 6: the console's map code in headless Chromium. A page (bench/browser/page.ts, bundled with
// esbuild into bench/.work) feeds 10 k / 50 k / 100 k moving entities at 1 Hz through the console's store,
// cluster view and deck.gl layer builder, zoomed in and zoomed out; frame times, CPU-side JS per delta,
// cluster rebuilds and long tasks against the same page with no entities.
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import {
  PAGE_ZOOM,
  type PageEncoding,
  type PageMode,
  type PageRunConfig,
  type PageRunResult,
} from './browser/protocol.js';
import { ROOT, type BenchContext, type Suite } from './support/context.js';
import { below, type Figure, type SuiteResult } from './support/report.js';
import { formatNumber, percentile } from './support/stats.js';

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
];
/** Mesa llvmpipe through ANGLE (2–3× SwiftShader here, docs/TESTING.md); SwiftShader is the fallback. */
const LLVMPIPE = ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist'];
const SWIFTSHADER = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

const HTML = `<!doctype html><html><head><meta charset="utf-8"><title>deck.gl bench</title></head>
<body style="margin:0;background:#0b1220"><canvas id="deck-canvas" style="width:1280px;height:720px"></canvas>
<script type="module" src="page.js"></script></body></html>`;

let bundled: Promise<void> | undefined;

/** Bundles the page once per run (always afresh: it pulls in the console's map and state code). */
function bundle(dir: string): Promise<void> {
  bundled ??= buildPage(dir);
  return bundled;
}

async function buildPage(dir: string): Promise<void> {
  const source = path.join(ROOT, 'bench', 'browser', 'page.ts');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), HTML);
  await build({
    // Named entries: page.js and its workers side by side in the served folder.
    entryPoints: {
      page: source,
      'cluster-worker': path.join(ROOT, 'client', 'map', 'cluster-worker.ts'),
      'delta-source': path.join(ROOT, 'bench', 'browser', 'delta-source.ts'),
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: dir,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
}

/** Serves the bundle from 127.0.0.1 on a free port. */
async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const files: Record<string, { type: string; body: Buffer }> = {
    '/': { type: 'text/html', body: readFileSync(path.join(dir, 'index.html')) },
    '/page.js': { type: 'text/javascript', body: readFileSync(path.join(dir, 'page.js')) },
    '/cluster-worker.js': { type: 'text/javascript', body: readFileSync(path.join(dir, 'cluster-worker.js')) },
    '/delta-source.js': { type: 'text/javascript', body: readFileSync(path.join(dir, 'delta-source.js')) },
  };
  const server = createServer((req, res) => {
    const file = files[req.url ?? '/'];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/` };
}

interface Measured {
  count: number;
  mode: PageMode;
  parts: number;
  encoding: PageEncoding;
  frameP50: number;
  frameP95: number;
  frameMax: number;
  updateFrameP50: number;
  updateFrameP95: number;
  parseP50: number;
  storeP50: number;
  /** The live worker's parse and numbering per delta (p50, ms; another core), 0 when not `worker`. */
  workerP50: number;
  /** The main thread's time on the snapshot (ms). */
  snapshotMs: number;
  buildPerDelta: number;
  attributesPerDelta: number;
  deckCpuPerDelta: number;
  /** Parse + store + console layer code + deck.gl attribute updates, per delta (ms): what any GPU still waits for. */
  cpuPerDelta: number;
  /** The same per second of updates (ms/s): the main thread's share of a core the live map takes. */
  cpuPerSec: number;
  clusterBuildP50: number;
  clusterBuilds: number;
  clusterQueryP50: number;
  clusterCollectP50: number;
  clusterItems: number;
  longTasksPerSec: number;
  longTaskMsPerSec: number;
  longTaskMax: number;
  renderer: string;
}

function summarise(config: PageRunConfig, r: PageRunResult): Measured {
  const seconds = config.measureMs / 1000;
  // A second of frames holds hz × parts deltas and the glide frames they start.
  const deltasPerSec = config.hz * config.parts;
  const perDelta = (msPerSec: number) => msPerSec / deltasPerSec;
  const parseP50 = percentile(r.parseMs, 50);
  const storeP50 = percentile(r.storeMs, 50);
  const buildPerDelta = perDelta(r.buildMsPerSec);
  const attributesPerDelta = perDelta(r.attributeMsPerSec);
  return {
    count: config.count,
    mode: config.mode,
    parts: config.parts,
    encoding: config.encoding,
    frameP50: percentile(r.frames, 50),
    frameP95: percentile(r.frames, 95),
    frameMax: Math.max(0, ...r.frames),
    // With no entities a delta changes nothing and draws nothing: the baseline update frame is a plain frame.
    updateFrameP50: percentile(r.updateFrames.length > 0 ? r.updateFrames : r.frames, 50),
    updateFrameP95: percentile(r.updateFrames.length > 0 ? r.updateFrames : r.frames, 95),
    parseP50,
    storeP50,
    workerP50: percentile(r.workerMs, 50),
    snapshotMs: r.snapshotMs,
    buildPerDelta,
    attributesPerDelta,
    deckCpuPerDelta: perDelta(r.deckCpuMsPerSec),
    cpuPerDelta: parseP50 + storeP50 + buildPerDelta + attributesPerDelta,
    cpuPerSec: (parseP50 + storeP50) * deltasPerSec + r.buildMsPerSec + r.attributeMsPerSec,
    clusterBuildP50: percentile(r.clusterBuildMs, 50),
    clusterBuilds: r.clusterBuildMs.length / seconds,
    clusterQueryP50: percentile(r.clusterQueryMs, 50),
    clusterCollectP50: percentile(r.clusterCollectMs, 50),
    clusterItems: r.clusterItems,
    longTasksPerSec: r.longTasks.count / seconds,
    longTaskMsPerSec: r.longTasks.totalMs / seconds,
    longTaskMax: r.longTasks.maxMs,
    renderer: r.renderer,
  };
}

async function launch(ctx: BenchContext): Promise<{ browser: Browser; gl: string }> {
  for (const [gl, args] of [
    ['llvmpipe', LLVMPIPE],
    ['SwiftShader', SWIFTSHADER],
  ] as const) {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [...BASE_ARGS, ...args],
    });
    ctx.teardown.add('chromium', () => browser.close());
    const page = await browser.newPage();
    const webgl2 = await page.evaluate(() => {
      const doc = (
        globalThis as unknown as { document: { createElement(t: string): { getContext(k: string): unknown } } }
      ).document;
      return doc.createElement('canvas').getContext('webgl2') !== null;
    });
    await page.close();
    if (webgl2) return { browser, gl };
    ctx.log(`no WebGL2 with ${gl}; trying the next renderer`);
    await browser.close();
  }
  throw new Error('headless Chromium offers no WebGL2 with llvmpipe or SwiftShader');
}

const MODES: readonly PageMode[] = ['individual', 'clustered'];
/** Deltas per second in the spread-out runs: the server coalesces for 100 ms (docs/ARCHITECTURE.md). */
const SPREAD_PARTS = 10;
/** A frame at 60 Hz (ms): CPU-side work per update beyond it is a dropped frame on any GPU. */
const FRAME_BUDGET_MS = 16.7;

/** Runs the browser rendering benchmark. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const counts = ctx.quick ? [10_000] : [10_000, 50_000, 100_000];
  const timing = ctx.quick ? { warmupMs: 1000, measureMs: 3000 } : { warmupMs: 3000, measureMs: 12_000 };
  const dir = ctx.workDir('browser');
  await bundle(dir);
  const { server, url } = await serve(dir);
  ctx.teardown.add('browser page server', () => new Promise<void>((resolve) => server.close(() => resolve())));
  const { browser, gl } = await launch(ctx);
  // The console subscribes with `encoding: 'columns'` and takes deltas through its live worker; the same
  // columns parsed on the main thread (the console before the worker) and the plain JSON delta run once per
  // spread, zoomed in, as the baselines of the largest city.
  const console_ = { hz: 1, encoding: 'worker', ...timing } as const;
  const baselines = (['columns', 'json'] as const).map(
    (encoding) => ({ hz: 1, encoding, mode: 'individual', ...timing }) as const,
  );
  const largest = counts[counts.length - 1] ?? 10_000;
  const runs: PageRunConfig[] = [{ count: 0, mode: 'individual', parts: 1, ...console_ }];
  for (const count of counts) for (const mode of MODES) runs.push({ count, mode, parts: 1, ...console_ });
  for (const baseline of baselines) runs.push({ count: largest, parts: 1, ...baseline });
  // The largest city again with each second's updates spread over 10 deltas, as the server's 100 ms coalescing
  // sends them when devices report at their own moments (one delta of everything is the worst case above).
  if (!ctx.quick) {
    for (const mode of MODES) runs.push({ count: largest, mode, parts: SPREAD_PARTS, ...console_ });
    for (const baseline of baselines) runs.push({ count: largest, parts: SPREAD_PARTS, ...baseline });
  }
  const results: Measured[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.setDefaultTimeout(180_000);
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { __deckBench?: unknown }).__deckBench !== undefined);
    for (const config of runs) {
      const raw = await page.evaluate(
        (c) =>
          (globalThis as unknown as { __deckBench: { run(c: PageRunConfig): Promise<PageRunResult> } }).__deckBench.run(
            c,
          ),
        config,
      );
      if (raw.error) throw new Error(`page failed at ${config.count} entities (${config.mode}): ${raw.error}`);
      const m = summarise(config, raw);
      results.push(m);
      ctx.log(
        `${formatNumber(m.count)} ${m.mode}, ${m.parts} deltas/s, ${m.encoding}: frame p50 ${formatNumber(m.frameP50)} ms, update frame p50 ${formatNumber(m.updateFrameP50)} / p95 ${formatNumber(m.updateFrameP95)} ms; CPU per delta ${formatNumber(m.cpuPerDelta)} ms (parse ${formatNumber(m.parseP50)}, worker ${formatNumber(m.workerP50)}, store ${formatNumber(m.storeP50)}, layers ${formatNumber(m.buildPerDelta)}, attributes ${formatNumber(m.attributesPerDelta)}); cluster build p50 ${formatNumber(m.clusterBuildP50)} ms (${formatNumber(m.clusterBuilds)}/s), ${m.clusterItems} items; long tasks ${formatNumber(m.longTaskMsPerSec)} ms/s (max ${formatNumber(m.longTaskMax)} ms); snapshot ${formatNumber(m.snapshotMs)} ms`,
      );
    }
  } finally {
    await browser.close();
  }
  const empty = results[0];
  const figures: Figure[] = [];
  for (const m of results.slice(1)) {
    const spread = m.parts > 1 ? `, ${m.parts} deltas/s` : '';
    const n = `${formatNumber(m.count)} moving${spread}, ${m.mode === 'clustered' ? 'zoomed out (clustered)' : 'zoomed in (individual)'}`;
    const sibling = (mode: PageMode, encoding: PageEncoding) =>
      results.find((r) => r.count === m.count && r.parts === m.parts && r.mode === mode && r.encoding === encoding);
    const read = m.encoding === 'worker' ? "taking the live worker's message" : 'parse';
    const inWorker =
      m.encoding === 'worker'
        ? `; the live worker's parse and numbering ${formatNumber(m.workerP50)} ms on another core`
        : '';
    const parts = `${read} ${formatNumber(m.parseP50)} + store ${formatNumber(m.storeP50)} + console layers ${formatNumber(m.buildPerDelta)} + deck.gl attributes ${formatNumber(m.attributesPerDelta)} ms; ${formatNumber(m.cpuPerSec)} ms of main thread per second of updates; deck.gl CPU time ${formatNumber(m.deckCpuPerDelta)} ms${inWorker}`;
    if (m.encoding !== 'worker') {
      const what =
        m.encoding === 'json'
          ? 'plain JSON deltas (a baseline)'
          : 'columns parsed on the main thread (a baseline: the console before its live worker)';
      figures.push({ name: `${n}, ${what}: CPU-side JS per delta`, value: m.cpuPerDelta, unit: 'ms', note: parts });
      continue;
    }
    const individual = sibling('individual', 'worker');
    const onMain = sibling('individual', 'columns');
    if (m.mode === 'individual' && m.parts === 1) {
      figures.push({
        name: `${formatNumber(m.count)} moving: the snapshot on the main thread`,
        value: m.snapshotMs,
        unit: 'ms',
        ...(onMain ? { baseline: { name: 'same, JSON parsed on the main thread', value: onMain.snapshotMs } } : {}),
        note: "once per connection: taking the live worker's snapshot (JSON text and its entities' numbers), parsing it and applying it to the store",
      });
    }
    const cpuBaseline =
      m.mode === 'clustered' && individual
        ? { baseline: { name: 'same size, individual', value: individual.cpuPerDelta } }
        : onMain
          ? { baseline: { name: 'same, columns parsed on the main thread', value: onMain.cpuPerDelta } }
          : {};
    figures.push(
      {
        name: `${n}: frame time p50`,
        value: m.frameP50,
        unit: 'ms',
        baseline: { name: 'no entities', value: empty?.frameP50 ?? Number.NaN },
        note: `p95 ${formatNumber(m.frameP95)}, max ${formatNumber(m.frameMax)} ms`,
      },
      {
        name: `${n}: update frame p50`,
        value: m.updateFrameP50,
        unit: 'ms',
        baseline: { name: 'no entities', value: empty?.updateFrameP50 ?? Number.NaN },
        note: `p95 ${formatNumber(m.updateFrameP95)} ms`,
      },
      {
        name: `${n}: CPU-side JS per delta`,
        value: m.cpuPerDelta,
        unit: 'ms',
        ...cpuBaseline,
        note: parts,
        ...(m.count === 100_000
          ? {
              target: below(
                m.cpuPerDelta,
                FRAME_BUDGET_MS,
                `< ${FRAME_BUDGET_MS} ms (one 60 Hz frame: smooth on a real GPU)`,
              ),
            }
          : {}),
      },
      {
        name: `${n}: long tasks`,
        value: m.longTaskMsPerSec,
        unit: 'ms/s',
        note: `${formatNumber(m.longTasksPerSec)} tasks/s over 50 ms, longest ${formatNumber(m.longTaskMax)} ms`,
        ...(m.count === 10_000
          ? { target: below(m.longTaskMax, 100, 'longest < 100 ms at 10 k (responsive on software WebGL)') }
          : {}),
      },
    );
    if (m.mode === 'clustered') {
      figures.push({
        name: `${n}: cluster index rebuild p50 (worker)`,
        value: m.clusterBuildP50,
        unit: 'ms',
        note: `${formatNumber(m.clusterBuilds)} rebuilds/s (throttled); main thread copies the entities out in ${formatNumber(m.clusterCollectP50)} ms (p50); query p50 ${formatNumber(m.clusterQueryP50)} ms; ${m.clusterItems} clusters and lone entities drawn`,
      });
    }
  }
  const notes = [
    `**Software WebGL (${gl}: ${results[1]?.renderer ?? 'unknown'}) makes these absolute frame times a floor, not a measure of a real GPU.** Headless Chromium at 1280×720 drives the console's own map code (bench/browser/page.ts bundles client/map and client/state with esbuild): an EntityStore fed every entity once a second (one in five a bus gliding between fixes, the rest mobile sensors changing reading; one in 500 in alert), the render loop of client/map/map-view.ts (glide, ClusterView, DeckLayerBuilder, deck.setProps), no basemap. A worker plays the server and the console's live worker: it makes each snapshot and delta as the server sends it, \`deltaColumns\` (numbers in one binary attachment, ids and names in the JSON part), then does what the live worker does with it (parse, check, number the entities: client/live/live-core.ts) and posts the result; the page takes it and applies it to the store as the console does (the store updates the entities it holds in place, found by number). Two baselines run once per spread, zoomed in: the same columns parsed on the main thread, as the console took them before its live worker, and the plain JSON \`delta\`. Zoomed in = zoom ${PAGE_ZOOM.individual} (entities drawn one by one, as before clustering); zoomed out = zoom ${PAGE_ZOOM.clustered}, the whole city, drawn as clusters. "1 delta/s" (the rows without a rate) sends every entity in one delta, the worst case (every device reporting at the same moment); "${SPREAD_PARTS} deltas/s" spreads the same updates over ${SPREAD_PARTS} deltas, as the server's 100 ms coalescing sends them when devices report at moments of their own. ${timing.warmupMs / 1000} s warm-up then ${timing.measureMs / 1000} s measured.`,
    'Frame time = requestAnimationFrame interval over all frames; update frame = the longest of the 3 frame intervals after a delta is drawn (the hitch a delta causes). CPU-side JS per delta = the main thread\'s reading of it (p50: taking the live worker\'s message, or for the baselines parsing its JSON) + applying it to the store (p50) + the console\'s per-frame layer code (cluster view, layer builder, setProps) and deck.gl\'s "Update Attributes" stat, both summed over a second of frames and divided by the deltas in that second; "ms of main thread per second of updates" is the same work per second. Long tasks = PerformanceObserver("longtask").',
    "**Predicting a real GPU**: the GPU removes the rasterising, not the JavaScript. On any GPU an update frame costs at least the CPU-side JS per delta (scaled by the CPU's speed against this one) plus a GPU draw of a few ms; the frame time floor here minus that CPU share is what llvmpipe spends drawing. Clustering cuts both: a few hundred discs to draw instead of every entity, and no per-entity attributes to rebuild on glide frames, at the price of an index rebuild in a worker (throttled to at most once a second and at most half of the worker's core), with only the copy of positions and ranks on the main thread.",
  ];
  return {
    id: 'browser',
    title: "6. Browser: the console's deck.gl layers at scale in headless Chromium",
    figures,
    notes,
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

export const browserSuite: Suite = {
  id: 'browser',
  title: '6. Browser: deck.gl',
  prepare: (ctx) => bundle(ctx.workDir('browser')),
  run,
};

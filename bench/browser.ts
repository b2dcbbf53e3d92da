// Suite 6: deck.gl in headless Chromium. A self-contained page (bench/browser/page.ts, bundled
// with esbuild into bench/.work) draws 10 k / 50 k / 100 k entities updating at 1 Hz; frame times,
// update-to-drawn times and long tasks against the same page with no entities.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import type { PageRunConfig, PageRunResult } from './browser/page.js';
import { ROOT, type BenchContext, type Suite } from './support/context.js';
import type { Figure, SuiteResult } from './support/report.js';
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

/** Bundles the page once per run, and only when page.ts is newer than the last bundle. */
function bundle(dir: string): Promise<void> {
  bundled ??= buildPage(dir);
  return bundled;
}

async function buildPage(dir: string): Promise<void> {
  const source = path.join(ROOT, 'bench', 'browser', 'page.ts');
  const out = path.join(dir, 'page.js');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), HTML);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return;
  await build({
    entryPoints: [source],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: out,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
  });
}

/** Serves the bundle from 127.0.0.1 on a free port. */
async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const files: Record<string, { type: string; body: Buffer }> = {
    '/': { type: 'text/html', body: readFileSync(path.join(dir, 'index.html')) },
    '/page.js': { type: 'text/javascript', body: readFileSync(path.join(dir, 'page.js')) },
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
  frameP50: number;
  frameP95: number;
  frameMax: number;
  drawnP50: number;
  drawnP95: number;
  updateFrameP50: number;
  updateFrameP95: number;
  jsP50: number;
  longTasksPerSec: number;
  longTaskMsPerSec: number;
  renderer: string;
}

function summarise(count: number, r: PageRunResult, measureMs: number): Measured {
  return {
    count,
    frameP50: percentile(r.frames, 50),
    frameP95: percentile(r.frames, 95),
    frameMax: Math.max(0, ...r.frames),
    drawnP50: percentile(r.updateToDrawn, 50),
    drawnP95: percentile(r.updateToDrawn, 95),
    updateFrameP50: percentile(r.updateFrames, 50),
    updateFrameP95: percentile(r.updateFrames, 95),
    jsP50: percentile(r.updateJs, 50),
    longTasksPerSec: r.longTasks.count / (measureMs / 1000),
    longTaskMsPerSec: r.longTasks.totalMs / (measureMs / 1000),
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

/** Runs the browser rendering benchmark. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const counts = ctx.quick ? [10_000] : [10_000, 50_000, 100_000];
  const timing = ctx.quick ? { warmupMs: 500, measureMs: 3000 } : { warmupMs: 2000, measureMs: 12_000 };
  const dir = ctx.workDir('browser');
  await bundle(dir);
  const { server, url } = await serve(dir);
  ctx.teardown.add('browser page server', () => new Promise<void>((resolve) => server.close(() => resolve())));
  const { browser, gl } = await launch(ctx);
  const results: Measured[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.setDefaultTimeout(120_000);
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as { __deckBench?: unknown }).__deckBench !== undefined);
    for (const count of [0, ...counts]) {
      const config: PageRunConfig = { count, hz: 1, ...timing };
      const raw = await page.evaluate(
        (c) =>
          (globalThis as unknown as { __deckBench: { run(c: PageRunConfig): Promise<PageRunResult> } }).__deckBench.run(
            c,
          ),
        config,
      );
      if (raw.error) throw new Error(`page failed at ${count} entities: ${raw.error}`);
      const m = summarise(count, raw, timing.measureMs);
      results.push(m);
      ctx.log(
        `${formatNumber(count)} entities: frame p50 ${formatNumber(m.frameP50)} / p95 ${formatNumber(m.frameP95)} / max ${formatNumber(m.frameMax)} ms; update frame p50 ${formatNumber(m.updateFrameP50)} / p95 ${formatNumber(m.updateFrameP95)} ms; update→drawn p50 ${formatNumber(m.drawnP50)} ms; long tasks ${formatNumber(m.longTasksPerSec)}/s (${formatNumber(m.longTaskMsPerSec)} ms/s)`,
      );
    }
  } finally {
    await browser.close();
  }
  const empty = results[0];
  const figures: Figure[] = [];
  for (const m of results.slice(1)) {
    const n = `${formatNumber(m.count)} entities at 1 Hz`;
    figures.push(
      {
        name: `${n}: frame time p50`,
        value: m.frameP50,
        unit: 'ms',
        baseline: { name: 'no entities', value: empty?.frameP50 ?? Number.NaN },
      },
      {
        name: `${n}: frame time p95`,
        value: m.frameP95,
        unit: 'ms',
        baseline: { name: 'no entities', value: empty?.frameP95 ?? Number.NaN },
        note: `max ${formatNumber(m.frameMax)} ms`,
      },
      {
        name: `${n}: update frame p50`,
        value: m.updateFrameP50,
        unit: 'ms',
        baseline: { name: 'no entities', value: empty?.updateFrameP50 ?? Number.NaN },
        note: `p95 ${formatNumber(m.updateFrameP95)} ms; setProps → drawn p50 ${formatNumber(m.drawnP50)} ms; building the arrays ${formatNumber(m.jsP50)} ms`,
      },
      {
        name: `${n}: long tasks`,
        value: m.longTaskMsPerSec,
        unit: 'ms/s',
        note: `${formatNumber(m.longTasksPerSec)} tasks/s over 50 ms`,
      },
    );
  }
  const notes = [
    `**Software WebGL (${gl}: ${results[1]?.renderer ?? 'unknown'}) makes these absolute frame times a floor, not a measure of a real GPU.** Headless Chromium at 1280×720, one ScatterplotLayer fed binary attributes (Float32Array positions, Uint8Array colours), every entity moved and recoloured once a second through new arrays; ${timing.warmupMs / 1000} s warm-up then ${timing.measureMs / 1000} s measured.`,
    'Frame time = requestAnimationFrame interval over all frames (deck.gl redraws only after an update, so at 1 Hz most frames are idle and p95 hides the update frames); update frame = the longest of the 3 frame intervals after each update is drawn (the hitch a user sees once a second); setProps → drawn = to the end of the draw (onAfterRender); long tasks = PerformanceObserver("longtask") time per second (main thread blocked over 50 ms: input would wait that long).',
    'The page is self-contained (bench/browser/page.ts bundled with esbuild into bench/.work/browser), with no basemap: it measures deck.gl and the data path, not maplibre.',
  ];
  return {
    id: 'browser',
    title: '6. Browser: deck.gl ScatterplotLayer in headless Chromium',
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

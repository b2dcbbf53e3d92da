// Runs inside headless Chromium (bundled by bench/browser.ts with esbuild). One deck.gl
// ScatterplotLayer of N entities around the reference city, every position and colour changing at
// a fixed rate through binary attributes (as the console feeds deck.gl), while frame intervals,
// update-to-drawn times and long tasks are recorded.
import { Deck } from '@deck.gl/core';
import { ScatterplotLayer } from '@deck.gl/layers';

/** What bench/browser.ts asks for. */
export interface PageRunConfig {
  count: number;
  /** Updates of every entity per second. */
  hz: number;
  warmupMs: number;
  measureMs: number;
}

/** What the page measured. */
export interface PageRunResult {
  /** requestAnimationFrame intervals (ms) during the measured window. */
  frames: number[];
  /** ms from setProps with new data to the end of the draw that shows it. */
  updateToDrawn: number[];
  /** Per update: the longest rAF interval among the 3 frames after its draw (the jank an update causes). */
  updateFrames: number[];
  /** ms spent building the new attribute arrays per update (the data side of an update). */
  updateJs: number[];
  longTasks: { count: number; totalMs: number; maxMs: number };
  renderer: string;
  error?: string;
}

// Minimal local types for the few browser APIs used here (the repository's Node tsconfig has no DOM lib).
interface EntryList {
  getEntries(): { startTime: number; duration: number }[];
}
interface BrowserGlobals {
  requestAnimationFrame(callback: (time: number) => void): number;
  PerformanceObserver: new (callback: (list: EntryList) => void) => {
    observe(options: { type: string; buffered?: boolean }): void;
    disconnect(): void;
  };
  __deckBench?: { run(config: PageRunConfig): Promise<PageRunResult> };
}
const page = globalThis as unknown as BrowserGlobals;

const CENTRE = { lon: 106.194, lat: 21.273 };
let deck: Deck | undefined;
let renderer = 'unknown';
let onDrawn: (() => void) | undefined;

function ensureDeck(): Deck {
  deck ??= new Deck({
    canvas: 'deck-canvas',
    width: 1280,
    height: 720,
    useDevicePixels: 1,
    controller: false,
    initialViewState: { longitude: CENTRE.lon, latitude: CENTRE.lat, zoom: 11.5 },
    layers: [],
    onDeviceInitialized: (device) => {
      const info = (device as unknown as { info?: { renderer?: string; gpu?: string } }).info;
      renderer = info?.renderer ?? info?.gpu ?? 'unknown';
    },
    onAfterRender: () => onDrawn?.(),
  });
  return deck;
}

function layer(count: number, positions: Float32Array, colors: Uint8Array): ScatterplotLayer {
  return new ScatterplotLayer({
    id: 'entities',
    data: {
      length: count,
      attributes: {
        getPosition: { value: positions, size: 2 },
        getFillColor: { value: colors, size: 4, normalized: true },
      },
    },
    radiusUnits: 'pixels',
    getRadius: 3,
    stroked: false,
    pickable: false,
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Draws `count` entities, moves them all `hz` times a second and records frame timing. */
async function run(config: PageRunConfig): Promise<PageRunResult> {
  const d = ensureDeck();
  const { count } = config;
  let positions = new Float32Array(count * 2);
  let colors = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    positions[i * 2] = CENTRE.lon + (((i * 7919) % 10_000) / 10_000 - 0.5) * 0.3;
    positions[i * 2 + 1] = CENTRE.lat + (((i * 104_729) % 10_000) / 10_000 - 0.5) * 0.2;
    colors.set([30 + (i % 200), 160, 220 - (i % 200), 255], i * 4);
  }
  d.setProps({ layers: [layer(count, positions, colors)] });
  await delay(300);

  const frames: number[] = [];
  const updateToDrawn: number[] = [];
  const updateJs: number[] = [];
  const tasks: { startTime: number; duration: number }[] = [];
  const observer = new page.PerformanceObserver((list) => tasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  const start = performance.now();
  const measureFrom = start + config.warmupMs;
  const end = measureFrom + config.measureMs;
  const updateFrames: number[] = [];
  let pending: number | undefined;
  let watch: { left: number; worst: number } | undefined;
  onDrawn = () => {
    if (pending !== undefined && pending >= measureFrom) {
      updateToDrawn.push(performance.now() - pending);
      watch = { left: 3, worst: 0 };
    }
    pending = undefined;
  };

  const rafDone = new Promise<void>((resolve) => {
    let last = 0;
    const tick = (time: number) => {
      if (last > 0 && time >= measureFrom) frames.push(time - last);
      if (watch && last > 0) {
        watch.worst = Math.max(watch.worst, time - last);
        if (--watch.left === 0) {
          updateFrames.push(watch.worst);
          watch = undefined;
        }
      }
      last = time;
      if (time < end) page.requestAnimationFrame(tick);
      else resolve();
    };
    page.requestAnimationFrame(tick);
  });

  let step = 0;
  while (performance.now() < end) {
    await delay(1000 / config.hz);
    if (performance.now() >= end) break;
    const t0 = performance.now();
    step += 1;
    // New arrays each update, as a console gets a fresh delta: deck.gl re-uploads both attributes.
    const nextPositions = new Float32Array(positions.length);
    const nextColors = new Uint8Array(colors.length);
    for (let i = 0; i < positions.length; i++) nextPositions[i] = (positions[i] ?? 0) + (((i + step) % 7) - 3) * 1e-5;
    for (let i = 0; i < count; i++)
      nextColors.set([30 + ((i + step) % 200), 160, 220 - ((i + step) % 200), 255], i * 4);
    positions = nextPositions;
    colors = nextColors;
    d.setProps({ layers: [layer(count, positions, colors)] });
    updateJs.push(performance.now() - t0);
    pending = performance.now();
  }
  await rafDone;
  observer.disconnect();
  onDrawn = undefined;
  const measured = tasks.filter((t) => t.startTime >= measureFrom && t.startTime < end);
  d.setProps({ layers: [] });
  return {
    frames,
    updateToDrawn,
    updateFrames,
    updateJs,
    longTasks: {
      count: measured.length,
      totalMs: measured.reduce((n, t) => n + t.duration, 0),
      maxMs: measured.reduce((n, t) => Math.max(n, t.duration), 0),
    },
    renderer,
  };
}

page.__deckBench = {
  run: (config) =>
    run(config).catch((err: unknown) => ({
      frames: [],
      updateToDrawn: [],
      updateFrames: [],
      updateJs: [],
      longTasks: { count: 0, totalMs: 0, maxMs: 0 },
      renderer,
      error: err instanceof Error ? err.message : String(err),
    })),
};

// Runs inside headless Chromium (bundled by bench/browser.ts with esbuild). Drives the console's own map
// code: deltas arrive as socket.io would hand them over (JSON text, plus the binary attachment of a columns
// delta) from a worker standing in for server and socket (delta-source.ts), are parsed and applied to an EntityStore at a fixed rate, and the console's ClusterView and DeckLayerBuilder
// build the layers every frame the console would, into a deck.gl canvas. No basemap (maplibre) and no
// network: it measures the data path and deck.gl, as shipped.
import { Deck, WebMercatorViewport } from '@deck.gl/core';
import type { Delta, Snapshot } from '../../contract/live-events.js';
import type { ColumnDelta } from '../../contract/live-columns.js';
import { ClusterView } from '../../client/map/cluster-view.js';
import type { ClusterReply, ClusterWorkerPort } from '../../client/map/cluster-worker-protocol.js';
import { clusterFilter, DeckLayerBuilder } from '../../client/map/deck-layers.js';
import { createIconAtlas } from '../../client/map/icon-atlas.js';
import { EntityStore } from '../../client/state/entity-store.js';
import { allVisible } from '../../client/state/ui-state.js';
import { CENTRE } from './entities.js';
import { PAGE_ZOOM, type DeltaMessage, type DeltaRequest, type PageRunConfig, type PageRunResult } from './protocol.js';

declare global {
  interface Window {
    __deckBench?: { run(config: PageRunConfig): Promise<PageRunResult> };
  }
}

const WIDTH = 1280;
const HEIGHT = 720;
/** The console's alert-ring animation rate (client/map/map-view.ts). */
const PULSE_FRAME_MS = 66;
const PULSE_PERIOD_MS = 1600;

let deck: Deck | undefined;
let renderer = 'unknown';
let onDrawn: (() => void) | undefined;

function ensureDeck(): Deck {
  deck ??= new Deck({
    canvas: 'deck-canvas',
    width: WIDTH,
    height: HEIGHT,
    useDevicePixels: 1,
    controller: false,
    initialViewState: { longitude: CENTRE.lon, latitude: CENTRE.lat, zoom: PAGE_ZOOM.clustered },
    layers: [],
    onDeviceInitialized: (device) => {
      const info = (device as unknown as { info?: { renderer?: string; gpu?: string } }).info;
      renderer = info?.renderer ?? info?.gpu ?? 'unknown';
    },
    onAfterRender: () => onDrawn?.(),
    _onMetrics: (metrics) => {
      if (!deckTotals.counting) return;
      deckTotals.attributes += metrics.updateAttributesTime;
      deckTotals.cpu += metrics.cpuTime;
    },
  });
  return deck;
}

/** deck.gl's own totals (ms) summed over the metrics it reports: it resets its stats every 60 frames, right after. */
const deckTotals = { counting: false, attributes: 0, cpu: 0 };
const deckStats = (d: Deck) => (d as unknown as { stats: { get(n: string): { time: number } } }).stats;

/** The console's cluster worker (client/map/cluster-worker.ts), bundled beside this page by bench/browser.ts. */
function clusterWorker(): ClusterWorkerPort {
  const worker = new Worker('cluster-worker.js', { type: 'module' });
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen: (onReply) => {
      worker.onmessage = (event: MessageEvent<ClusterReply>) => onReply(event.data);
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * The worker playing server and socket (bench/browser/delta-source.ts): asks for one message, resolves with
 * its event, whose `data` the page reads inside its timing (Chromium copies a message out when it is read).
 */
function deltaSource(): { next(request: DeltaRequest): Promise<MessageEvent<DeltaMessage>>; close(): void } {
  const worker = new Worker('delta-source.js', { type: 'module' });
  let waiting: ((message: MessageEvent<DeltaMessage>) => void) | undefined;
  worker.onmessage = (event: MessageEvent<DeltaMessage>) => waiting?.(event);
  return {
    next: (request) =>
      new Promise((resolve) => {
        waiting = resolve;
        worker.postMessage(request);
      }),
    close: () => worker.terminate(),
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Draws `count` entities through the console's code, updates them all `hz` times a second, and records timings. */
async function run(config: PageRunConfig): Promise<PageRunResult> {
  const d = ensureDeck();
  const { count } = config;
  const zoom = PAGE_ZOOM[config.mode];
  d.setProps({ viewState: { longitude: CENTRE.lon, latitude: CENTRE.lat, zoom }, layers: [] });
  const viewport = new WebMercatorViewport({
    width: WIDTH,
    height: HEIGHT,
    longitude: CENTRE.lon,
    latitude: CENTRE.lat,
    zoom,
  });
  const [west, south, east, north] = viewport.getBounds();
  const store = new EntityStore();
  const base = Date.now();
  const source = deltaSource();
  const parts = Math.max(1, config.parts);
  // The snapshot: what the main thread spends on it before the first picture.
  const firstEvent = await source.next({ encoding: config.encoding, count, step: 0, ts: base, part: 0, parts: 1 });
  const snapshotStart = performance.now();
  const first = firstEvent.data;
  store.applySnapshot(JSON.parse(first.text ?? '') as Snapshot, performance.now(), first.snapshotHandles);
  const snapshotMs = performance.now() - snapshotStart;
  const builder = new DeckLayerBuilder();
  let clustersChanged = false;
  const clusters = new ClusterView({
    worker: clusterWorker(),
    onChange: () => {
      clustersChanged = true;
    },
  });
  const atlas = createIconAtlas();
  const visible = allVisible();

  let building = false;
  let buildMs = 0;
  let clusterItems = 0;
  const clusterBuildMs: number[] = [];
  const clusterQueryMs: number[] = [];
  const clusterCollectMs: number[] = [];
  let seenBuilds = 0;
  let seenQueries = 0;
  let renderedVersion = -1;
  let lastPulse = 0;
  let clustered = false;
  // One frame of the console's render loop (client/map/map-view.ts): glide, then rebuild layers when anything changed.
  const frame = (now: number) => {
    if (!clustered || clusters.rebuildPending(now)) store.stepMotion(performance.now());
    let alerts = 0;
    for (const kind of Object.keys(store.layers) as (keyof typeof store.layers)[])
      alerts += store.layers[kind].alertCount;
    const pulseDue = alerts > 0 && now - lastPulse >= PULSE_FRAME_MS;
    if (!pulseDue && !clustersChanged && store.version === renderedVersion && !clusters.rebuildPending(now)) return;
    clustersChanged = false;
    if (pulseDue) lastPulse = now;
    renderedVersion = store.version;
    const t0 = performance.now();
    const frameClusters = clusters.update({
      store,
      ...clusterFilter(visible),
      zoom,
      bounds: [west, south, east, north],
      markerScale: 1,
      now,
    });
    // The worker answers between frames: its timings are picked up by the next frame.
    const { stats } = clusters;
    if (building && stats.builds > seenBuilds) {
      clusterBuildMs.push(stats.lastBuildMs);
      clusterCollectMs.push(stats.lastCollectMs);
    }
    if (building && stats.queries > seenQueries) clusterQueryMs.push(stats.lastQueryMs);
    seenBuilds = stats.builds;
    seenQueries = stats.queries;
    clustered = frameClusters !== null;
    clusterItems = frameClusters?.set.length ?? 0;
    const layers = builder.build({
      store,
      visible,
      selected: null,
      markerScale: 1,
      pulse: (now % PULSE_PERIOD_MS) / PULSE_PERIOD_MS,
      zoom,
      zoneLabels: [],
      atlas,
      clusters: frameClusters?.set ?? null,
      locale: 'vi',
    });
    d.setProps({ layers });
    if (building) buildMs += performance.now() - t0;
  };

  const frames: number[] = [];
  const updateFrames: number[] = [];
  const parseMs: number[] = [];
  const storeMs: number[] = [];
  const workerMs: number[] = [];
  const tasks: { startTime: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  const start = performance.now();
  const measureFrom = start + config.warmupMs;
  const end = measureFrom + config.measureMs;
  deckTotals.attributes = 0;
  deckTotals.cpu = 0;
  let pending = false;
  let watch: { left: number; worst: number } | undefined;
  onDrawn = () => {
    if (pending && performance.now() >= measureFrom) watch = { left: 3, worst: 0 };
    pending = false;
  };

  const rafDone = new Promise<void>((resolve) => {
    let last = 0;
    const tick = (time: number) => {
      if (!building && time >= measureFrom) {
        building = true;
        deckTotals.counting = true;
        // The next report covers frames since deck.gl's last reset: count only those from now on.
        deckTotals.attributes = -deckStats(d).get('Update Attributes').time;
        deckTotals.cpu = -deckStats(d).get('CPU Time').time;
      }
      frame(time);
      if (last > 0 && time >= measureFrom) frames.push(time - last);
      if (watch && last > 0) {
        watch.worst = Math.max(watch.worst, time - last);
        if (--watch.left === 0) {
          updateFrames.push(watch.worst);
          watch = undefined;
        }
      }
      last = time;
      if (time < end) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });

  let step = 0;
  let part = parts - 1;
  // The next message is made in the worker while the page waits out the interval, as it would be on the server.
  const interval = 1000 / (config.hz * parts);
  let nextAt = performance.now() + interval;
  while (performance.now() < end) {
    part = (part + 1) % parts;
    if (part === 0) step += 1;
    const ts = base + step * 1000 + Math.round((part * 1000) / parts);
    const event = await source.next({ encoding: config.encoding, count, step, ts, part, parts });
    await delay(Math.max(0, nextAt - performance.now()));
    nextAt += interval;
    if (performance.now() >= end) break;
    // What the console does with a message: the live worker's, take it (`data` copies it out) and apply
    // it; a socket.io message on this thread, parse its JSON (socket.io puts the binary attachment back in
    // its place), then apply it.
    const t0 = performance.now();
    const message = event.data;
    let parsed: Delta | ColumnDelta | undefined;
    if (message.text !== undefined) {
      parsed = JSON.parse(message.text) as Delta | ColumnDelta;
      if (message.numbers) (parsed as ColumnDelta).numbers = message.numbers;
    }
    const t1 = performance.now();
    if (message.handles) store.applyHandles(message.handles, t1);
    else if (message.numbers) store.applyColumns(parsed as ColumnDelta, t1);
    else store.applyDelta(parsed as Delta, t1);
    if (t0 >= measureFrom) {
      parseMs.push(t1 - t0);
      storeMs.push(performance.now() - t1);
      if (message.workerMs !== undefined) workerMs.push(message.workerMs);
    }
    pending = true;
  }
  await rafDone;
  deckTotals.counting = false;
  // What accrued since deck.gl's last report (and reset).
  deckTotals.attributes += deckStats(d).get('Update Attributes').time;
  deckTotals.cpu += deckStats(d).get('CPU Time').time;
  observer.disconnect();
  onDrawn = undefined;
  const seconds = config.measureMs / 1000;
  const attributeMs = deckTotals.attributes;
  const cpuMs = deckTotals.cpu;
  const measured = tasks.filter((t) => t.startTime >= measureFrom && t.startTime < end);
  d.setProps({ layers: [] });
  clusters.close();
  source.close();
  return {
    frames,
    updateFrames,
    parseMs,
    storeMs,
    workerMs,
    snapshotMs,
    buildMsPerSec: buildMs / seconds,
    attributeMsPerSec: attributeMs / seconds,
    deckCpuMsPerSec: cpuMs / seconds,
    clusterBuildMs,
    clusterCollectMs,
    clusterQueryMs,
    clusterItems,
    longTasks: {
      count: measured.length,
      totalMs: measured.reduce((n, t) => n + t.duration, 0),
      maxMs: measured.reduce((n, t) => Math.max(n, t.duration), 0),
    },
    renderer,
  };
}

window.__deckBench = {
  run: (config) =>
    run(config).catch((err: unknown) => ({
      frames: [],
      updateFrames: [],
      parseMs: [],
      storeMs: [],
      workerMs: [],
      snapshotMs: 0,
      buildMsPerSec: 0,
      attributeMsPerSec: 0,
      deckCpuMsPerSec: 0,
      clusterBuildMs: [],
      clusterCollectMs: [],
      clusterQueryMs: [],
      clusterItems: 0,
      longTasks: { count: 0, totalMs: 0, maxMs: 0 },
      renderer,
      error: err instanceof Error ? err.message : String(err),
    })),
};

// What bench/browser.ts asks the page for and what the page answers (shared by both; DOM-free).
import { CLUSTER_MAX_ZOOM } from '../../client/map/cluster-view.js';
import type { HandleDelta } from '../../client/live/handle-table.js';

/**
 * How deltas reach the page: `worker`, as the console takes them now (`deltaColumns` parsed and its
 * entities numbered in the live worker, client/live/live-core.ts); `columns`, the same event parsed on
 * the main thread (the console before the worker); `json`, the plain `delta` event.
 */
export type PageEncoding = 'worker' | 'columns' | 'json';

/** Entities drawn one by one (zoomed in past the cluster zoom) or as clusters (zoomed out over the city). */
export type PageMode = 'individual' | 'clustered';

/** The map zoom per mode: a street-level view past the cluster zoom, or the whole reference city. */
export const PAGE_ZOOM: Record<PageMode, number> = { individual: CLUSTER_MAX_ZOOM + 0.5, clustered: 11.5 };

/** One measured run of the page. */
export interface PageRunConfig {
  count: number;
  mode: PageMode;
  /** Updates of every entity per second. */
  hz: number;
  /**
   * Deltas each update of every entity is spread over (1: all in one delta, the worst case; 10: what the
   * server's 100 ms coalescing sends when devices report at spread-out moments).
   */
  parts: number;
  encoding: PageEncoding;
  warmupMs: number;
  measureMs: number;
}

/** What the page measured over the measured window. */
export interface PageRunResult {
  /** requestAnimationFrame intervals (ms). */
  frames: number[];
  /** Per update: the longest rAF interval among the 3 frames after its draw (the jank an update causes). */
  updateFrames: number[];
  /**
   * Per delta: ms the main thread spends reading it: parsing its JSON text (for columns: the JSON part
   * beside the binary attachment), as socket.io does; for `worker`, taking the worker's message (its copy).
   */
  parseMs: number[];
  /** Per delta, `worker` only: ms the live worker spent parsing and numbering it (another core). */
  workerMs: number[];
  /** ms the main thread spent on the snapshot: reading the message (and parsing its JSON) and applying it. */
  snapshotMs: number;
  /** Per delta: ms in the store applying it (typed-array writes, restyle). */
  storeMs: number[];
  /** Per second: ms in the console's per-frame JS (cluster view, DeckLayerBuilder.build, deck.setProps) over all frames. */
  buildMsPerSec: number;
  /** Per second: ms deck.gl spent updating attributes (its own "Update Attributes" stat). */
  attributeMsPerSec: number;
  /** Per second: deck.gl's CPU time per frame summed (its "CPU Time" stat: layer updates, draw calls). */
  deckCpuMsPerSec: number;
  /** Per cluster-index rebuild (in the worker): ms; and per query: ms. */
  clusterBuildMs: number[];
  clusterQueryMs: number[];
  /** Per rebuild: ms on the main thread copying the entities out for the cluster worker. */
  clusterCollectMs: number[];
  /** Items drawn in the last clustered frame (clusters + lone entities), 0 when individual. */
  clusterItems: number;
  longTasks: { count: number; totalMs: number; maxMs: number };
  renderer: string;
  error?: string;
}

/** What the page asks its delta worker for: the snapshot (step 0) or part `part` of update `step`, as JSON text. */
export interface DeltaRequest {
  encoding: PageEncoding;
  count: number;
  step: number;
  ts: number;
  part: number;
  parts: number;
}

/**
 * A delta as socket.io hands it over: JSON text, and for columns the binary attachment beside it; or, for
 * `worker`, what the live worker posts: the snapshot with its numbering, or the numbered delta.
 */
export interface DeltaMessage {
  text?: string;
  numbers?: ArrayBuffer;
  /** With a `worker` snapshot's text: the live worker's number for each of its entities. */
  snapshotHandles?: Int32Array;
  handles?: HandleDelta;
  /** ms the worker spent parsing and numbering (`worker` only). */
  workerMs?: number;
}

// When the map clusters and how often the cluster index is rebuilt. DOM-free: the console's render loop
// and the browser benchmark call `update` once per frame they draw.
import type { EntityStore } from '../state/entity-store.js';
import type { LayerKind } from '../state/layer-kinds.js';
import type { ClusterLoad, ClusterReply, ClusterWorkerPort } from './cluster-worker-protocol.js';
import {
  ClusterIndex,
  collectEntities,
  EMPTY_SET,
  withKeys,
  type ClusterScratch,
  type ClusterSet,
  type IncludeEntity,
} from './clusters.js';

/** Below this many drawn entities the map never clusters: dots of a small city do not pile up. */
export const CLUSTER_MIN_ENTITIES = 2000;
/** From this zoom on every entity is drawn on its own layer, as before clustering existed. */
export const CLUSTER_MAX_ZOOM = 16;
/** Screen pixels (at marker scale 1) within which entities merge. */
export const CLUSTER_RADIUS_PX = 80;
/** The index is rebuilt for moved or restyled entities at most this often (ms)… */
export const RECLUSTER_MIN_MS = 1000;
/** …and at most this share of the main thread when inline: a 100 ms rebuild waits 1 s, a 300 ms one 3 s… */
export const RECLUSTER_SHARE = 0.1;
/** …or of the worker's core: clusters (and the alerts they show) lag at most about twice a rebuild. */
export const RECLUSTER_WORKER_SHARE = 0.5;

export interface ClusterViewState {
  store: Pick<EntityStore, 'layers' | 'version'>;
  /** Layers whose entities are drawn (hidden layers are not clustered either). */
  kinds: readonly LayerKind[];
  include: IncludeEntity;
  /** Changes when `kinds` or `include` would answer differently (a layer switched): forces a rebuild. */
  filterKey: string;
  zoom: number;
  /** The map's visible area, [west, south, east, north]. */
  bounds: readonly [number, number, number, number];
  /** Marker size multiplier: clusters merge within a radius that grows with the markers. */
  markerScale: number;
  /** Monotonic time (ms). */
  now: number;
}

/** What one frame gets: the items to draw, or null when the map draws entities individually. */
export interface ClusterFrame {
  set: ClusterSet;
  /** The set changed since the previous frame (deck.gl re-uploads only then). */
  changed: boolean;
}

/** Timings of the latest rebuild and query (ms), for the benchmark and diagnostics. */
export interface ClusterStats {
  builds: number;
  /** Index rebuild (in the worker when there is one). */
  lastBuildMs: number;
  queries: number;
  lastQueryMs: number;
  /** Main-thread share of the latest rebuild: copying positions, ranks and keys out of the store. */
  lastCollectMs: number;
  entities: number;
}

export interface ClusterViewOptions {
  /** Runs the index in a worker; without one (tests) the index runs inline. */
  worker?: ClusterWorkerPort;
  /** Called when a worker answer arrived: the map should draw a frame. */
  onChange?: () => void;
}

type Bounds = readonly [number, number, number, number];

/**
 * Owns the cluster index of one store. Moving or zooming only queries the index (cheap); entity motion
 * and status changes rebuild it, throttled so 1 Hz updates of 100 k entities never keep a thread busy.
 * With a worker, the main thread only copies the entities out (a few ms for 100 k) and draws the latest answer.
 */
export class ClusterView {
  private index: ClusterIndex | undefined;
  private indexScale = 0;
  private builtVersion = -1;
  private builtFilter = '';
  private builtStore: ClusterViewState['store'] | undefined;
  private builtAt = -Infinity;
  private set: ClusterSet | undefined;
  private fresh = false;
  private queriedZoom = -1;
  private queried: Bounds = [0, 0, 0, 0];
  private readonly worker: ClusterWorkerPort | undefined;
  private readonly onChange: () => void;
  private seq = 0;
  private inFlight = false;
  /** Keys of the entities each request in flight was built from, by request number. */
  private readonly keysBySeq = new Map<number, string[]>();
  private keys: string[] = [];
  /** Positions and ranks of the last load, handed back by the worker: the next load is written over them. */
  private scratch: ClusterScratch = {};
  private readonly expansions = new Map<number, (zoom: number) => void>();
  readonly stats: ClusterStats = {
    builds: 0,
    lastBuildMs: 0,
    queries: 0,
    lastQueryMs: 0,
    lastCollectMs: 0,
    entities: 0,
  };

  constructor(options: ClusterViewOptions = {}) {
    this.worker = options.worker;
    this.onChange = options.onChange ?? (() => undefined);
    this.worker?.listen((reply) => this.received(reply));
  }

  /** Whether the map clusters at this state: many entities drawn and zoomed out. */
  static active(state: Pick<ClusterViewState, 'store' | 'kinds' | 'zoom'>): boolean {
    if (state.zoom >= CLUSTER_MAX_ZOOM) return false;
    let drawn = 0;
    for (const kind of state.kinds) drawn += state.store.layers[kind].count;
    return drawn >= CLUSTER_MIN_ENTITIES;
  }

  /** The clusters for this frame, or null when entities are drawn individually. */
  update(state: ClusterViewState): ClusterFrame | null {
    if (!ClusterView.active(state)) {
      this.set = undefined;
      this.builtStore = undefined;
      return null;
    }
    const rebuild = this.rebuildDue(state);
    const zoom = Math.floor(state.zoom);
    const queryDue = rebuild || zoom !== this.queriedZoom || !contains(this.queried, state.bounds);
    if (this.worker) {
      if (queryDue && !this.inFlight) this.post(state, rebuild, zoom);
      const changed = this.fresh;
      this.fresh = false;
      // Until the first answer, nothing: better than a first frame of every entity.
      return { set: this.set ?? EMPTY_SET, changed };
    }
    if (rebuild) this.rebuildInline(state);
    if (!queryDue && this.set) return { set: this.set, changed: false };
    const t0 = performance.now();
    const padded = pad(state.bounds, 0.5);
    this.set = (this.index as ClusterIndex).query(padded, zoom);
    this.stats.lastQueryMs = performance.now() - t0;
    this.stats.queries++;
    this.queriedZoom = zoom;
    this.queried = padded;
    return { set: this.set, changed: true };
  }

  /** True when the entities changed since the last rebuild and the throttle would allow one now. */
  rebuildPending(now: number): boolean {
    return this.builtStore !== undefined && this.builtStore.version !== this.builtVersion && now >= this.nextBuildAt();
  }

  /** The zoom a click on a cluster takes the map to. */
  expansionZoom(clusterId: number): Promise<number> {
    if (!this.worker) return Promise.resolve(this.index ? this.index.expansionZoom(clusterId) : CLUSTER_MAX_ZOOM);
    const seq = ++this.seq;
    const answer = new Promise<number>((resolve) => this.expansions.set(seq, resolve));
    this.worker.post({ kind: 'expansion', seq, clusterId }, []);
    return answer;
  }

  /** Stops the worker. */
  close(): void {
    this.worker?.terminate();
  }

  private nextBuildAt(): number {
    const share = this.worker ? RECLUSTER_WORKER_SHARE : RECLUSTER_SHARE;
    return this.builtAt + Math.max(RECLUSTER_MIN_MS, this.stats.lastBuildMs / share);
  }

  private rebuildDue(state: ClusterViewState): boolean {
    if (this.builtStore === undefined) return true;
    if (state.store !== this.builtStore || state.filterKey !== this.builtFilter) return true;
    if (state.markerScale !== this.indexScale) return true;
    return state.store.version !== this.builtVersion && state.now >= this.nextBuildAt();
  }

  private markBuilt(state: ClusterViewState): void {
    this.builtVersion = state.store.version;
    this.builtStore = state.store;
    this.builtFilter = state.filterKey;
    this.builtAt = state.now;
    this.indexScale = state.markerScale;
  }

  private rebuildInline(state: ClusterViewState): void {
    const t0 = performance.now();
    if (!this.index || state.markerScale !== this.indexScale) {
      this.index = new ClusterIndex({ radiusPx: CLUSTER_RADIUS_PX * state.markerScale, maxZoom: CLUSTER_MAX_ZOOM - 1 });
    }
    this.stats.entities = this.index.load(state.store, state.include, state.kinds);
    this.stats.lastBuildMs = performance.now() - t0;
    this.stats.builds++;
    this.markBuilt(state);
  }

  private post(state: ClusterViewState, rebuild: boolean, zoom: number): void {
    const worker = this.worker as ClusterWorkerPort;
    const seq = ++this.seq;
    const padded = pad(state.bounds, 0.5);
    let load: ClusterLoad | undefined;
    if (rebuild) {
      const t0 = performance.now();
      // The keys are written over too: the set shown is named already (withKeys copies), and with one
      // request in flight at a time every answer from now on comes from this load.
      const input = collectEntities(state.store, state.include, state.kinds, { ...this.scratch, keys: this.keys });
      this.scratch = {};
      this.stats.lastCollectMs = performance.now() - t0;
      this.stats.entities = input.count;
      this.keysBySeq.set(seq, input.keys);
      // Transferred whole (no copy); the worker hands them back with its answer.
      load = {
        coords: input.coords,
        worst: input.worst,
        count: input.count,
        radiusPx: CLUSTER_RADIUS_PX * state.markerScale,
        maxZoom: CLUSTER_MAX_ZOOM - 1,
      };
      this.markBuilt(state);
    }
    this.inFlight = true;
    this.queriedZoom = zoom;
    this.queried = padded;
    worker.post(
      { kind: 'query', seq, bbox: padded, zoom, ...(load ? { load } : {}) },
      load ? [load.coords.buffer as ArrayBuffer, load.worst.buffer as ArrayBuffer] : [],
    );
  }

  private received(reply: ClusterReply): void {
    if (reply.kind === 'expansion') {
      this.expansions.get(reply.seq)?.(reply.zoom);
      this.expansions.delete(reply.seq);
      return;
    }
    this.inFlight = false;
    const keys = this.keysBySeq.get(reply.seq);
    if (keys) {
      this.keys = keys;
      this.keysBySeq.delete(reply.seq);
    }
    if (reply.returned) {
      this.scratch.coords = reply.returned.coords;
      this.scratch.worst = reply.returned.worst;
    }
    if (reply.buildMs !== undefined) {
      this.stats.lastBuildMs = reply.buildMs;
      this.stats.builds++;
    }
    this.stats.lastQueryMs = reply.queryMs;
    this.stats.queries++;
    // An answer for a map that stopped clustering meanwhile is dropped.
    if (this.builtStore === undefined) return;
    this.set = withKeys(reply.set, this.keys);
    this.fresh = true;
    this.onChange();
  }
}

function pad(bounds: Bounds, share: number): [number, number, number, number] {
  const dx = (bounds[2] - bounds[0]) * share;
  const dy = (bounds[3] - bounds[1]) * share;
  return [bounds[0] - dx, Math.max(-90, bounds[1] - dy), bounds[2] + dx, Math.min(90, bounds[3] + dy)];
}

function contains(outer: Bounds, inner: Bounds) {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

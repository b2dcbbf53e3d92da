// When the map clusters and how often the cluster index is rebuilt. DOM-free: the console's render loop
// and the browser benchmark call `update` once per frame they draw.
import type { EntityStore } from '../state/entity-store.js';
import type { LayerKind } from '../state/layer-kinds.js';
import { ClusterIndex, type ClusterSet, type IncludeEntity } from './clusters.js';

/** Below this many drawn entities the map never clusters: dots of a small city do not pile up. */
export const CLUSTER_MIN_ENTITIES = 2000;
/** From this zoom on every entity is drawn on its own layer, as before clustering existed. */
export const CLUSTER_MAX_ZOOM = 16;
/** Screen pixels (at marker scale 1) within which entities merge. */
export const CLUSTER_RADIUS_PX = 80;
/** The index is rebuilt for moved or restyled entities at most this often (ms)… */
export const RECLUSTER_MIN_MS = 1000;
/** …and at most this share of the main thread: a 100 ms rebuild waits 1 s, a 300 ms one 3 s. */
export const RECLUSTER_SHARE = 0.1;

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
  lastBuildMs: number;
  queries: number;
  lastQueryMs: number;
  entities: number;
}

/**
 * Owns the cluster index of one store. Moving or zooming only queries the index (cheap); entity motion
 * and status changes rebuild it, throttled so 1 Hz updates of 100 k entities never keep the main thread busy.
 */
export class ClusterView {
  private index: ClusterIndex | undefined;
  private indexScale = 0;
  private builtVersion = -1;
  private builtFilter = '';
  private builtStore: ClusterViewState['store'] | undefined;
  private builtAt = -Infinity;
  private set: ClusterSet | undefined;
  private queriedZoom = -1;
  private queried: readonly [number, number, number, number] = [0, 0, 0, 0];
  readonly stats: ClusterStats = { builds: 0, lastBuildMs: 0, queries: 0, lastQueryMs: 0, entities: 0 };

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
      return null;
    }
    let rebuilt = false;
    if (this.rebuildDue(state)) {
      this.rebuild(state);
      rebuilt = true;
    }
    const zoom = Math.floor(state.zoom);
    if (!rebuilt && this.set && zoom === this.queriedZoom && contains(this.queried, state.bounds)) {
      return { set: this.set, changed: false };
    }
    const t0 = performance.now();
    // Query half a screen beyond each edge, so panning does not query on every frame.
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
    return this.set !== undefined && this.builtStore?.version !== this.builtVersion && now >= this.nextBuildAt();
  }

  /** The zoom a click on a cluster takes the map to. */
  expansionZoom(clusterId: number): number {
    return this.index ? this.index.expansionZoom(clusterId) : CLUSTER_MAX_ZOOM;
  }

  private nextBuildAt(): number {
    return this.builtAt + Math.max(RECLUSTER_MIN_MS, this.stats.lastBuildMs / RECLUSTER_SHARE);
  }

  private rebuildDue(state: ClusterViewState): boolean {
    if (!this.index || this.set === undefined) return true;
    if (state.store !== this.builtStore || state.filterKey !== this.builtFilter) return true;
    if (state.markerScale !== this.indexScale) return true;
    return state.store.version !== this.builtVersion && state.now >= this.nextBuildAt();
  }

  private rebuild(state: ClusterViewState): void {
    const t0 = performance.now();
    if (!this.index || state.markerScale !== this.indexScale) {
      this.index = new ClusterIndex({ radiusPx: CLUSTER_RADIUS_PX * state.markerScale, maxZoom: CLUSTER_MAX_ZOOM - 1 });
      this.indexScale = state.markerScale;
    }
    this.stats.entities = this.index.load(state.store, state.include, state.kinds);
    this.stats.lastBuildMs = performance.now() - t0;
    this.stats.builds++;
    this.builtVersion = state.store.version;
    this.builtStore = state.store;
    this.builtFilter = state.filterKey;
    this.builtAt = state.now;
  }
}

function pad(bounds: readonly [number, number, number, number], share: number): [number, number, number, number] {
  const dx = (bounds[2] - bounds[0]) * share;
  const dy = (bounds[3] - bounds[1]) * share;
  return [bounds[0] - dx, Math.max(-90, bounds[1] - dy), bounds[2] + dx, Math.min(90, bounds[3] + dy)];
}

function contains(outer: readonly [number, number, number, number], inner: readonly [number, number, number, number]) {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

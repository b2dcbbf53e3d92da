// Clusters of point entities for a zoomed-out map: supercluster's hierarchical greedy clustering over the
// store's typed arrays, each cluster carrying its entity count and the worst status inside. DOM-free, so
// unit tests and the browser benchmark drive the same code the console draws with.
import Supercluster, { type ClusterFeature, type PointFeature as ScPointFeature } from 'supercluster';
import type { EntityStore } from '../state/entity-store.js';
import { FLAG_ALERT, FLAG_STALE, type LayerBuffer } from '../state/layer-buffer.js';
import { LAYER_KINDS, type LayerKind } from '../state/layer-kinds.js';

/** Status ranks, worst last: a cluster shows the highest rank among its entities. */
export const STATUS_OK = 0;
export const STATUS_STALE = 1;
export const STATUS_ALERT = 2;
export type StatusRank = typeof STATUS_OK | typeof STATUS_STALE | typeof STATUS_ALERT;

/** The rank of an entity from its layer-buffer flags: alert beats stale beats ok. */
export function statusRank(flags: number): StatusRank {
  if (flags & FLAG_ALERT) return STATUS_ALERT;
  if (flags & FLAG_STALE) return STATUS_STALE;
  return STATUS_OK;
}

/** Per-point (and, reduced, per-cluster) properties: worst rank, entities in alert, entities stale. */
interface Tally {
  worst: number;
  alerts: number;
  stale: number;
}

/** What is drawn at one zoom: clusters and lone entities, as columns (deck.gl takes the typed arrays as they are). */
export interface RawClusterSet {
  length: number;
  /** [lon, lat] per item. */
  positions: Float32Array;
  /** Entities in the item (1 for a lone entity). */
  counts: Uint32Array;
  /** Worst status rank inside. */
  worst: Uint8Array;
  /** Entities in alert inside. */
  alerts: Uint32Array;
  /** supercluster's cluster id, or -1 for a lone entity. */
  clusterIds: Int32Array;
  /** A lone entity's index in the loaded input, -1 for a cluster. */
  points: Int32Array;
}

/** A set with the entity key ("domain/id") of each lone entity (null for a cluster). */
export interface ClusterSet extends RawClusterSet {
  keys: (string | null)[];
}

/** The entities to cluster, as plain arrays (what a worker is sent). */
export interface ClusterInput {
  count: number;
  /** [lon, lat] per entity; may be longer than `count` entities (a reused buffer). */
  coords: Float64Array;
  /** Status rank per entity; may be longer than `count`. */
  worst: Uint8Array;
  /** One per entity, exactly `count`. */
  keys: string[];
}

/** Arrays of an earlier rebuild, to be written over instead of allocating new ones. */
export interface ClusterScratch {
  coords?: Float64Array;
  worst?: Uint8Array;
  keys?: string[];
}

export interface ClusterIndexOptions {
  /** Points closer than this many screen pixels at a zoom merge. */
  radiusPx: number;
  /** The highest zoom that still clusters; above it every entity is its own item. */
  maxZoom: number;
  /** The fewest entities that make a cluster. */
  minPoints?: number;
}

/** Decides whether an entity of a layer takes part (visible layer, not a `layer: false` domain, …). */
export type IncludeEntity = (buffer: LayerBuffer, slot: number) => boolean;

type PointFeature = ScPointFeature<Tally>;

/** Copies the displayed position, status rank and key of every included entity (a few ms for 100 k). */
export function collectEntities(
  store: Pick<EntityStore, 'layers'>,
  include: IncludeEntity,
  kinds: readonly LayerKind[] = LAYER_KINDS,
  scratch: ClusterScratch = {},
): ClusterInput {
  let total = 0;
  for (const kind of kinds) total += store.layers[kind].count;
  // Reused when large enough: in a browser, filling fresh pages is what a 100 k copy mostly costs
  // (docs/PERFORMANCE.md, "Browser at scale"). A quarter more room spares a reallocation per newcomer.
  const coords =
    scratch.coords && scratch.coords.length >= total * 2
      ? scratch.coords
      : new Float64Array(Math.ceil(total * 1.25) * 2);
  const worst = scratch.worst && scratch.worst.length >= total ? scratch.worst : new Uint8Array(coords.length >> 1);
  const keys = scratch.keys ?? [];
  let n = 0;
  for (const kind of kinds) {
    const buffer = store.layers[kind];
    for (let slot = 0; slot < buffer.count; slot++) {
      if (!include(buffer, slot)) continue;
      coords[n * 2] = buffer.positions[slot * 2] ?? 0;
      coords[n * 2 + 1] = buffer.positions[slot * 2 + 1] ?? 0;
      worst[n] = statusRank(buffer.flags[slot] ?? 0);
      keys[n] = buffer.keys[slot] ?? '';
      n++;
    }
  }
  keys.length = n;
  return { count: n, coords, worst, keys };
}

/** Names the lone entities of a raw set from the keys of the input it was built from. */
export function withKeys(raw: RawClusterSet, keys: readonly string[]): ClusterSet {
  const named = new Array<string | null>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const point = raw.points[i] ?? -1;
    named[i] = point >= 0 ? (keys[point] ?? null) : null;
  }
  return { ...raw, keys: named };
}

/** An empty set (nothing drawn yet). */
export const EMPTY_SET: ClusterSet = {
  length: 0,
  positions: new Float32Array(0),
  counts: new Uint32Array(0),
  worst: new Uint8Array(0),
  alerts: new Uint32Array(0),
  clusterIds: new Int32Array(0),
  points: new Int32Array(0),
  keys: [],
};

/**
 * One supercluster index over a set of entities. Loading rebuilds it (every zoom level at once, so
 * moving and zooming only query); it reuses its GeoJSON wrappers between loads, so a reload of 100 k
 * moving entities allocates little besides supercluster's own arrays. Runs in the cluster worker, or
 * inline where there is none (tests).
 */
export class ClusterIndex {
  private readonly options: Required<ClusterIndexOptions>;
  private index: Supercluster<Tally, Tally> | undefined;
  private features: PointFeature[] = [];
  private loaded = 0;
  private keys: readonly string[] = [];

  constructor(options: ClusterIndexOptions) {
    this.options = { minPoints: 2, ...options };
  }

  /** Entities in the index. */
  get size(): number {
    return this.loaded;
  }

  /** Rebuilds the index from the store's displayed positions; returns how many entities went in. */
  load(store: Pick<EntityStore, 'layers'>, include: IncludeEntity, kinds: readonly LayerKind[] = LAYER_KINDS): number {
    const input = collectEntities(store, include, kinds);
    this.loadArrays(input.coords, input.worst, input.count);
    this.keys = input.keys;
    return input.count;
  }

  /** Rebuilds the index from plain arrays ([lon, lat] and status rank per entity). */
  loadArrays(coords: Float64Array, worst: Uint8Array, count: number): void {
    for (let n = 0; n < count; n++) {
      let feature = this.features[n];
      if (!feature) {
        feature = { type: 'Feature', geometry: { type: 'Point', coordinates: [0, 0] }, properties: EMPTY_TALLY };
        this.features[n] = feature;
      }
      feature.id = n;
      feature.geometry.coordinates[0] = coords[n * 2] ?? 0;
      feature.geometry.coordinates[1] = coords[n * 2 + 1] ?? 0;
      feature.properties = TALLIES[(worst[n] ?? STATUS_OK) as StatusRank];
    }
    this.features.length = count;
    this.loaded = count;
    this.keys = [];
    const index = new Supercluster<Tally, Tally>({
      radius: this.options.radiusPx,
      maxZoom: this.options.maxZoom,
      minPoints: this.options.minPoints,
      // maplibre tiles are 512 px, so with extent 512 the radius is in the map's own screen pixels.
      extent: 512,
      // Identity for lone points (supercluster copies before the first reduce), so no object per point per zoom.
      map: (tally) => tally,
      reduce: (sum, tally) => {
        if (tally.worst > sum.worst) sum.worst = tally.worst;
        sum.alerts += tally.alerts;
        sum.stale += tally.stale;
      },
    });
    index.load(this.features);
    this.index = index;
  }

  /** Clusters and lone entities inside `bbox` ([west, south, east, north]) at a zoom (floored, as tiles are), named. */
  query(bbox: readonly [number, number, number, number], zoom: number): ClusterSet {
    return withKeys(this.queryRaw(bbox, zoom), this.keys);
  }

  /** Clusters and lone entities inside `bbox` at a zoom, lone entities by their input index. */
  queryRaw(bbox: readonly [number, number, number, number], zoom: number): RawClusterSet {
    const index = this.index;
    if (!index || this.loaded === 0) return EMPTY_SET;
    const items = index.getClusters([bbox[0], bbox[1], bbox[2], bbox[3]], Math.floor(zoom));
    const length = items.length;
    const set: RawClusterSet = {
      length,
      positions: new Float32Array(length * 2),
      counts: new Uint32Array(length),
      worst: new Uint8Array(length),
      alerts: new Uint32Array(length),
      clusterIds: new Int32Array(length),
      points: new Int32Array(length),
    };
    for (let i = 0; i < length; i++) {
      const item = items[i] as ClusterFeature<Tally> | PointFeature;
      const props = item.properties;
      const [lon = 0, lat = 0] = item.geometry.coordinates;
      set.positions[i * 2] = lon;
      set.positions[i * 2 + 1] = lat;
      set.worst[i] = props.worst;
      set.alerts[i] = props.alerts;
      if ('cluster' in props && props.cluster) {
        set.counts[i] = props.point_count;
        set.clusterIds[i] = props.cluster_id;
        set.points[i] = -1;
      } else {
        set.counts[i] = 1;
        set.clusterIds[i] = -1;
        set.points[i] = typeof item.id === 'number' ? item.id : -1;
      }
    }
    return set;
  }

  /** The zoom at which a cluster splits into more than one item (where a click on it should take the map). */
  expansionZoom(clusterId: number): number {
    return this.index ? this.index.getClusterExpansionZoom(clusterId) : this.options.maxZoom + 1;
  }

  /** The entity keys inside a cluster (up to `limit`), when loaded from a store. */
  leaves(clusterId: number, limit = Infinity): string[] {
    if (!this.index) return [];
    return this.index
      .getLeaves(clusterId, limit === Infinity ? this.loaded : limit)
      .map((leaf) => (typeof leaf.id === 'number' ? (this.keys[leaf.id] ?? '') : ''));
  }
}

const EMPTY_TALLY: Tally = Object.freeze({ worst: STATUS_OK, alerts: 0, stale: 0 });
// One frozen tally per rank, shared by every lone point: the reducer only ever writes into supercluster's copies.
const TALLIES: Record<StatusRank, Tally> = {
  [STATUS_OK]: EMPTY_TALLY,
  [STATUS_STALE]: Object.freeze({ worst: STATUS_STALE, alerts: 0, stale: 1 }),
  [STATUS_ALERT]: Object.freeze({ worst: STATUS_ALERT, alerts: 1, stale: 0 }),
};

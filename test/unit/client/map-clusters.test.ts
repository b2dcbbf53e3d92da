import { describe, expect, it, vi } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import {
  CLUSTER_MAX_ZOOM,
  CLUSTER_MIN_ENTITIES,
  ClusterView,
  RECLUSTER_MIN_MS,
  type ClusterViewState,
} from '../../../client/map/cluster-view.js';
import {
  ClusterIndex,
  STATUS_ALERT,
  STATUS_OK,
  STATUS_STALE,
  statusRank,
  type ClusterSet,
} from '../../../client/map/clusters.js';
import {
  createClusterHandler,
  type ClusterReply,
  type ClusterRequest,
  type ClusterWorkerPort,
} from '../../../client/map/cluster-worker-protocol.js';
import { EntityStore } from '../../../client/state/entity-store.js';
import { FLAG_ALERT, FLAG_STALE } from '../../../client/state/layer-buffer.js';
import { LAYER_KINDS } from '../../../client/state/layer-kinds.js';

const T0 = 1_800_000_000_000;
const WORLD: [number, number, number, number] = [-180, -85, 180, 85];

function sensor(id: string, lon: number, lat: number, status: Entity['status'] = 'ok'): Entity {
  return { domain: 'sensor', id, ts: T0, lat, lon, fields: { pm25: 5 }, status };
}

/** Group A: 5 sensors within metres of each other, one in alert; group B 0.1° east: 3, one stale; C far away alone. */
function city(): EntityStore {
  const store = new EntityStore();
  const entities = [
    ...[0, 1, 2, 3, 4].map((i) => sensor(`a${i}`, 106.2 + i * 1e-5, 21.28, i === 2 ? 'alert' : 'ok')),
    ...[0, 1, 2].map((i) => sensor(`b${i}`, 106.3 + i * 1e-5, 21.28, i === 0 ? 'stale' : 'ok')),
    sensor('c', 106.5, 21.0),
  ];
  store.applySnapshot({ ts: T0, entities }, T0);
  return store;
}

/** Items of a set, sorted by count then key, as plain values. */
function items(set: ClusterSet) {
  return Array.from({ length: set.length }, (_, i) => ({
    count: set.counts[i],
    worst: set.worst[i],
    alerts: set.alerts[i],
    key: set.keys[i],
    cluster: (set.clusterIds[i] ?? -1) >= 0,
  })).sort((x, y) => (y.count ?? 0) - (x.count ?? 0) || String(x.key).localeCompare(String(y.key)));
}

function loaded(store: EntityStore): ClusterIndex {
  const index = new ClusterIndex({ radiusPx: 60, maxZoom: 15 });
  expect(index.load(store, () => true)).toBe(9);
  return index;
}

describe('cluster index', () => {
  it('ranks status: alert over stale over ok', () => {
    expect(statusRank(0)).toBe(STATUS_OK);
    expect(statusRank(FLAG_STALE)).toBe(STATUS_STALE);
    expect(statusRank(FLAG_ALERT)).toBe(STATUS_ALERT);
    expect(statusRank(FLAG_ALERT | FLAG_STALE)).toBe(STATUS_ALERT);
  });

  it('at zoom 10 keeps the two groups apart, each with its worst status, and the far sensor alone', () => {
    const index = loaded(city());
    expect(items(index.query(WORLD, 10))).toEqual([
      { count: 5, worst: STATUS_ALERT, alerts: 1, key: null, cluster: true },
      { count: 3, worst: STATUS_STALE, alerts: 0, key: null, cluster: true },
      { count: 1, worst: STATUS_OK, alerts: 0, key: 'sensor/c', cluster: false },
    ]);
  });

  it('at zoom 8 merges the groups (0.1° is 36 px) and leaves the far sensor out', () => {
    const index = loaded(city());
    const set = index.query(WORLD, 8.7);
    expect(items(set)).toEqual([
      { count: 8, worst: STATUS_ALERT, alerts: 1, key: null, cluster: true },
      { count: 1, worst: STATUS_OK, alerts: 0, key: 'sensor/c', cluster: false },
    ]);
    const merged = set.counts.indexOf(8);
    expect(index.leaves(set.clusterIds[merged] ?? -1).sort()).toEqual([
      'sensor/a0',
      'sensor/a1',
      'sensor/a2',
      'sensor/a3',
      'sensor/a4',
      'sensor/b0',
      'sensor/b1',
      'sensor/b2',
    ]);
    // A click on it opens at the zoom where the two groups part.
    expect(index.expansionZoom(set.clusterIds[merged] ?? -1)).toBe(9);
  });

  it('above its highest zoom draws every entity on its own, and only what the filter lets in', () => {
    const store = city();
    const index = loaded(store);
    expect(items(index.query(WORLD, 16)).map((item) => item.key)).toEqual([
      'sensor/a0',
      'sensor/a1',
      'sensor/a2',
      'sensor/a3',
      'sensor/a4',
      'sensor/b0',
      'sensor/b1',
      'sensor/b2',
      'sensor/c',
    ]);
    const onlyA = new ClusterIndex({ radiusPx: 60, maxZoom: 15 });
    expect(onlyA.load(store, (buffer, slot) => buffer.keys[slot]?.startsWith('sensor/a') === true)).toBe(5);
    expect(items(onlyA.query(WORLD, 10))).toEqual([
      { count: 5, worst: STATUS_ALERT, alerts: 1, key: null, cluster: true },
    ]);
  });

  it('queries only the box asked for', () => {
    const index = loaded(city());
    expect(items(index.query([106.45, 20.9, 106.55, 21.1], 10))).toEqual([
      { count: 1, worst: STATUS_OK, alerts: 0, key: 'sensor/c', cluster: false },
    ]);
  });
});

/** A grid of `n` sensors 0.001° apart (about 100 m) around the reference city. */
function grid(n: number): EntityStore {
  const store = new EntityStore();
  const side = Math.ceil(Math.sqrt(n));
  const entities = Array.from({ length: n }, (_, i) =>
    sensor(`g${i}`, 106.1 + (i % side) * 0.001, 21.2 + Math.floor(i / side) * 0.001),
  );
  store.applySnapshot({ ts: T0, entities }, T0);
  return store;
}

function state(store: EntityStore, patch: Partial<ClusterViewState> = {}): ClusterViewState {
  return {
    store,
    kinds: LAYER_KINDS,
    include: () => true,
    filterKey: 'all',
    zoom: 11,
    bounds: [106.0, 21.1, 106.3, 21.4],
    markerScale: 1,
    now: 10_000,
    ...patch,
  };
}

describe('cluster view', () => {
  it('clusters only many entities, and only below its zoom', () => {
    const few = grid(CLUSTER_MIN_ENTITIES - 1);
    expect(new ClusterView().update(state(few))).toBeNull();
    const many = grid(CLUSTER_MIN_ENTITIES);
    const view = new ClusterView();
    const frame = view.update(state(many));
    expect(frame?.changed).toBe(true);
    const total = Array.from(frame?.set.counts ?? []).reduce((sum, n) => sum + n, 0);
    expect(total).toBe(CLUSTER_MIN_ENTITIES);
    expect(frame?.set.length).toBeLessThan(CLUSTER_MIN_ENTITIES / 10);
    expect(view.update(state(many, { zoom: CLUSTER_MAX_ZOOM }))).toBeNull();
    // Hidden layers do not count towards the threshold.
    expect(new ClusterView().update(state(many, { kinds: ['bus'] }))).toBeNull();
  });

  it('rebuilds for moved entities at most once per interval, and queries again only on zoom or leaving the area', () => {
    const store = grid(CLUSTER_MIN_ENTITIES);
    const view = new ClusterView();
    const first = view.update(state(store));
    expect(view.stats.builds).toBe(1);
    expect(view.stats.queries).toBe(1);
    // A small pan stays inside the padded query box: the same set, nothing re-uploaded.
    const pan = view.update(state(store, { bounds: [106.01, 21.1, 106.31, 21.4], now: 10_016 }));
    expect(pan).toEqual({ set: first?.set, changed: false });
    expect(view.stats.queries).toBe(1);

    store.applyDelta({ seq: 1, ts: T0 + 1000, upserts: [sensor('g0', 106.25, 21.35, 'alert')], removes: [] }, 10_100);
    expect(view.rebuildPending(10_100)).toBe(false);
    expect(view.update(state(store, { now: 10_100 }))?.changed).toBe(false);
    expect(view.stats.builds).toBe(1);
    const due = 10_000 + Math.max(RECLUSTER_MIN_MS, view.stats.lastBuildMs * 10);
    expect(view.rebuildPending(due)).toBe(true);
    const rebuilt = view.update(state(store, { now: due }));
    expect(view.stats.builds).toBe(2);
    expect(rebuilt?.changed).toBe(true);
    expect(Math.max(...Array.from(rebuilt?.set.worst ?? []))).toBe(STATUS_ALERT);
    expect(view.rebuildPending(due + 5000)).toBe(false);

    // Zooming queries the same index; switching a layer off rebuilds at once.
    view.update(state(store, { zoom: 12.2, now: due + 10 }));
    expect([view.stats.builds, view.stats.queries]).toEqual([2, 3]);
    view.update(state(store, { zoom: 12.2, now: due + 20, filterKey: 'sensors off', include: () => false }));
    expect(view.stats.builds).toBe(3);
    expect(view.stats.entities).toBe(0);
  });
});

/** The worker's handler behind a port that copies (or transfers) messages both ways, as postMessage does. */
function inProcessWorker(): ClusterWorkerPort & { requests: ClusterRequest[] } {
  let onReply: (reply: ClusterReply) => void = () => undefined;
  const requests: ClusterRequest[] = [];
  const handle = createClusterHandler((reply, transfer) => {
    const copy = structuredClone(reply, { transfer });
    setTimeout(() => onReply(copy), 0);
  });
  return {
    requests,
    post: (request, transfer) => {
      const copy = structuredClone(request, { transfer });
      requests.push(copy);
      setTimeout(() => handle(copy), 0);
    },
    listen: (fn) => {
      onReply = fn;
    },
    terminate: () => undefined,
  };
}

describe('cluster view with a worker', () => {
  it('draws nothing until the worker answers, then the same clusters as inline, named by entity key', async () => {
    const store = city();
    for (let i = 0; i < CLUSTER_MIN_ENTITIES; i++) {
      store.upsert(sensor(`far-${i}`, 100 + (i % 50) * 0.01, 10 + Math.floor(i / 50) * 0.01), T0, false);
    }
    const worker = inProcessWorker();
    let changes = 0;
    const view = new ClusterView({ worker, onChange: () => changes++ });
    const at = state(store, { zoom: 10, bounds: [106.1, 20.9, 106.6, 21.4] });
    const first = view.update(at);
    expect(first?.set.length).toBe(0);
    expect(first?.changed).toBe(false);
    // One request, carrying copies of the entities' positions and ranks to build from.
    expect(worker.requests).toHaveLength(1);
    expect(worker.requests[0]).toMatchObject({ kind: 'query', zoom: 10, load: { count: 9 + CLUSTER_MIN_ENTITIES } });
    // A second frame while the answer is on its way asks nothing more.
    view.update({ ...at, now: at.now + 16 });
    expect(worker.requests).toHaveLength(1);

    await vi.waitFor(() => expect(changes).toBe(1), { timeout: 5000 });
    const frame = view.update({ ...at, now: at.now + 32 });
    expect(frame?.changed).toBe(true);
    const inline = new ClusterView().update(at);
    expect(items(frame?.set as ClusterSet)).toEqual(items(inline?.set as ClusterSet));
    expect(items(frame?.set as ClusterSet)).toEqual([
      { count: 5, worst: STATUS_ALERT, alerts: 1, key: null, cluster: true },
      { count: 3, worst: STATUS_STALE, alerts: 0, key: null, cluster: true },
      { count: 1, worst: STATUS_OK, alerts: 0, key: 'sensor/c', cluster: false },
    ]);
    expect(view.stats).toMatchObject({ builds: 1, queries: 1, entities: 9 + CLUSTER_MIN_ENTITIES });

    const group = frame?.set.counts.indexOf(5) ?? -1;
    expect(await view.expansionZoom(frame?.set.clusterIds[group] ?? -1)).toBe(CLUSTER_MAX_ZOOM);
  });
});

describe('cluster view reusing its arrays', () => {
  it('writes each load over the arrays the worker handed back, and still names lone entities right', async () => {
    const store = city();
    const far = (i: number) => sensor(`far-${i}`, 100 + (i % 50) * 0.01, 10 + Math.floor(i / 50) * 0.01);
    for (let i = 0; i < CLUSTER_MIN_ENTITIES + 200; i++) store.upsert(far(i), T0, false);
    const worker = inProcessWorker();
    // What each load held when posted (the worker hands its arrays back, so they are detached after).
    const loads: { count: number; capacity: number }[] = [];
    const post = worker.post.bind(worker);
    worker.post = (request, transfer) => {
      if (request.kind === 'query' && request.load)
        loads.push({ count: request.load.count, capacity: request.load.coords.length });
      post(request, transfer);
    };
    let changes = 0;
    const view = new ClusterView({ worker, onChange: () => changes++ });
    const at = state(store, { zoom: 10, bounds: [106.1, 20.9, 106.6, 21.4] });
    const lone = () =>
      items(view.update({ ...at, now: at.now + 1 })?.set as ClusterSet).filter((item) => !item.cluster);

    view.update(at);
    await vi.waitFor(() => expect(changes).toBe(1), { timeout: 5000 });
    const capacity = loads[0]?.capacity ?? 0;
    expect(capacity).toBeGreaterThan((loads[0]?.count ?? 0) * 2);
    expect(lone().map((item) => item.key)).toEqual(['sensor/c']);

    // Entities leave and 'c' moves next to group B: a smaller load, written over the returned (larger) arrays.
    for (let i = 0; i < 150; i++) store.remove(`sensor/far-${i}`);
    store.upsert(sensor('c', 106.3 + 3e-5, 21.28), T0 + 1, false);
    store.upsert(sensor('d', 106.45, 21.1), T0 + 1, false);
    for (let round = 2; round <= 3; round++) {
      view.update({ ...at, now: at.now + round * 60_000 });
      await vi.waitFor(() => expect(changes).toBe(round), { timeout: 5000 });
      expect(loads[round - 1]).toEqual({ count: 9 + 1 + CLUSTER_MIN_ENTITIES + 50, capacity });
      expect(lone().map((item) => item.key)).toEqual(['sensor/d']);
      store.upsert(sensor('d', 106.45, 21.1 + round * 1e-3), T0 + round, false);
    }
  });
});

import type { Entity } from '../../contract/entity.js';
import { basemapStatus, type BasemapStatus } from '../map/basemap.js';
import type { DrawnCluster, MapView } from '../map/map-view.js';
import type { EntityStore } from '../state/entity-store.js';
import type { Observable } from '../state/observable.js';
import type { ReplayController } from '../features/replay/replay-controller.js';
import { viewOf } from '../ui/entity-info.js';

/** Read-only view of the running console for browser tests and field diagnostics (`window.__ioc`). */
export interface IocTestHook {
  /** True once the first snapshot is applied and the map style has loaded. */
  ready(): boolean;
  entityCount(): number;
  entity(key: string): Entity | undefined;
  /** Entity key drawn at a pixel of the map container, or null. */
  pickAt(x: number, y: number): string | null;
  /** The cluster (or lone entity) drawn at a pixel while the map clusters, or null. */
  clusterAt(x: number, y: number): DrawnCluster | null;
  /** What the map draws as clusters now; empty when entities are drawn individually. */
  clusters(): DrawnCluster[];
  /** Pixel of the map container where a coordinate is drawn. */
  project(lon: number, lat: number): [number, number];
  displayedPosition(key: string): [number, number] | undefined;
  /** Resolves when the map has finished loading and rendering. */
  whenIdle(): Promise<void>;
  /** How many times the React tree rendered (it must not follow the delta rate). */
  renders(): number;
  seqGaps(): number;
  /** The configured basemap's state: offline, loading, ready or failed (with why). */
  basemap(): BasemapStatus;
  /** The replay playhead (ms) while the console shows the past, else null. */
  replayAt(): number | null;
  /** True while a replay request is in flight. */
  replayLoading(): boolean;
  /** How an entity is drawn now: with the alert ring, greyed as stale; undefined when not on the map. */
  entityStatus(key: string): { alert: boolean; stale: boolean } | undefined;
}

let renderCount = 0;

/** Counts a render of the app shell. */
export function countRender(): void {
  renderCount++;
}

/** Publishes the hook on `window.__ioc`; entities are read from the store on the map (a replay's while one runs). */
export function installTestHook(live: EntityStore, replay: Observable<ReplayController | null>, view: MapView): void {
  const { map } = view;
  const shown = () => replay.get()?.store ?? live;
  const hook: IocTestHook = {
    ready: () => shown().ready && map.isStyleLoaded() === true,
    entityCount: () => shown().size,
    entity: (key) => {
      const entity = shown().get(key);
      return entity ? structuredClone(entity) : undefined;
    },
    pickAt: (x, y) => view.pickAt(x, y),
    clusterAt: (x, y) => view.clusterAt(x, y),
    clusters: () => view.clusters(),
    project: (lon, lat) => {
      const point = map.project([lon, lat]);
      return [point.x, point.y];
    },
    displayedPosition: (key) => shown().displayedPosition(key),
    whenIdle: () =>
      new Promise<void>((resolve) => {
        if (map.loaded() && !map.isMoving()) resolve();
        else void map.once('idle', () => resolve());
      }),
    renders: () => renderCount,
    seqGaps: () => live.seqGaps,
    basemap: () => basemapStatus.get(),
    replayAt: () => replay.get()?.view.get().at ?? null,
    replayLoading: () => replay.get()?.view.get().loading ?? false,
    entityStatus: (key) => {
      const view = viewOf(shown(), key, performance.now());
      return view ? { alert: view.alert, stale: view.stale } : undefined;
    },
  };
  Object.defineProperty(window, '__ioc', { value: Object.freeze(hook), configurable: true });
}

import type { MapView } from '../map/map-view.js';
import type { CriticalWatch } from './critical-watch.js';
import type { Rotation } from './rotation.js';
import type { WallHealth } from './wall-health.js';
import type { WallRuntime } from './wall-runtime.js';

/** Read-only view of the running wall for browser tests and field diagnostics (`window.__wall`). */
export interface WallTestHook {
  /** The scene on screen: a rotation kind, or `critical` while an alert holds the wall. */
  scene(): string;
  sceneIndex(): number;
  health(): WallHealth;
  /** The socket's state (connecting, live, reconnecting, offline). */
  live(): string;
  /** The build the page was loaded for (from the console config). */
  build(): string | null;
  entityCount(): number;
  /** True once the first snapshot is in and, when there is a map, its style has loaded. */
  ready(): boolean;
  /** Resolves when the map (if any) has finished loading and rendering. */
  whenIdle(): Promise<void>;
  /** Holds the current scene (a screenshot of a slow machine, a look at one board); `resume` lets it run on. */
  pause(): void;
  resume(): void;
}

let map: MapView | null = null;

/** The map the wall draws, for `ready` and `whenIdle`. */
export function setWallMap(view: MapView | null): void {
  map = view;
}

/** Publishes the hook on `window.__wall`; returns its removal. */
export function installWallTestHook(runtime: WallRuntime, rotation: Rotation, critical: CriticalWatch): () => void {
  const hook: WallTestHook = {
    scene: () => (critical.current.get() ? 'critical' : (runtime.scenes[rotation.state.get().index]?.kind ?? '')),
    sceneIndex: () => rotation.state.get().index,
    health: () => ({ ...runtime.health.get() }),
    live: () => runtime.live.status.get().state,
    build: () => runtime.config.build ?? null,
    entityCount: () => runtime.store.size,
    ready: () => runtime.store.ready && (map === null || map.map.isStyleLoaded() === true),
    whenIdle: () =>
      new Promise<void>((resolve) => {
        const shown = map?.map;
        if (!shown || (shown.loaded() && !shown.isMoving())) resolve();
        else void shown.once('idle', () => resolve());
      }),
    pause: () => rotation.pause(),
    resume: () => {
      if (critical.current.get() === null) rotation.resume();
    },
  };
  Object.defineProperty(window, '__wall', { value: Object.freeze(hook), configurable: true });
  return () => {
    Reflect.deleteProperty(window, '__wall');
  };
}

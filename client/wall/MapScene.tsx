import { useEffect, useRef, useState } from 'react';
import type { WallScene } from '../../contract/wall.js';
import { createMapView, type MapView } from '../map/map-view.js';
import { visibility } from '../state/ui-state.js';
import { sceneBounds, sceneVisibility } from './map-fit.js';
import type { WallRuntime } from './wall-runtime.js';
import { setWallMap } from './wall-test-hook.js';

/** Space kept around the framed area, as a share of the screen's height (room for the top bar). */
const FIT_PADDING = 0.09;

/**
 * The console's live map, made once and kept: hidden behind the boards, framed and filtered for each
 * map scene when it comes on (`scene` is null while another scene shows).
 */
export function MapScene({ runtime, scene }: { runtime: WallRuntime; scene: WallScene | null }) {
  const host = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<MapView | null>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const made = createMapView(element, runtime.config, runtime.store);
    setView(made);
    setWallMap(made);
    return () => {
      setWallMap(null);
      made.destroy();
    };
  }, [runtime]);
  useEffect(() => {
    if (!view || !scene) return;
    visibility.set(sceneVisibility(scene));
    const bounds = sceneBounds(runtime.config, scene);
    const { map } = view;
    // The map was not laid out while a board showed: take the screen's size again first.
    map.resize();
    if (bounds) {
      const padding = Math.round(map.getContainer().clientHeight * FIT_PADDING);
      map.fitBounds(bounds, { padding, duration: 0 });
    } else map.jumpTo({ center: runtime.config.map.center, zoom: runtime.config.map.zoom });
  }, [view, scene, runtime]);
  return (
    <div
      ref={host}
      className={scene ? 'wall__map' : 'wall__map wall__map--hidden'}
      data-testid="wall-map"
      aria-hidden={scene ? undefined : true}
    />
  );
}

import { useEffect, useRef } from 'react';
import { t } from '../i18n/i18n.js';
import { basemapStatus } from '../map/basemap.js';
import { createMapView } from '../map/map-view.js';
import { useObservable } from '../ui/hooks.js';
import type { Runtime } from './runtime.js';
import { installTestHook } from './test-hook.js';

/** Hosts the maplibre map; after mounting, React never touches it again (the map reads the store itself). */
export function MapPane({ runtime }: { runtime: Runtime }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const view = createMapView(element, runtime.config, runtime.replay.get()?.store ?? runtime.store);
    installTestHook(runtime.store, runtime.replay, view);
    // Replay in and out swaps the store the map draws; the map itself stays.
    const unsubscribe = runtime.replay.subscribe(() => view.setStore(runtime.replay.get()?.store ?? runtime.store));
    return () => {
      unsubscribe();
      view.destroy();
    };
  }, [runtime]);
  const basemap = useObservable(basemapStatus);
  return (
    <>
      <div ref={host} className="map" role="region" aria-label={t('map.label')} data-testid="map" />
      {basemap.state === 'failed' && (
        <div className="notice notice--top" role="status" data-testid="basemap-notice">
          {t('map.basemapFailed', { detail: basemap.detail })}
        </div>
      )}
    </>
  );
}

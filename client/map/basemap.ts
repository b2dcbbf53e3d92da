import { addProtocol, AttributionControl, type Map as MapLibre, type MapSourceDataEvent } from 'maplibre-gl';
import { PMTiles, Protocol, TileType } from 'pmtiles';
import type { Basemap } from '../../contract/api.js';
import { observable } from '../state/observable.js';
import {
  BASEMAP_BEFORE_LAYER,
  BASEMAP_SOURCE,
  pmtilesSource,
  rasterBasemapLayers,
  vectorBasemapLayers,
} from './basemap-style.js';

/** How the configured basemap is doing; a failure leaves the offline map in place and is shown to the operator. */
export type BasemapStatus =
  | { state: 'offline' }
  | { state: 'loading' }
  | { state: 'ready'; detail: string }
  | { state: 'failed'; detail: string };

export const basemapStatus = observable<BasemapStatus>({ state: 'offline' });

let protocol: Protocol | undefined;

/** Registers pmtiles:// with maplibre once per page (a deployment's own style may use it too). */
export function pmtilesProtocol(): Protocol {
  if (!protocol) {
    protocol = new Protocol();
    addProtocol('pmtiles', protocol.tile);
  }
  return protocol;
}

function vectorLayerIds(metadata: unknown): string[] {
  const layers = (metadata as { vector_layers?: unknown } | null)?.vector_layers;
  if (!Array.isArray(layers)) return [];
  return layers.flatMap((layer) => {
    const id = (layer as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? [id] : [];
  });
}

/** Reads the archive's header (and layer list for vector tiles), then adds it under the city zones. */
async function addPmtiles(map: MapLibre, basemap: Extract<Basemap, { kind: 'pmtiles' }>): Promise<string> {
  const url = new URL(basemap.url, window.location.href).href;
  const archive = new PMTiles(url);
  pmtilesProtocol().add(archive);
  const header = await archive.getHeader();
  const vector = header.tileType === TileType.Mvt || header.tileType === TileType.Mlt;
  const raster = [TileType.Png, TileType.Jpeg, TileType.Webp, TileType.Avif].includes(header.tileType);
  if (!vector && !raster) throw new Error(`unsupported tile type ${header.tileType}`);
  const source = pmtilesSource(url, vector, basemap.attribution);
  if (header.tileType === TileType.Mlt) Object.assign(source, { encoding: 'mlt' });
  let layers = rasterBasemapLayers();
  if (vector) {
    const ids = vectorLayerIds(await archive.getMetadata());
    layers = vectorBasemapLayers(ids);
    if (layers.length === 0)
      throw new Error(`no vector layer this console can draw (layers: ${ids.join(', ') || 'none'})`);
  }
  map.addSource(BASEMAP_SOURCE, source);
  for (const layer of layers) map.addLayer(layer, BASEMAP_BEFORE_LAYER);
  return `PMTiles ${vector ? 'vector' : 'raster'} z${header.minZoom}–${header.maxZoom}`;
}

function addTiles(map: MapLibre, basemap: Extract<Basemap, { kind: 'tiles' }>): string {
  map.addSource(BASEMAP_SOURCE, {
    type: 'raster',
    tiles: [basemap.url],
    tileSize: basemap.tileSize,
    maxzoom: basemap.maxZoom,
    ...(basemap.attribution !== undefined ? { attribution: basemap.attribution } : {}),
  });
  for (const layer of rasterBasemapLayers()) map.addLayer(layer, BASEMAP_BEFORE_LAYER);
  return `tiles ${basemap.url}`;
}

/** Reports tiles that fail to load (server down, 404s) once, without flooding the log. */
function watchTileErrors(map: MapLibre): void {
  const onError = (event: { error?: { message: string }; sourceId?: string }) => {
    if (event.sourceId !== BASEMAP_SOURCE) return;
    map.off('error', onError);
    basemapStatus.set({ state: 'failed', detail: event.error?.message ?? 'tiles did not load' });
  };
  map.on('error', onError);
  const onData = (event: MapSourceDataEvent) => {
    if (event.sourceId !== BASEMAP_SOURCE || !event.isSourceLoaded || event.tile === undefined) return;
    map.off('sourcedata', onData);
    if (basemapStatus.get().state === 'loading') basemapStatus.set({ state: 'ready', detail: 'tiles' });
  };
  map.on('sourcedata', onData);
}

/**
 * Adds the configured tile basemap to a map that shows the offline style; call after the style loaded.
 * When the archive or tile server cannot be read, the offline map stays and the status says why.
 */
export function applyBasemap(map: MapLibre, basemap: Basemap): void {
  if ('attribution' in basemap && basemap.attribution !== undefined) {
    map.addControl(new AttributionControl({ compact: true, customAttribution: basemap.attribution }), 'bottom-right');
  }
  if (basemap.kind === 'pmtiles' || basemap.kind === 'tiles') watchTileErrors(map);
  if (basemap.kind === 'pmtiles') {
    basemapStatus.set({ state: 'loading' });
    addPmtiles(map, basemap).then(
      (detail) => basemapStatus.set({ state: 'ready', detail }),
      (err: unknown) => {
        const detail = err instanceof Error ? err.message : String(err);
        console.warn('PMTiles basemap unavailable; keeping the offline map', detail);
        basemapStatus.set({ state: 'failed', detail });
      },
    );
  } else if (basemap.kind === 'tiles') {
    basemapStatus.set({ state: 'loading' });
    addTiles(map, basemap);
  }
}

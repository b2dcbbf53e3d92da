import { MapLibreOverlay } from '@deck.gl/maplibre';
import type { PickingInfo } from '@deck.gl/core';
import { Map as MapLibre, NavigationControl, setWorkerUrl, type GeoJSONSource } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import type { ConsoleConfig } from '../../contract/api.js';
import { getLocale } from '../i18n/i18n.js';
import type { EntityStore } from '../state/entity-store.js';
import { LAYER_KINDS, type LayerKind } from '../state/layer-kinds.js';
import { observable } from '../state/observable.js';
import { focusRequest, mapBounds, selection, visibility } from '../state/ui-state.js';
import { offlineStyle, ZONE_LAYERS, zoneLabelPoint, zonesToGeoJson } from './base-style.js';
import { applyBasemap, pmtilesProtocol } from './basemap.js';
import { loadCountryOutlines } from './country-outline.js';
import { CLUSTER_LAYER_ID } from './cluster-layers.js';
import { CLUSTER_MAX_ZOOM, ClusterView } from './cluster-view.js';
import type { ClusterReply, ClusterWorkerPort } from './cluster-worker-protocol.js';
import ClusterWorker from './cluster-worker.ts?worker';
import type { ClusterSet } from './clusters.js';
import { clusterFilter, DeckLayerBuilder, type ZoneLabel } from './deck-layers.js';
import { reportLayers, reportPoints, reportVisibility } from './report-layer.js';
import { createIconAtlas } from './icon-atlas.js';

// maplibre-gl 6 has no bundled worker: vite must emit it and we point the library at it.
setWorkerUrl(workerUrl);

/** What the pointer is over: the entity key (or a cluster's tally) and where to put the tooltip. */
export interface Hover {
  key: string;
  x: number;
  y: number;
  /** Set when the pointer is over a cluster of entities (zoomed out); `key` is then empty. */
  cluster?: { count: number; alerts: number };
}

/** One cluster (or lone entity) as drawn zoomed out. */
export interface DrawnCluster {
  lon: number;
  lat: number;
  count: number;
  /** Worst status rank inside: 0 ok, 1 stale, 2 alert. */
  worst: number;
  /** The entity of a lone item, null for a cluster. */
  key: string | null;
}

export const hover = observable<Hover | null>(null);

export interface MapView {
  map: MapLibre;
  /** The entity drawn at a pixel of the map container, or null. */
  pickAt(x: number, y: number): string | null;
  /** The cluster (or lone entity) drawn at a pixel while zoomed out, or null. */
  clusterAt(x: number, y: number): DrawnCluster | null;
  /** Everything drawn as clusters now; empty when entities are drawn individually. */
  clusters(): DrawnCluster[];
  /** Draws another store from the next frame on (replay in, back to live). */
  setStore(store: EntityStore): void;
  destroy(): void;
}

const PULSE_PERIOD_MS = 1600;
/** Alert rings animate at this rate at most: enough to read as a pulse, cheap on software WebGL. */
const PULSE_FRAME_MS = 66;

function markerScale(): number {
  return Math.min(2.2, Math.max(1, window.innerWidth / 1920));
}

/** How far from a marker (px) a click or hover still finds it: markers are small on a phone. */
const PICKING_RADIUS = 6;

/** The cluster index in its own worker: rebuilding it for 100 k entities takes a few hundred ms. */
function clusterWorker(): ClusterWorkerPort {
  const worker = new ClusterWorker();
  return {
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen: (onReply) => {
      worker.onmessage = (event: MessageEvent<ClusterReply>) => onReply(event.data);
    },
    terminate: () => worker.terminate(),
  };
}

function drawnAt(set: ClusterSet, i: number): DrawnCluster {
  return {
    lon: set.positions[i * 2] ?? 0,
    lat: set.positions[i * 2 + 1] ?? 0,
    count: set.counts[i] ?? 0,
    worst: set.worst[i] ?? 0,
    key: set.keys[i] ?? null,
  };
}

function keyOf(
  store: EntityStore,
  info: Pick<PickingInfo, 'layer' | 'index'>,
  clusters: ClusterSet | null,
): string | null {
  const id = info.layer?.id;
  if (id === CLUSTER_LAYER_ID && clusters && info.index >= 0) return clusters.keys[info.index] ?? null;
  if (!id || info.index < 0 || !(LAYER_KINDS as readonly string[]).includes(id)) return null;
  return store.layers[id as LayerKind].keys[info.index] ?? null;
}

/** Creates the map with the deck.gl overlay and runs the render loop; entity state is read from the store. */
export function createMapView(container: HTMLElement, config: ConsoleConfig, store: EntityStore): MapView {
  // The store drawn: the live one, or a replay's while the console shows the past.
  let active = store;
  const { map: mapConfig } = config;
  const { basemap } = mapConfig;
  if (basemap.kind === 'style') pmtilesProtocol();
  const map = new MapLibre({
    container,
    style: basemap.kind === 'style' ? basemap.url : offlineStyle(mapConfig.zones),
    center: mapConfig.center,
    zoom: mapConfig.zoom,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'bottom-right');

  let builder = new DeckLayerBuilder();
  const newClusterView = () => new ClusterView({ worker: clusterWorker(), onChange: () => markDirty() });
  let clusterView = newClusterView();
  // The clusters drawn by the last frame, or null while entities are drawn individually.
  let shown: ClusterSet | null = null;
  const clusterIndexAt = (info: Pick<PickingInfo, 'layer' | 'index'> | null): number =>
    shown && info?.layer?.id === CLUSTER_LAYER_ID && info.index >= 0 && info.index < shown.length ? info.index : -1;
  const atlas = createIconAtlas();
  // Interleaved: deck.gl draws into the map's own WebGL context (one context, one canvas, one frame).
  // Its layers sit above every basemap layer: a deck layer below maplibre 6 layers corrupts their
  // uniform bindings (visgl/deck.gl#10700).
  const overlay = new MapLibreOverlay({
    interleaved: true,
    layers: [],
    pickingRadius: PICKING_RADIUS,
    onHover: (info) => {
      const i = clusterIndexAt(info);
      if (shown && i >= 0 && shown.keys[i] === null) {
        hover.set({
          key: '',
          x: info.x,
          y: info.y,
          cluster: { count: shown.counts[i] ?? 0, alerts: shown.alerts[i] ?? 0 },
        });
        return;
      }
      const key = keyOf(active, info, shown);
      hover.set(key === null ? null : { key, x: info.x, y: info.y });
    },
    getCursor: ({ isHovering, isDragging }) => (isDragging ? 'grabbing' : isHovering ? 'pointer' : 'grab'),
  });
  map.addControl(overlay);
  // Selection follows maplibre's click, not deck.gl's: in interleaved mode deck.gl recognises a click
  // as a tap that must end within 250 ms, so a press held a little longer (a hesitant finger, a busy
  // wall PC) was silently dropped. maplibre's click has no time limit, only a movement tolerance.
  map.on('click', (event) => {
    const info = overlay.pickObject({ x: event.point.x, y: event.point.y, radius: PICKING_RADIUS });
    const i = clusterIndexAt(info);
    const clusterId = shown && i >= 0 ? (shown.clusterIds[i] ?? -1) : -1;
    if (shown && clusterId >= 0) {
      // A cluster opens where it splits (at least one step in), centred on it.
      const center: [number, number] = [shown.positions[i * 2] ?? 0, shown.positions[i * 2 + 1] ?? 0];
      const from = map.getZoom();
      void clusterView.expansionZoom(clusterId).then((expansion) => {
        map.easeTo({ center, zoom: Math.min(CLUSTER_MAX_ZOOM, Math.max(from + 1, expansion)), duration: 600 });
      });
      return;
    }
    selection.set(info ? keyOf(active, info, shown) : null);
  });

  let zoneLabels: ZoneLabel[] = [];
  let zoneLocale = '';
  const refreshZoneLabels = () => {
    const locale = getLocale();
    if (locale === zoneLocale) return false;
    zoneLocale = locale;
    zoneLabels = mapConfig.zones.map((zone) => ({ position: zoneLabelPoint(zone.geometry), text: zone.name[locale] }));
    return true;
  };

  map.on('load', () => {
    if (basemap.kind === 'style') {
      // A deployment's own style: keep it, and draw the city zones over it.
      map.addSource('zones', { type: 'geojson', data: zonesToGeoJson(mapConfig.zones) });
      for (const layer of ZONE_LAYERS) map.addLayer(layer);
      return;
    }
    applyBasemap(map, basemap);
    loadCountryOutlines()
      .then((outlines) => map.getSource<GeoJSONSource>('countries')?.setData(outlines))
      .catch((err: unknown) => console.warn('country outlines unavailable', err));
  });

  let renderedVersion = -1;
  let lastPulse = 0;
  let dirty = true;
  const markDirty = () => {
    dirty = true;
  };
  const flyToFocus = () => {
    const focus = focusRequest.get();
    if (focus) map.flyTo({ center: [focus.lon, focus.lat], zoom: Math.max(map.getZoom(), 15), duration: 900 });
  };
  const unsubscribers = [
    visibility.subscribe(markDirty),
    selection.subscribe(markDirty),
    reportPoints.subscribe(markDirty),
    reportVisibility.subscribe(markDirty),
    focusRequest.subscribe(flyToFocus),
  ];
  map.on('zoomend', markDirty);
  // Zoomed out, a pan or zoom may need other clusters (the view queries only when it left the padded area).
  map.on('move', () => {
    if (shown) dirty = true;
  });
  // The area on screen, for replay and export scopes; a hidden map (a phone's alert view) keeps the last one.
  const publishBounds = () => {
    const canvas = map.getCanvas();
    if (canvas.clientWidth === 0 || canvas.clientHeight === 0) return;
    const bounds = map.getBounds();
    mapBounds.set([bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]);
  };
  map.on('load', publishBounds);
  map.on('moveend', publishBounds);
  map.on('resize', publishBounds);
  // The interleaved overlay cannot add its layers to the map while the style is loading (tiles in flight):
  // layers set then are set again once the map is idle.
  let layersMayBeDropped = false;
  map.on('idle', () => {
    if (layersMayBeDropped) markDirty();
  });
  window.addEventListener('resize', markDirty);

  let frame = 0;
  const loop = (now: number) => {
    frame = requestAnimationFrame(loop);
    // Clustered, glides are not drawn (clusters sit where the last rebuild put them): vehicles are
    // advanced only for a rebuild, so the frames in between change nothing and cost nothing.
    if (!shown || clusterView.rebuildPending(now)) active.stepMotion(performance.now());
    const version = active.version;
    let alerts = 0;
    for (const kind of LAYER_KINDS) alerts += active.layers[kind].alertCount;
    const pulseDue = alerts > 0 && now - lastPulse >= PULSE_FRAME_MS;
    if (refreshZoneLabels()) dirty = true;
    if (clusterView.rebuildPending(now)) dirty = true;
    if (!dirty && !pulseDue && version === renderedVersion) return;
    if (pulseDue) lastPulse = now;
    dirty = false;
    renderedVersion = version;
    const visible = visibility.get();
    const bounds = map.getBounds();
    const clusterFrame = clusterView.update({
      store: active,
      ...clusterFilter(visible),
      zoom: map.getZoom(),
      bounds: [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()],
      markerScale: markerScale(),
      now,
    });
    shown = clusterFrame?.set ?? null;
    overlay.setProps({
      layers: [
        ...builder.build({
          clusters: shown,
          locale: getLocale(),
          store: active,
          visible,
          selected: selection.get(),
          markerScale: markerScale(),
          pulse: (now % PULSE_PERIOD_MS) / PULSE_PERIOD_MS,
          zoom: map.getZoom(),
          zoneLabels,
          atlas,
        }),
        // Citizen reports are no entities: their own layer, on top.
        ...reportLayers(reportPoints.get(), markerScale()),
      ],
    });
    layersMayBeDropped = !map.isStyleLoaded();
  };
  frame = requestAnimationFrame(loop);

  return {
    map,
    pickAt(x, y) {
      const info = overlay.pickObject({ x, y, radius: PICKING_RADIUS });
      return info ? keyOf(active, info, shown) : null;
    },
    clusterAt(x, y) {
      const i = clusterIndexAt(overlay.pickObject({ x, y, radius: PICKING_RADIUS }));
      return shown && i >= 0 ? drawnAt(shown, i) : null;
    },
    clusters() {
      const set = shown;
      if (!set) return [];
      return Array.from({ length: set.length }, (_, i) => drawnAt(set, i));
    },
    setStore(next) {
      if (next === active) return;
      active = next;
      // The builder caches attributes by buffer versions, which two stores may share: start afresh.
      builder = new DeckLayerBuilder();
      clusterView.close();
      clusterView = newClusterView();
      renderedVersion = -1;
      dirty = true;
    },
    destroy() {
      cancelAnimationFrame(frame);
      clusterView.close();
      for (const unsubscribe of unsubscribers) unsubscribe();
      window.removeEventListener('resize', markDirty);
      map.removeControl(overlay);
      overlay.finalize();
      map.remove();
    },
  };
}

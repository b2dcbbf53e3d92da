import { Map as MapLibre, Marker, NavigationControl, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { offlineStyle, ZONE_LAYERS, zonesToGeoJson } from '../map/base-style.js';
import { applyBasemap, pmtilesProtocol } from '../map/basemap.js';
import type { PickerMap } from './report-api.js';

/*
 * The place picker's map. Loaded with a dynamic import when the citizen opens the picker, so those
 * who share the phone's location never download maplibre.
 */

// maplibre-gl 6 has no bundled worker: vite emits it and we point the library at it.
setWorkerUrl(workerUrl);

/** The picked ward's fill, over the outlines of all of them. */
const PICKED_LAYER = 'ward-picked';
const PIN_SVG =
  '<svg viewBox="0 0 27 41" aria-hidden="true"><path d="M13.5 0C6 0 0 6 0 13.5 0 23 13.5 41 13.5 41S27 23 27 13.5C27 6 21 0 13.5 0z" fill="#d6336c" stroke="#fff" stroke-width="1.5"/><circle cx="13.5" cy="13.5" r="5" fill="#fff"/></svg>';

/** The pin as our own element, sized in rem like the page (maplibre's own marker stays 27 px on a 4K screen). */
function pinElement(): HTMLElement {
  const element = document.createElement('div');
  element.className = 'rpin';
  element.innerHTML = PIN_SVG;
  return element;
}

export interface PickerMapView {
  /** Moves (or first places) the pin. */
  setPin(lat: number, lon: number): void;
  /** Fills the ward the pin is in (undefined: none). */
  highlight(wardId: string | undefined): void;
  /** The point at the middle of the map, for placing the pin from the keyboard. */
  center(): { lat: number; lon: number };
  destroy(): void;
}

export interface PickerMapOptions {
  /** Called when the map has drawn its style and accepts taps. */
  onReady: () => void;
  /** A tap, a click or the end of a pin drag. */
  onPick: (lat: number, lon: number) => void;
  /** The map's and the zoom buttons' accessible names in the page language. */
  labels: { map: string; zoomIn: string; zoomOut: string };
}

/** Creates the picker map in `container`: ward outlines over the configured basemap, tap to pin. */
export function createPickerMap(container: HTMLElement, config: PickerMap, options: PickerMapOptions): PickerMapView {
  const { basemap } = config;
  if (basemap.kind === 'style') pmtilesProtocol();
  const map = new MapLibre({
    container,
    style: basemap.kind === 'style' ? basemap.url : offlineStyle(config.wards),
    center: config.center,
    zoom: config.zoom,
    attributionControl: false,
    dragRotate: false,
    pitchWithRotate: false,
    maxPitch: 0,
    locale: {
      'Map.Title': options.labels.map,
      'NavigationControl.ZoomIn': options.labels.zoomIn,
      'NavigationControl.ZoomOut': options.labels.zoomOut,
    },
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');

  let marker: Marker | undefined;
  const setPin = (lat: number, lon: number) => {
    if (!marker) {
      marker = new Marker({ element: pinElement(), anchor: 'bottom', draggable: true }).setLngLat([lon, lat]).addTo(map);
      marker.on('dragend', () => {
        const at = marker?.getLngLat();
        if (at) options.onPick(at.lat, at.lng);
      });
    } else {
      marker.setLngLat([lon, lat]);
    }
  };

  map.on('load', () => {
    if (basemap.kind === 'style') {
      // A deployment's own style knows nothing of the wards: add them on top.
      map.addSource('zones', { type: 'geojson', data: zonesToGeoJson(config.wards) });
      for (const layer of ZONE_LAYERS) map.addLayer(layer);
    } else {
      applyBasemap(map, basemap);
    }
    map.addLayer(
      {
        id: PICKED_LAYER,
        type: 'fill',
        source: 'zones',
        filter: ['==', ['get', 'id'], ''],
        paint: { 'fill-color': '#3aa0ff', 'fill-opacity': 0.35 },
      },
      'zones-line',
    );
    map.setPaintProperty('zones-line', 'line-opacity', 1);
    map.setPaintProperty('zones-line', 'line-width', 2);
    options.onReady();
  });
  map.on('click', (event) => options.onPick(event.lngLat.lat, event.lngLat.lng));

  return {
    setPin,
    highlight(wardId) {
      if (map.getLayer(PICKED_LAYER)) map.setFilter(PICKED_LAYER, ['==', ['get', 'id'], wardId ?? '']);
    },
    center() {
      const c = map.getCenter();
      return { lat: c.lat, lon: c.lng };
    },
    destroy() {
      map.remove();
    },
  };
}

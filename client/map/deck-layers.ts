// Longer than most files on purpose: every deck.gl layer of the live map is built here from one LayerContext,
// in draw order; split by layer kind, the order and the shared accessors would be scattered over files.
import type { Layer } from '@deck.gl/core';
import { IconLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import type { EntityStore } from '../state/entity-store.js';
import { FLAG_ALERT, FLAG_HEADING, FLAG_STALE, type LayerBuffer } from '../state/layer-buffer.js';
import { LAYER_KINDS, MOVING_KINDS, type LayerKind } from '../state/layer-kinds.js';
import { observable } from '../state/observable.js';
import { numField } from '../state/style.js';
import type { Visibility } from '../state/ui-state.js';
import { ClusterLayerBuilder } from './cluster-layers.js';
import type { ClusterSet, IncludeEntity } from './clusters.js';
import { atlasTexture, iconName, type IconDef } from './icon-atlas.js';
import { ICON_DEF_SIZE, iconDefTable, packIconDefs, packPlaceColors, packSizes } from './icon-attributes.js';

export const FONT_FAMILY = '"Inter", "Noto Sans", "Segoe UI", "DejaVu Sans", Roboto, Arial, sans-serif';

export interface ZoneLabel {
  position: [number, number];
  text: string;
}

/** Everything a frame's layers depend on besides the store buffers. */
export interface LayerContext {
  store: EntityStore;
  visible: Visibility;
  selected: string | null;
  /** Marker size multiplier: 1 on a 1080p-wide screen, up to ~2 on 4K. */
  markerScale: number;
  /** Alert ring phase, 0..1. */
  pulse: number;
  zoom: number;
  zoneLabels: readonly ZoneLabel[];
  atlas: { image: HTMLCanvasElement; mapping: Record<string, IconDef> };
  /** Zoomed out over many entities: the clusters drawn instead of the entity layers (see cluster-view.ts). */
  clusters?: ClusterSet | null;
  /** The console's language, for cluster counts. */
  locale?: string;
}

interface BinaryAttribute {
  value: Float32Array | Uint8Array;
  size: number;
  normalized?: boolean;
}

interface BinaryData {
  length: number;
  attributes: Record<'getPosition' | 'getFillColor' | 'getLineColor' | 'getRadius', BinaryAttribute>;
}

interface Cached {
  styleVersion: number;
  positionVersion: number;
  count: number;
  data: BinaryData;
  /** Index-only data for accessor-driven layers (vehicles, labels), renewed with the style. */
  rows: { length: number };
}

/** An icon layer's binary data: positions and angles viewed from the store, icons (and colours, sizes) packed per style change. */
interface IconData {
  length: number;
  attributes: Record<string, BinaryAttribute>;
}

interface IconCached {
  styleVersion: number;
  positionVersion: number;
  count: number;
  mapping: Record<string, IconDef>;
  data: IconData;
  /** Packed arrays, reused while long enough. */
  iconDefs?: Float32Array;
  colors?: Uint8Array;
  sizes?: Float32Array;
}

/** Draw order, bottom to top: area-like layers first, vehicles on top. */
const SCATTER_ORDER: readonly LayerKind[] = ['junction', 'sensor', 'other'];
const PLACE_KINDS: readonly ('facility' | 'service')[] = ['service', 'facility'];
const LABELLED: readonly LayerKind[] = ['facility', 'service'];
const MAX_LABELS = 3000;
const LABEL_MIN_ZOOM = 11.5;

/** Cameras (domain `camera`) are drawn out of the generic layer with their own icon and colour. */
const CAMERA_DOMAIN = 'camera';
/** The camera layer's colour (its swatch in the layer panel too). */
export const CAMERA_SWATCH = '#ff80ab';
const CAMERA_RGBA: [number, number, number, number] = [255, 128, 171, 255];
const STALE_RGBA: [number, number, number, number] = [150, 160, 175, 255];
/** Whether the camera layer is shown. The map redraws when `visibility` changes, so switches set both. */
export const cameraVisibility = observable(true);
/** Domains that are no map layer (`layer: false` in the console config): never drawn. */
let layerless: ReadonlySet<string> = new Set();
/** Sets the domains never drawn (from the console config, once at start). */
export function setLayerlessDomains(domains: Iterable<string>): void {
  layerless = new Set(domains);
}

let cameraAtlas: { image: HTMLCanvasElement; mapping: Record<string, IconDef> } | undefined;
/** A disc with a video camera cut out, and a plain disc; masks, so the layer tints them. */
function cameraIcons(): { image: HTMLCanvasElement; mapping: Record<string, IconDef> } {
  if (cameraAtlas) return cameraAtlas;
  const canvas = document.createElement('canvas');
  canvas.width = 128;
  canvas.height = 64;
  const g = canvas.getContext('2d');
  if (g) {
    g.fillStyle = '#fff';
    g.beginPath();
    g.arc(32, 32, 30, 0, Math.PI * 2);
    g.arc(96, 32, 30, 0, Math.PI * 2);
    g.fill();
    g.globalCompositeOperation = 'destination-out';
    // Not cut out whole: the glyph keeps a fifth of the disc's alpha, so the whole marker is clickable.
    g.globalAlpha = 0.8;
    g.beginPath();
    g.roundRect(13, 21, 26, 22, 4);
    g.moveTo(40, 30);
    g.lineTo(52, 22);
    g.lineTo(52, 42);
    g.lineTo(40, 34);
    g.fill();
  }
  const cell = (x: number): IconDef => ({ x, y: 0, width: 64, height: 64, anchorY: 32, mask: true });
  cameraAtlas = { image: canvas, mapping: { camera: cell(0), dot: cell(64) } };
  return cameraAtlas;
}

/**
 * Builds the deck.gl layers from the store's typed arrays. Attribute views are renewed only when
 * their buffer's version moved, so deck.gl re-uploads exactly the attributes that changed.
 */
export class DeckLayerBuilder {
  private readonly cache = new Map<LayerKind, Cached>();
  private readonly iconCache = new Map<LayerKind, IconCached>();
  /** Icon values per flags value, per layer kind and atlas. */
  private readonly iconTables = new Map<LayerKind, { mapping: Record<string, IconDef>; table: Float32Array[] }>();
  private alertVersion = -1;
  private alertPositions = new Float32Array(0);

  private readonly clusterLayers = new ClusterLayerBuilder();

  /** The full layer list for one frame. */
  build(ctx: LayerContext): Layer[] {
    if (ctx.clusters) return this.clustered(ctx, ctx.clusters);
    const layers: Layer[] = [];
    // The generic layer is always an icon layer: deck.gl keeps a layer's state by id, so its class must not change.
    for (const kind of SCATTER_ORDER) layers.push(kind === 'other' ? this.others(ctx) : this.scatter(kind, ctx));
    for (const kind of PLACE_KINDS) layers.push(this.places(kind, ctx));
    for (const kind of MOVING_KINDS) layers.push(this.vehicles(kind, ctx));
    for (const kind of LABELLED) {
      const label = this.labels(kind, ctx);
      if (label) layers.push(label);
    }
    if (ctx.zoneLabels.length > 0) layers.push(zoneLabelLayer(ctx));
    const rings = this.alertRings(ctx);
    if (rings) layers.push(rings);
    const selected = selectedRing(ctx);
    if (selected) layers.push(selected);
    return layers;
  }

  /**
   * Zoomed out: clusters replace the entity layers (and their labels and per-entity alert rings). The entity
   * layers are left out, not hidden: deck.gl would still recompute a hidden layer's attributes on every glide frame.
   */
  private clustered(ctx: LayerContext, clusters: ClusterSet): Layer[] {
    const layers = this.clusterLayers.build(clusters, {
      markerScale: ctx.markerScale,
      pulse: ctx.pulse,
      locale: ctx.locale ?? 'vi',
    });
    if (ctx.zoneLabels.length > 0) layers.unshift(zoneLabelLayer(ctx));
    const selected = selectedRing(ctx);
    if (selected) layers.push(selected);
    return layers;
  }

  private data(buffer: LayerBuffer): Cached {
    const previous = this.cache.get(buffer.kind);
    const n = buffer.count;
    const styleFresh = previous?.styleVersion === buffer.styleVersion && previous.count === n;
    const positionFresh = previous?.positionVersion === buffer.positionVersion && previous.count === n;
    if (previous && styleFresh && positionFresh) return previous;
    const old = previous?.data.attributes;
    const attributes: BinaryData['attributes'] = {
      getPosition: positionFresh && old ? old.getPosition : { value: buffer.positions.subarray(0, n * 2), size: 2 },
      getFillColor:
        styleFresh && old ? old.getFillColor : { value: buffer.fill.subarray(0, n * 4), size: 4, normalized: true },
      getLineColor:
        styleFresh && old ? old.getLineColor : { value: buffer.line.subarray(0, n * 4), size: 4, normalized: true },
      getRadius: styleFresh && old ? old.getRadius : { value: buffer.size.subarray(0, n), size: 1 },
    };
    const next: Cached = {
      styleVersion: buffer.styleVersion,
      positionVersion: buffer.positionVersion,
      count: n,
      data: { length: n, attributes },
      rows: styleFresh && previous ? previous.rows : { length: n },
    };
    this.cache.set(buffer.kind, next);
    return next;
  }

  /**
   * The generic layer: one icon layer (id `other`, so picking finds the slot),
   * cameras as camera discs in their colour under their own switch, the rest as plain discs, `layer: false` domains not at all.
   */
  private others(ctx: LayerContext): Layer {
    const buffer = ctx.store.layers.other;
    const { rows } = this.data(buffer);
    const showCameras = cameraVisibility.get();
    const isCamera = (index: number) => buffer.entities[index]?.domain === CAMERA_DOMAIN;
    const stale = (index: number) => ((buffer.flags[index] ?? 0) & FLAG_STALE) !== 0;
    const atlas = cameraIcons();
    return new IconLayer({
      id: 'other',
      data: rows,
      visible: ctx.visible.other || showCameras,
      pickable: true,
      iconAtlas: atlasTexture(atlas.image),
      iconMapping: atlas.mapping,
      sizeUnits: 'pixels',
      sizeScale: ctx.markerScale,
      getIcon: (_: unknown, { index }: { index: number }) => (isCamera(index) ? 'camera' : 'dot'),
      getPosition: (_: unknown, { index }: { index: number }) => [
        buffer.positions[index * 2] ?? 0,
        buffer.positions[index * 2 + 1] ?? 0,
      ],
      getColor: (_: unknown, { index }: { index: number }) => {
        if (isCamera(index)) return stale(index) ? STALE_RGBA : CAMERA_RGBA;
        if (stale(index)) return STALE_RGBA;
        const i = index * 4;
        return [buffer.fill[i] ?? 0, buffer.fill[i + 1] ?? 0, buffer.fill[i + 2] ?? 0, 255];
      },
      getSize: (_: unknown, { index }: { index: number }) => {
        if (isCamera(index)) return showCameras ? 28 : 0;
        if (layerless.has(buffer.entities[index]?.domain ?? '') || !ctx.visible.other) return 0;
        return (buffer.size[index] ?? 6) * 2;
      },
      updateTriggers: {
        getPosition: buffer.positionVersion,
        getIcon: buffer.styleVersion,
        getColor: buffer.styleVersion,
        getSize: [buffer.styleVersion, showCameras, ctx.visible.other],
      },
    });
  }

  private scatter(kind: LayerKind, ctx: LayerContext): Layer {
    const buffer = ctx.store.layers[kind];
    const { data } = this.data(buffer);
    const junction = kind === 'junction';
    return new ScatterplotLayer({
      id: kind,
      data,
      visible: ctx.visible[kind],
      pickable: true,
      stroked: true,
      filled: true,
      radiusUnits: 'pixels',
      lineWidthUnits: 'pixels',
      // Junction radii are sqrt(flow): the busiest junction seen gets 18 px, quiet ones the minimum.
      radiusScale: junction ? (ctx.markerScale * 18) / Math.max(1, buffer.sizeMax) : ctx.markerScale,
      radiusMinPixels: junction ? 5 * ctx.markerScale : 0,
      getLineWidth: junction ? 2 : 1.5,
      lineWidthScale: ctx.markerScale,
    });
  }

  /** Facilities and service centres: tinted square icons (cross / person), sized by the store. */
  private places(kind: 'facility' | 'service', ctx: LayerContext): Layer {
    const buffer = ctx.store.layers[kind];
    const data = this.iconData(
      buffer,
      ctx.atlas.mapping,
      (flags) => (flags & FLAG_STALE ? `${kind}-stale` : kind),
      true,
    );
    return new IconLayer({
      id: kind,
      data,
      visible: ctx.visible[kind],
      pickable: true,
      iconAtlas: atlasTexture(ctx.atlas.image),
      iconMapping: ctx.atlas.mapping,
      sizeUnits: 'pixels',
      sizeScale: ctx.markerScale,
      // Only read if deck.gl stops taking `instanceIconDefs` from the data (see icon-attributes.ts).
      getIcon: (_: unknown, { index }: { index: number }) =>
        (buffer.flags[index] ?? 0) & FLAG_STALE ? `${kind}-stale` : kind,
    });
  }

  private vehicles(kind: LayerKind, ctx: LayerContext): Layer {
    const buffer = ctx.store.layers[kind];
    const variant = kind === 'ambulance' ? 'ambulance' : 'bus';
    const nameOf = (flags: number) =>
      iconName(variant, flags & FLAG_HEADING ? 'arrow' : 'dot', (flags & FLAG_STALE) !== 0);
    return new IconLayer({
      id: kind,
      // Positions come from the glide animation: on motion frames only the position view is renewed.
      data: this.iconData(buffer, ctx.atlas.mapping, nameOf, false),
      visible: ctx.visible[kind],
      pickable: true,
      iconAtlas: atlasTexture(ctx.atlas.image),
      iconMapping: ctx.atlas.mapping,
      sizeUnits: 'pixels',
      sizeScale: ctx.markerScale,
      getSize: kind === 'ambulance' ? 30 : 26,
      // Only read if deck.gl stops taking `instanceIconDefs` from the data (see icon-attributes.ts).
      getIcon: (_: unknown, { index }: { index: number }) => nameOf(buffer.flags[index] ?? 0),
    });
  }

  /**
   * Binary data for an icon layer: positions and angles as views of the store's arrays, each slot's icon
   * (and for places its colour and size) packed once per style change. Unchanged parts keep their objects, so
   * deck.gl uploads only what changed: a glide frame re-uploads positions and nothing else.
   */
  private iconData(
    buffer: LayerBuffer,
    mapping: Record<string, IconDef>,
    nameOf: (flags: number) => string,
    placeStyle: boolean,
  ): IconData {
    const previous = this.iconCache.get(buffer.kind);
    const n = buffer.count;
    const sameShape = previous?.count === n && previous.mapping === mapping;
    const styleFresh = sameShape && previous.styleVersion === buffer.styleVersion;
    const positionFresh = sameShape && previous.positionVersion === buffer.positionVersion;
    if (previous && styleFresh && positionFresh) return previous.data;
    const old = previous?.data.attributes;
    const attributes: Record<string, BinaryAttribute> = {
      getPosition:
        positionFresh && old?.getPosition ? old.getPosition : { value: buffer.positions.subarray(0, n * 2), size: 2 },
    };
    const next: IconCached = {
      styleVersion: buffer.styleVersion,
      positionVersion: buffer.positionVersion,
      count: n,
      mapping,
      data: { length: n, attributes },
      ...(previous?.iconDefs ? { iconDefs: previous.iconDefs } : {}),
      ...(previous?.colors ? { colors: previous.colors } : {}),
      ...(previous?.sizes ? { sizes: previous.sizes } : {}),
    };
    if (styleFresh && old) {
      for (const name of ['instanceIconDefs', 'getAngle', 'getColor', 'getSize']) {
        const attribute = old[name];
        if (attribute) attributes[name] = attribute;
      }
    } else {
      const iconDefs = packIconDefs(buffer.flags, n, this.iconTable(buffer.kind, mapping, nameOf), next.iconDefs);
      next.iconDefs = iconDefs;
      attributes.instanceIconDefs = { value: iconDefs.subarray(0, n * ICON_DEF_SIZE), size: ICON_DEF_SIZE };
      if (placeStyle) {
        const colors = packPlaceColors(buffer.fill, buffer.line, buffer.flags, FLAG_STALE, n, next.colors);
        const sizes = packSizes(buffer.size, n, 2, 4, next.sizes);
        next.colors = colors;
        next.sizes = sizes;
        attributes.getColor = { value: colors.subarray(0, n * 4), size: 4, normalized: true };
        attributes.getSize = { value: sizes.subarray(0, n), size: 1 };
      } else {
        attributes.getAngle = { value: buffer.angle.subarray(0, n), size: 1 };
      }
    }
    this.iconCache.set(buffer.kind, next);
    return next.data;
  }

  private iconTable(
    kind: LayerKind,
    mapping: Record<string, IconDef>,
    nameOf: (flags: number) => string,
  ): Float32Array[] {
    const known = this.iconTables.get(kind);
    if (known?.mapping === mapping) return known.table;
    const table = iconDefTable(mapping, nameOf);
    this.iconTables.set(kind, { mapping, table });
    return table;
  }

  private labels(kind: LayerKind, ctx: LayerContext): Layer | undefined {
    const buffer = ctx.store.layers[kind];
    if (buffer.count === 0 || buffer.count > MAX_LABELS) return undefined;
    const { rows } = this.data(buffer);
    const field = kind === 'facility' ? 'bedsFree' : 'waiting';
    return new TextLayer({
      id: `${kind}-labels`,
      data: rows,
      visible: ctx.visible[kind] && ctx.zoom >= LABEL_MIN_ZOOM,
      getPosition: (_: unknown, { index }: { index: number }) => [
        buffer.positions[index * 2] ?? 0,
        buffer.positions[index * 2 + 1] ?? 0,
      ],
      getText: (_: unknown, { index }: { index: number }) => {
        const value = numField(buffer.entities[index]?.fields ?? {}, field);
        return value === undefined ? '' : String(Math.round(value));
      },
      getColor: (_: unknown, { index }: { index: number }) =>
        (buffer.flags[index] ?? 0) & FLAG_STALE ? [150, 160, 175, 255] : [255, 255, 255, 255],
      getPixelOffset: (_: unknown, { index }: { index: number }) => [
        (buffer.size[index] ?? 8) * ctx.markerScale + 8,
        0,
      ],
      getSize: 14,
      sizeScale: ctx.markerScale,
      getTextAnchor: 'start',
      getAlignmentBaseline: 'center',
      fontFamily: FONT_FAMILY,
      fontWeight: 700,
      characterSet: '0123456789',
      background: true,
      getBackgroundColor: [7, 13, 22, 215],
      backgroundPadding: [4, 2],
      updateTriggers: { getPosition: buffer.positionVersion, getPixelOffset: ctx.markerScale },
    });
  }

  private alertRings(ctx: LayerContext): Layer | undefined {
    const { store } = ctx;
    let alerts = 0;
    for (const kind of LAYER_KINDS) if (ctx.visible[kind]) alerts += store.layers[kind].alertCount;
    if (alerts === 0) return undefined;
    if (this.alertVersion !== store.version || this.alertPositions.length !== alerts * 2) {
      this.alertVersion = store.version;
      const positions = new Float32Array(alerts * 2);
      let n = 0;
      for (const kind of LAYER_KINDS) {
        const buffer = store.layers[kind];
        if (!ctx.visible[kind] || buffer.alertCount === 0) continue;
        for (let slot = 0; slot < buffer.count && n < alerts; slot++) {
          if (!((buffer.flags[slot] ?? 0) & FLAG_ALERT)) continue;
          positions[n * 2] = buffer.positions[slot * 2] ?? 0;
          positions[n * 2 + 1] = buffer.positions[slot * 2 + 1] ?? 0;
          n++;
        }
      }
      this.alertPositions = positions;
    }
    const phase = ctx.pulse;
    return new ScatterplotLayer({
      id: 'alert-rings',
      data: { length: alerts, attributes: { getPosition: { value: this.alertPositions, size: 2 } } },
      stroked: true,
      filled: false,
      radiusUnits: 'pixels',
      lineWidthUnits: 'pixels',
      getRadius: 1,
      radiusScale: ctx.markerScale * (12 + 16 * phase),
      getLineWidth: 3,
      lineWidthScale: ctx.markerScale,
      getLineColor: [255, 23, 68, 255],
      opacity: 0.9 * (1 - phase) + 0.1,
    });
  }
}

/** Which entities the clusters count: those the entity layers would draw (layer switches, cameras, `layer: false` domains). */
export function clusterFilter(visible: Visibility): { kinds: LayerKind[]; include: IncludeEntity; filterKey: string } {
  const showCameras = cameraVisibility.get();
  const kinds = LAYER_KINDS.filter((kind) => visible[kind] || (kind === 'other' && showCameras));
  const include: IncludeEntity = (buffer, slot) => {
    if (buffer.kind !== 'other') return true;
    const domain = buffer.entities[slot]?.domain ?? '';
    if (domain === CAMERA_DOMAIN) return showCameras;
    return visible.other && !layerless.has(domain);
  };
  return { kinds, include, filterKey: `${kinds.join(',')}|${showCameras}|${visible.other}` };
}

function zoneLabelLayer(ctx: LayerContext): Layer {
  return new TextLayer<ZoneLabel>({
    id: 'zone-labels',
    data: ctx.zoneLabels,
    getPosition: (d) => d.position,
    getText: (d) => d.text,
    getColor: [150, 195, 255, 200],
    getSize: 15,
    sizeScale: ctx.markerScale,
    fontFamily: FONT_FAMILY,
    fontWeight: 600,
    characterSet: 'auto',
    fontSettings: { sdf: true, fontSize: 64, buffer: 8 },
    outlineWidth: 3,
    outlineColor: [7, 13, 22, 230],
  });
}

function selectedRing(ctx: LayerContext): Layer | undefined {
  if (ctx.selected === null) return undefined;
  const position = ctx.store.displayedPosition(ctx.selected);
  if (!position) return undefined;
  return new ScatterplotLayer({
    id: 'selected',
    data: { length: 1, attributes: { getPosition: { value: Float32Array.from(position), size: 2 } } },
    stroked: true,
    filled: false,
    radiusUnits: 'pixels',
    lineWidthUnits: 'pixels',
    getRadius: 20,
    radiusScale: ctx.markerScale,
    getLineWidth: 3,
    lineWidthScale: ctx.markerScale,
    getLineColor: [255, 255, 255, 255],
  });
}

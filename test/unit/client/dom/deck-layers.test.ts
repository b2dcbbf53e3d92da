import type { Layer } from '@deck.gl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../../../contract/entity.js';
import { DeckLayerBuilder, type LayerContext } from '../../../../client/map/deck-layers.js';
import { ICON_DEF_SIZE, iconDefValues, type IconFrame } from '../../../../client/map/icon-attributes.js';
import { EntityStore } from '../../../../client/state/entity-store.js';
import { allVisible } from '../../../../client/state/ui-state.js';

// The builder draws the camera icons on a canvas once; these tests look at attributes, not pixels.
const hadDocument = 'document' in globalThis;
beforeAll(() => {
  if (!hadDocument)
    (globalThis as { document?: unknown }).document = {
      createElement: () => ({ width: 0, height: 0, getContext: () => null }),
    };
});
afterAll(() => {
  if (!hadDocument) delete (globalThis as { document?: unknown }).document;
});

const cell = (x: number, mask = false): IconFrame => ({ x, y: 0, width: 64, height: 64, anchorY: 32, mask });
const MAPPING: Record<string, IconFrame> = {
  'bus-arrow': cell(0),
  'bus-dot': cell(64),
  'bus-arrow-stale': cell(128),
  'bus-dot-stale': cell(192),
  facility: cell(256, true),
  'facility-stale': cell(320, true),
};

const T0 = 1_700_000_000_000;

function bus(id: string, ts: number, lon: number, heading?: number): Entity {
  return {
    domain: 'traffic',
    id,
    ts,
    lat: 21.27,
    lon,
    fields: heading === undefined ? { speed: 0 } : { speed: 30, heading },
    status: 'ok',
  };
}

type Attributes = Record<string, { value: Float32Array | Uint8Array; size: number }>;

function attributesOf(layers: Layer[], id: string): Attributes {
  const layer = layers.find((l) => l.id === id);
  if (!layer) throw new Error(`no layer ${id}`);
  return (layer.props.data as { attributes: Attributes }).attributes;
}

function slotIcon(attributes: Attributes, slot: number): number[] {
  const defs = attributes.instanceIconDefs?.value as Float32Array;
  return Array.from(defs.subarray(slot * ICON_DEF_SIZE, (slot + 1) * ICON_DEF_SIZE));
}

describe('DeckLayerBuilder icon layers', () => {
  const store = new EntityStore({ staleAfter: () => 60_000 });
  const builder = new DeckLayerBuilder();
  const context = (): LayerContext => ({
    store,
    visible: allVisible(),
    selected: null,
    markerScale: 1,
    pulse: 0,
    zoom: 17,
    zoneLabels: [],
    atlas: { image: {} as HTMLCanvasElement, mapping: MAPPING },
  });

  it('packs each bus its icon by heading and its angle, and views positions from the store', () => {
    store.applySnapshot({ ts: T0, entities: [bus('bus-1', T0, 106.1, 90), bus('bus-2', T0, 106.2)] }, T0);
    const attributes = attributesOf(builder.build(context()), 'bus');
    const slotOf = (key: string) => store.find(key)?.slot ?? -1;
    expect(slotIcon(attributes, slotOf('traffic/bus-1'))).toEqual(Array.from(iconDefValues(MAPPING['bus-arrow']!)));
    expect(slotIcon(attributes, slotOf('traffic/bus-2'))).toEqual(Array.from(iconDefValues(MAPPING['bus-dot']!)));
    expect(attributes.getAngle?.value[slotOf('traffic/bus-1')]).toBe(-90);
    expect(attributes.getPosition?.value[slotOf('traffic/bus-2') * 2]).toBeCloseTo(106.2, 4);
  });

  it('renews only the positions on a glide frame, so deck.gl uploads nothing else', () => {
    store.applyDelta({ seq: 1, ts: T0 + 1000, upserts: [bus('bus-1', T0 + 1000, 106.15, 90)], removes: [] }, T0 + 1000);
    const afterDelta = attributesOf(builder.build(context()), 'bus');
    store.stepMotion(T0 + 1500);
    const midGlide = attributesOf(builder.build(context()), 'bus');
    expect(midGlide.getPosition).not.toBe(afterDelta.getPosition);
    expect(midGlide.instanceIconDefs).toBe(afterDelta.instanceIconDefs);
    expect(midGlide.getAngle).toBe(afterDelta.getAngle);
    // And a frame with nothing changed hands deck.gl the very same data.
    const layers = builder.build(context());
    expect(attributesOf(layers, 'bus')).toBe(midGlide);
  });

  it('repacks icons when entities turn stale', () => {
    const before = attributesOf(builder.build(context()), 'bus');
    expect(store.sweepStale(T0 + 120_000)).toBeGreaterThan(0);
    const after = attributesOf(builder.build(context()), 'bus');
    expect(after.instanceIconDefs).not.toBe(before.instanceIconDefs);
    const slot = store.find('traffic/bus-1')?.slot ?? -1;
    expect(slotIcon(after, slot)).toEqual(Array.from(iconDefValues(MAPPING['bus-arrow-stale']!)));
  });

  it('colours and sizes facilities from the store, the stale ones in their outline colour', () => {
    const facility = (id: string, ts: number): Entity => ({
      domain: 'health',
      id,
      ts,
      lat: 21.27,
      lon: 106.3,
      fields: { bedsFree: 30, bedsTotal: 40 },
      status: 'ok',
    });
    store.applySnapshot({ ts: T0, entities: [facility('hospital-1', T0), facility('hospital-2', T0 - 600_000)] }, T0);
    const attributes = attributesOf(builder.build(context()), 'facility');
    const fresh = store.find('health/hospital-1');
    const stale = store.find('health/hospital-2');
    if (!fresh || !stale) throw new Error('facilities not placed');
    expect(slotIcon(attributes, fresh.slot)).toEqual(Array.from(iconDefValues(MAPPING.facility!)));
    expect(slotIcon(attributes, stale.slot)).toEqual(Array.from(iconDefValues(MAPPING['facility-stale']!)));
    const colour = (slot: number) => Array.from(attributes.getColor!.value.subarray(slot * 4, slot * 4 + 4));
    expect(colour(fresh.slot)).toEqual([
      ...Array.from(fresh.buffer.fill.subarray(fresh.slot * 4, fresh.slot * 4 + 3)),
      255,
    ]);
    expect(colour(stale.slot)).toEqual([
      ...Array.from(stale.buffer.line.subarray(stale.slot * 4, stale.slot * 4 + 3)),
      255,
    ]);
    expect(attributes.getSize?.value[fresh.slot]).toBe((fresh.buffer.size[fresh.slot] ?? 0) * 2 + 4);
  });
});

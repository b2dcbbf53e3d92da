import { IconLayer } from '@deck.gl/layers';
import { describe, expect, it } from 'vitest';
import {
  ICON_DEF_SIZE,
  type IconFrame,
  iconDefTable,
  iconDefValues,
  packIconDefs,
  packPlaceColors,
  packSizes,
} from '../../../client/map/icon-attributes.js';
import { FLAG_HEADING, FLAG_STALE } from '../../../client/state/layer-buffer.js';

const MAPPING: Record<string, IconFrame> = {
  'bus-arrow': { x: 0, y: 0, width: 64, height: 64, anchorY: 32, mask: false },
  'bus-dot': { x: 64, y: 0, width: 64, height: 64, anchorY: 32, mask: false },
  'bus-arrow-stale': { x: 128, y: 0, width: 64, height: 64, anchorY: 40, mask: false },
  'bus-dot-stale': { x: 192, y: 0, width: 48, height: 64, anchorY: 20, mask: true },
};

const nameOf = (flags: number) => `bus-${flags & FLAG_HEADING ? 'arrow' : 'dot'}${flags & FLAG_STALE ? '-stale' : ''}`;

/** What deck.gl's own IconLayer packs for an icon name from `getIcon` (the values our binary attribute replaces). */
function deckValues(name: string): number[] {
  const { getInstanceIconDef } = IconLayer.prototype as unknown as {
    getInstanceIconDef: (this: unknown, icon: string) => number[];
  };
  return getInstanceIconDef.call({ state: { iconManager: { getIconMapping: (icon: string) => MAPPING[icon] } } }, name);
}

describe('icon attributes', () => {
  it('packs each icon exactly as deck.gl packs it from getIcon', () => {
    for (const name of Object.keys(MAPPING)) {
      const ours = Array.from(iconDefValues(MAPPING[name] as IconFrame));
      expect(ours).toHaveLength(ICON_DEF_SIZE);
      expect(ours).toEqual(deckValues(name));
    }
  });

  it('writes every slot the icon of its flags', () => {
    const flags = Uint8Array.of(0, FLAG_HEADING, FLAG_STALE, FLAG_HEADING | FLAG_STALE, FLAG_HEADING | 2);
    const packed = packIconDefs(flags, flags.length, iconDefTable(MAPPING, nameOf));
    const slot = (i: number) => Array.from(packed.subarray(i * ICON_DEF_SIZE, (i + 1) * ICON_DEF_SIZE));
    expect(slot(0)).toEqual(deckValues('bus-dot'));
    expect(slot(1)).toEqual(deckValues('bus-arrow'));
    expect(slot(2)).toEqual(deckValues('bus-dot-stale'));
    expect(slot(3)).toEqual(deckValues('bus-arrow-stale'));
    // The alert bit does not change the icon.
    expect(slot(4)).toEqual(deckValues('bus-arrow'));
  });

  it('reuses a long enough array and grows a short one', () => {
    const table = iconDefTable(MAPPING, nameOf);
    const first = packIconDefs(new Uint8Array(10), 10, table);
    expect(first.length).toBeGreaterThanOrEqual(10 * ICON_DEF_SIZE);
    expect(packIconDefs(new Uint8Array(4), 4, table, first)).toBe(first);
    const grown = packIconDefs(new Uint8Array(100), 100, table, first);
    expect(grown).not.toBe(first);
    expect(grown.length).toBeGreaterThanOrEqual(100 * ICON_DEF_SIZE);
  });

  it('gives an icon missing from the atlas an empty frame instead of throwing', () => {
    const table = iconDefTable({}, () => 'nowhere');
    expect(Array.from(table[0] as Float32Array)).toEqual(new Array(ICON_DEF_SIZE).fill(0));
  });

  it('colours stale places by their outline, the others by their fill, always opaque', () => {
    const fill = Uint8Array.of(10, 20, 30, 40, 50, 60, 70, 80);
    const line = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const colors = packPlaceColors(fill, line, Uint8Array.of(0, FLAG_STALE), FLAG_STALE, 2);
    expect(Array.from(colors.subarray(0, 8))).toEqual([10, 20, 30, 255, 5, 6, 7, 255]);
  });

  it('scales sizes from the radius input', () => {
    expect(Array.from(packSizes(Float32Array.of(8, 3), 2, 2, 4).subarray(0, 2))).toEqual([20, 10]);
  });
});

// Per-slot attributes of the console's icon layers (vehicles, facilities, service centres) packed straight from
// the store's typed arrays, so deck.gl uploads them as they are instead of calling an accessor per entity
// (at 100 k entities the accessors were most of deck.gl's attribute time: docs/PERFORMANCE.md).

/** An icon's cell in the atlas client/map/icon-atlas.ts draws (declared here, DOM-free, so tests can use it). */
export interface IconFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  anchorY: number;
  mask: boolean;
}

/**
 * Floats per instance in deck.gl IconLayer's `instanceIconDefs` attribute: icon offset x and y, atlas frame
 * x, y, width and height, and 1 for a mask icon. The layer packs the same values from `getIcon`
 * (IconLayer.getInstanceIconDef); test/unit/client/icon-attributes.test.ts holds the two together.
 */
export const ICON_DEF_SIZE = 7;

/** The instance values of one icon, in `instanceIconDefs` order (our icons are centred horizontally). */
export function iconDefValues(def: IconFrame): Float32Array {
  const anchorX = def.width / 2;
  return Float32Array.of(
    def.width / 2 - anchorX,
    def.height / 2 - def.anchorY,
    def.x,
    def.y,
    def.width,
    def.height,
    def.mask ? 1 : 0,
  );
}

/** Slot flags are a byte of FLAG_* bits: one entry per possible value. */
const FLAG_VALUES = 256;

/** The icon values for every flags value, by the icon each flags value draws; unknown names get an empty frame. */
export function iconDefTable(mapping: Record<string, IconFrame>, nameOf: (flags: number) => string): Float32Array[] {
  const table: Float32Array[] = [];
  const byName = new Map<string, Float32Array>();
  for (let flags = 0; flags < FLAG_VALUES; flags++) {
    const name = nameOf(flags);
    let values = byName.get(name);
    if (values === undefined) {
      const def = mapping[name];
      values = def ? iconDefValues(def) : new Float32Array(ICON_DEF_SIZE);
      byName.set(name, values);
    }
    table.push(values);
  }
  return table;
}

/** A typed array of at least `length`, reusing `current` when it is long enough. */
function atLeast<T extends Float32Array | Uint8Array>(
  current: T | undefined,
  length: number,
  make: (n: number) => T,
): T {
  if (current !== undefined && current.length >= length) return current;
  // Grown by half again so a layer that keeps gaining entities does not reallocate on every change.
  return make(Math.max(length, Math.ceil((current?.length ?? 0) * 1.5)));
}

/** Each slot's icon values by its flags, written into `target` (a new array when it is too short); returns the array used. */
export function packIconDefs(
  flags: Uint8Array,
  count: number,
  table: readonly Float32Array[],
  target?: Float32Array,
): Float32Array {
  const out = atLeast(target, count * ICON_DEF_SIZE, (n) => new Float32Array(n));
  for (let slot = 0; slot < count; slot++) {
    const values = table[flags[slot] ?? 0] as Float32Array;
    const o = slot * ICON_DEF_SIZE;
    for (let k = 0; k < ICON_DEF_SIZE; k++) out[o + k] = values[k] as number;
  }
  return out;
}

/**
 * Each slot's opaque colour: `stale` slots (flags & staleBit) take their outline colour, the others their fill,
 * as the place icons draw a stale facility in its grey outline colour.
 */
export function packPlaceColors(
  fill: Uint8Array,
  line: Uint8Array,
  flags: Uint8Array,
  staleBit: number,
  count: number,
  target?: Uint8Array,
): Uint8Array {
  const out = atLeast(target, count * 4, (n) => new Uint8Array(n));
  for (let slot = 0; slot < count; slot++) {
    const source = (flags[slot] ?? 0) & staleBit ? line : fill;
    const i = slot * 4;
    out[i] = source[i] ?? 0;
    out[i + 1] = source[i + 1] ?? 0;
    out[i + 2] = source[i + 2] ?? 0;
    out[i + 3] = 255;
  }
  return out;
}

/** Each slot's icon size in pixels from the store's radius input: `size * scale + add`. */
export function packSizes(
  size: Float32Array,
  count: number,
  scale: number,
  add: number,
  target?: Float32Array,
): Float32Array {
  const out = atLeast(target, count, (n) => new Float32Array(n));
  for (let slot = 0; slot < count; slot++) out[slot] = (size[slot] ?? 0) * scale + add;
  return out;
}

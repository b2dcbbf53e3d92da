import { LAYER_KINDS, type LayerKind } from './layer-kinds.js';
import { observable } from './observable.js';

export type Visibility = Record<LayerKind, boolean>;

/** Which layers are shown; every layer starts visible. */
export function allVisible(): Visibility {
  const visible = {} as Visibility;
  for (const kind of LAYER_KINDS) visible[kind] = true;
  return visible;
}

/** Parses persisted visibility, ignoring unknown keys and bad values. */
export function parseVisibility(text: string | null): Visibility {
  const visible = allVisible();
  if (!text) return visible;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return visible;
    for (const kind of LAYER_KINDS) {
      const value = (parsed as Record<string, unknown>)[kind];
      if (typeof value === 'boolean') visible[kind] = value;
    }
  } catch {
    // A corrupt entry falls back to showing everything.
  }
  return visible;
}

/** UI state shared by the map and the panels, outside React so the map reads it without re-rendering. */
export const visibility = observable<Visibility>(allVisible());
/** The entity open in the inspector ("domain/id"), or null. */
export const selection = observable<string | null>(null);
/** A request to centre the map on a position (an alert row was clicked); `at` makes each request distinct. */
export const focusRequest = observable<{ lon: number; lat: number; at: number } | null>(null);
/** The map area on screen as [west, south, east, north] in degrees, once the map has a size; replay and export scope by it. */
export const mapBounds = observable<[number, number, number, number] | null>(null);

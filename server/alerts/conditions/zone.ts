import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { Polygon } from 'geojson';
import type { ZoneCondition } from '../../../contract/index.js';
import type { CompiledCondition } from './types.js';

interface ZoneState {
  /** Side of the zone at the last known position; undefined until a position is seen. */
  inside: boolean | undefined;
  everInside: boolean;
  everOutside: boolean;
}

interface Part {
  west: number;
  south: number;
  east: number;
  north: number;
  polygon: Polygon;
}

/**
 * Geofence on a GeoJSON Polygon/MultiPolygon (boundary counts as inside). `inside` holds while the
 * last position is inside; `enter` holds while inside after the entity was once seen outside (an
 * entity first seen inside does not fire); `exit` holds while outside after it was once seen inside.
 * Each part's bounding box is checked before the exact point-in-polygon test.
 */
export function compileZone(condition: ZoneCondition): CompiledCondition<ZoneState> {
  const parts = splitParts(condition.zone);
  const on = condition.on;
  const contains = (lon: number, lat: number): boolean => {
    for (const part of parts) {
      if (lon < part.west || lon > part.east || lat < part.south || lat > part.north) continue;
      if (booleanPointInPolygon([lon, lat], part.polygon)) return true;
    }
    return false;
  };
  return {
    reads: { fields: [], position: true, any: false, timed: false },
    init: () => ({ inside: undefined, everInside: false, everOutside: false }),
    update(state, obs) {
      if (obs.lat === undefined || obs.lon === undefined) return;
      const inside = contains(obs.lon, obs.lat);
      state.inside = inside;
      if (inside) state.everInside = true;
      else state.everOutside = true;
    },
    holds(state) {
      if (state.inside === undefined) return false;
      if (on === 'inside') return state.inside;
      if (on === 'enter') return state.inside && state.everOutside;
      return !state.inside && state.everInside;
    },
    value: (state) => (state.inside === undefined ? null : state.inside ? 'inside' : 'outside'),
    known: (state) => state.inside !== undefined,
  };
}

function splitParts(zone: ZoneCondition['zone']): Part[] {
  const polygons: Polygon[] =
    zone.type === 'Polygon'
      ? [{ type: 'Polygon', coordinates: zone.coordinates }]
      : zone.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates }));
  return polygons.map((polygon) => {
    let west = Infinity;
    let south = Infinity;
    let east = -Infinity;
    let north = -Infinity;
    // Holes lie within the outer ring, so the outer ring bounds the part.
    for (const [lon, lat] of polygon.coordinates[0] ?? []) {
      if (lon === undefined || lat === undefined) continue;
      west = Math.min(west, lon);
      east = Math.max(east, lon);
      south = Math.min(south, lat);
      north = Math.max(north, lat);
    }
    return { west, south, east, north, polygon };
  });
}

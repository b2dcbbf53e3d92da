import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import type { Polygon } from 'geojson';
import type { ZoneCondition } from '../../../contract/index.js';
import type { CompiledCondition } from './types.js';

// State: [side, everInside, everOutside]; side 0 = no position yet, 1 = inside, 2 = outside.
const SIDE = 0;
const EVER_IN = 1;
const EVER_OUT = 2;

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
export function compileZone(condition: ZoneCondition): CompiledCondition {
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
    width: 3,
    init(buf, at) {
      buf[at + SIDE] = 0;
      buf[at + EVER_IN] = 0;
      buf[at + EVER_OUT] = 0;
    },
    update(buf, at, obs) {
      if (obs.lat === undefined || obs.lon === undefined) return;
      const inside = contains(obs.lon, obs.lat);
      buf[at + SIDE] = inside ? 1 : 2;
      buf[at + (inside ? EVER_IN : EVER_OUT)] = 1;
    },
    holds(buf, at) {
      const side = buf[at + SIDE];
      if (side === 0) return false;
      if (on === 'inside') return side === 1;
      if (on === 'enter') return side === 1 && buf[at + EVER_OUT] === 1;
      return side === 2 && buf[at + EVER_IN] === 1;
    },
    value(buf, at) {
      const side = buf[at + SIDE];
      return side === 0 ? null : side === 1 ? 'inside' : 'outside';
    },
    known: (buf, at) => buf[at + SIDE] !== 0,
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

import type { ZoneInfo } from '../../../contract/api.js';

type Ring = number[][];

/** Ray casting: whether [lon, lat] lies inside a closed ring. */
function inRing(lon: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi = 0, yi = 0] = ring[i] ?? [];
    const [xj = 0, yj = 0] = ring[j] ?? [];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(lon: number, lat: number, rings: Ring[]): boolean {
  const [outer, ...holes] = rings;
  return outer !== undefined && inRing(lon, lat, outer) && !holes.some((hole) => inRing(lon, lat, hole));
}

/** The configured zone a position falls in (the server names storm zones the same way), or undefined. */
export function zoneAt(zones: readonly ZoneInfo[], lat: number | null | undefined, lon: number | null | undefined) {
  if (lat === null || lat === undefined || lon === null || lon === undefined) return undefined;
  return zones.find((zone) =>
    zone.geometry.type === 'Polygon'
      ? inPolygon(lon, lat, zone.geometry.coordinates)
      : zone.geometry.coordinates.some((polygon) => inPolygon(lon, lat, polygon)),
  );
}

/** A zone id as people read it: its configured name in the language, else the id ('city' = outside every zone). */
export function zoneName(zones: readonly ZoneInfo[], id: string, locale: 'vi' | 'en', cityLabel: string): string {
  if (id === 'city') return cityLabel;
  return zones.find((zone) => zone.id === id)?.name[locale] ?? id;
}

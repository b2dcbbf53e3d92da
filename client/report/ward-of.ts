import type { ZoneInfo } from '../../contract/api.js';

type Ring = number[][];

/** Even-odd ray test of one ring (lon/lat pairs). */
function inRing(ring: Ring, lon: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi = 0, yi = 0] = ring[i] ?? [];
    const [xj = 0, yj = 0] = ring[j] ?? [];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside the outer ring and outside every hole. */
function inPolygon(rings: Ring[], lon: number, lat: number): boolean {
  const [outer, ...holes] = rings;
  return outer !== undefined && inRing(outer, lon, lat) && !holes.some((hole) => inRing(hole, lon, lat));
}

/**
 * The ward a point falls in, or undefined outside all of them. The server decides the stored zone on
 * its own; this only names the ward under the map so the citizen can check the pin before confirming.
 */
export function wardOf(wards: readonly ZoneInfo[], lat: number, lon: number): ZoneInfo | undefined {
  return wards.find((ward) =>
    ward.geometry.type === 'Polygon'
      ? inPolygon(ward.geometry.coordinates, lon, lat)
      : ward.geometry.coordinates.some((polygon) => inPolygon(polygon, lon, lat)),
  );
}

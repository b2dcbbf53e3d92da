/** A position in degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

/** Bắc Giang city centre. */
export const CENTRE: LatLon = { lat: 21.273, lon: 106.194 };

const METRES_PER_DEG_LAT = 111_320;
const RAD = Math.PI / 180;

/** Metres per degree of longitude at a latitude (equirectangular: exact enough at city scale). */
export function metresPerDegLon(lat: number): number {
  return METRES_PER_DEG_LAT * Math.cos(lat * RAD);
}

/** The point `northM` metres north and `eastM` metres east of `origin`. */
export function offset(origin: LatLon, northM: number, eastM: number): LatLon {
  return {
    lat: origin.lat + northM / METRES_PER_DEG_LAT,
    lon: origin.lon + eastM / metresPerDegLon(origin.lat),
  };
}

/** Distance in metres between two nearby points. */
export function distanceM(a: LatLon, b: LatLon): number {
  const dy = (b.lat - a.lat) * METRES_PER_DEG_LAT;
  const dx = (b.lon - a.lon) * metresPerDegLon((a.lat + b.lat) / 2);
  return Math.sqrt(dx * dx + dy * dy);
}

/** Compass bearing in degrees [0, 360) from `a` towards `b`. */
export function bearingDeg(a: LatLon, b: LatLon): number {
  const dy = (b.lat - a.lat) * METRES_PER_DEG_LAT;
  const dx = (b.lon - a.lon) * metresPerDegLon((a.lat + b.lat) / 2);
  const deg = Math.atan2(dx, dy) / RAD;
  return deg < 0 ? deg + 360 : deg;
}

/** A polyline prepared for walking along it by distance. */
export interface Path {
  readonly points: readonly LatLon[];
  /** Distance from the first point to each point, in metres. */
  readonly cumulative: Float64Array;
  readonly length: number;
}

/** Prepares a polyline; `closed` joins the last point back to the first. */
export function createPath(points: readonly LatLon[], closed: boolean): Path {
  const pts = closed ? [...points, points[0] as LatLon] : [...points];
  const cumulative = new Float64Array(pts.length);
  for (let i = 1; i < pts.length; i++) {
    cumulative[i] = (cumulative[i - 1] as number) + distanceM(pts[i - 1] as LatLon, pts[i] as LatLon);
  }
  return { points: pts, cumulative, length: cumulative[pts.length - 1] as number };
}

/** A route run there and back: the points forward, then backward to the start. */
export function outAndBack(points: readonly LatLon[]): LatLon[] {
  return [...points, ...points.slice(1, -1).reverse()];
}

/** Writes the position and heading at distance `s` (wrapped to the path length) into `out`. */
export function pointOnPath(path: Path, s: number, out: LatLon & { heading: number }): void {
  const { cumulative, points } = path;
  let d = s % path.length;
  if (d < 0) d += path.length;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) <= d) lo = mid;
    else hi = mid;
  }
  const a = points[lo] as LatLon;
  const b = points[hi] as LatLon;
  const seg = (cumulative[hi] as number) - (cumulative[lo] as number);
  const f = seg > 0 ? (d - (cumulative[lo] as number)) / seg : 0;
  out.lat = a.lat + (b.lat - a.lat) * f;
  out.lon = a.lon + (b.lon - a.lon) * f;
  out.heading = bearingDeg(a, b);
}

/** Shortest distance in metres from `p` to the polyline of `path`. */
export function distanceToPath(path: Path, p: LatLon): number {
  let best = Infinity;
  const kx = metresPerDegLon(p.lat);
  for (let i = 1; i < path.points.length; i++) {
    const a = path.points[i - 1] as LatLon;
    const b = path.points[i] as LatLon;
    const ax = (a.lon - p.lon) * kx;
    const ay = (a.lat - p.lat) * METRES_PER_DEG_LAT;
    const bx = (b.lon - p.lon) * kx;
    const by = (b.lat - p.lat) * METRES_PER_DEG_LAT;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / len2)) : 0;
    const x = ax + dx * t;
    const y = ay + dy * t;
    best = Math.min(best, Math.sqrt(x * x + y * y));
  }
  return best;
}

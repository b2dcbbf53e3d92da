import {
  activity,
  clamp,
  drift,
  effectOf,
  localHour,
  makeEntity,
  round,
  rush,
  type EntitySpec,
  type SimEntity,
} from './entity.js';
import { pointOnPath, type Path } from './geo.js';
import type { Random } from './random.js';

const MINUTE = 60_000;
/** Longest stretch of time one model step simulates; a device silent for longer resumes from there. */
const MAX_STEP_S = 600;

export const JUNCTION_FIELDS = ['flow', 'speed', 'occupancy'] as const;

/** A junction counter: flow (veh/min), speed (km/h), occupancy (%); jams collapse flow while neighbours stay busy. */
export function createJunction(spec: EntitySpec, p: Random, r: Random): SimEntity {
  const capacity = p.range(25, 70);
  const freeSpeed = p.range(35, 55);
  let jitter = 0;
  let last = -1;
  const e = makeEntity(spec, JUNCTION_FIELDS, (t) => {
    const dt = last < 0 ? 0 : t - last;
    last = t;
    jitter = clamp(drift(jitter, dt, 3 * MINUTE, 0.08, r.normal()), -0.3, 0.3);
    const h = localHour(t);
    let load = (0.12 + 0.3 * activity(h) + 0.6 * rush(h)) * (1 + jitter);
    const busy = effectOf(e, 'busy', t);
    if (busy > 0) load += (Math.max(load * 1.3, 0.95) - load) * busy;
    const congestion = clamp((load - 0.55) / 0.5, 0, 1);
    let flow = capacity * Math.min(load, 1.1) * (1 + 0.05 * r.normal());
    let speed = freeSpeed * (1 - 0.6 * congestion) * (1 + 0.05 * r.normal());
    let occupancy = 4 + 60 * load * load + 2 * r.normal();
    const jam = effectOf(e, 'jam', t);
    if (jam > 0) {
      flow += (0.4 * Math.abs(r.normal()) - flow) * jam;
      speed += (0.8 * Math.abs(r.normal()) - speed) * jam;
      occupancy += (93 + 2 * r.normal() - occupancy) * jam;
    }
    e.values[0] = round(Math.max(0, flow), 1);
    e.values[1] = round(Math.max(0, speed), 1);
    e.values[2] = round(clamp(occupancy, 0, 100), 1);
  });
  return e;
}

/** A bus route ready for driving: its path and the distances along it where buses stop. */
export interface DrivenRoute {
  code: string;
  path: Path;
  stops: Float64Array;
}

/** Places stops every 400–650 m along a path. */
export function busStops(path: Path, p: Random): Float64Array {
  const stops: number[] = [];
  for (let s = p.range(100, 300); s < path.length - 100; s += p.range(400, 650)) stops.push(s);
  if (stops.length === 0) stops.push(0);
  return Float64Array.from(stops);
}

export const BUS_FIELDS = ['speed', 'heading', 'route', 'passengers'] as const;

/** A bus driving its route: moves smoothly along the polyline, dwells at stops, slower at rush hour. */
export function createBus(spec: EntitySpec, route: DrivenRoute, startS: number, p: Random, r: Random): SimEntity {
  const { path, stops } = route;
  const cruise = p.range(22, 32);
  let s = startS % path.length;
  let next = stops.findIndex((stop) => stop > s);
  if (next < 0) next = 0;
  let dwell = 0;
  let load = p.range(10, 40);
  let last = -1;
  const pos = { lat: spec.lat, lon: spec.lon, heading: 0 };
  const e = makeEntity(spec, BUS_FIELDS, (t) => {
    let remaining = last < 0 ? 0 : Math.min(MAX_STEP_S, (t - last) / 1000);
    last = t;
    const kmh = cruise * (1 - 0.35 * rush(localHour(t)));
    const mps = kmh / 3.6;
    while (remaining > 0) {
      if (dwell > 0) {
        const wait = Math.min(dwell, remaining);
        dwell -= wait;
        remaining -= wait;
        continue;
      }
      let gap = (stops[next] as number) - s;
      if (gap <= 0) gap += path.length;
      const reach = mps * remaining;
      if (reach < gap) {
        s += reach;
        remaining = 0;
      } else {
        s += gap;
        remaining -= gap / mps;
        dwell = r.range(15, 35);
        next = (next + 1) % stops.length;
        load = clamp(load + 6 * r.normal(), 2, 70);
      }
      if (s >= path.length) s -= path.length;
    }
    pointOnPath(path, s, pos);
    e.lat = round(pos.lat, 6);
    e.lon = round(pos.lon, 6);
    const v = e.values;
    v[0] = dwell > 0 ? 0 : round(kmh * (1 + 0.04 * r.normal()), 1);
    v[1] = round(pos.heading, 0) % 360;
    v[2] = route.code;
    v[3] = Math.round(load);
  });
  pointOnPath(path, s, pos);
  e.lat = round(pos.lat, 6);
  e.lon = round(pos.lon, 6);
  return e;
}

import {
  activity,
  clamp,
  drift,
  effectOf,
  localHour,
  makeEntity,
  officeOpen,
  round,
  rush,
  type EntitySpec,
  type SimEntity,
} from './entity.js';
import { bearingDeg, CENTRE, distanceM, offset, type LatLon } from './geo.js';
import type { Random } from './random.js';

const MINUTE = 60_000;
const MAX_STEP_S = 600;

/** Applies an incident's strength `env` (0..1) pulling `value` towards `peak`, with a little noise. */
function towards(value: number, peak: number, env: number, r: Random): number {
  return env > 0 ? value + (peak * (1 + 0.03 * r.normal()) - value) * env : value;
}

export const HOSPITAL_FIELDS = ['bedsFree', 'bedsTotal', 'erWait'] as const;

/** A hospital: free beds out of its total, and the emergency-room wait (min), longest in the evening. */
export function createHospital(spec: EntitySpec, beds: number, p: Random, r: Random): SimEntity {
  const occupied = p.range(0.86, 0.94);
  const erBase = p.range(12, 26);
  let ward = 0;
  let er = 0;
  let last = -1;
  const e = makeEntity(spec, HOSPITAL_FIELDS, (t) => {
    const dt = last < 0 ? 0 : t - last;
    last = t;
    ward = drift(ward, dt, 120 * MINUTE, 0.02, r.normal());
    er = drift(er, dt, 15 * MINUTE, 4, r.normal());
    const h = localHour(t);
    const wait = clamp(erBase * (0.6 + 0.5 * activity(h) + 0.3 * rush(h)) + er, 3, 55);
    const v = e.values;
    v[0] = Math.round(beds * clamp(1 - occupied - ward, 0.01, 0.3));
    v[1] = beds;
    v[2] = round(towards(wait, e.effect?.peak ?? 0, effectOf(e, 'er', t), r), 1);
  });
  return e;
}

export interface Place extends LatLon {
  id: string;
}

export const AMBULANCE_FIELDS = ['status', 'speed', 'heading', 'hospital'] as const;

type Phase = 'idle' | 'enroute' | 'scene' | 'transport';

/** An ambulance: waits at a hospital, drives to an incident point, then carries the patient to the nearest hospital. */
export function createAmbulance(spec: EntitySpec, hospitals: readonly Place[], home: Place, r: Random): SimEntity {
  let phase: Phase = 'idle';
  let timer = r.range(30, 600);
  let from: LatLon = home;
  let to: LatLon = home;
  let dest = home;
  let travelled = 0;
  let legLength = 0;
  let kmh = 0;
  let last = -1;

  const drive = (target: LatLon, next: Phase): void => {
    from = { lat: e.lat, lon: e.lon };
    to = target;
    travelled = 0;
    legLength = distanceM(from, to);
    kmh = r.range(35, 55);
    phase = next;
  };
  const nearest = (p: LatLon): Place =>
    hospitals.reduce((best, h) => (distanceM(p, h) < distanceM(p, best) ? h : best), home);

  const e = makeEntity(spec, AMBULANCE_FIELDS, (t) => {
    let remaining = last < 0 ? 0 : Math.min(MAX_STEP_S, (t - last) / 1000);
    last = t;
    while (remaining > 0) {
      if (phase === 'idle' || phase === 'scene') {
        const wait = Math.min(timer, remaining);
        timer -= wait;
        remaining -= wait;
        if (timer > 0) break;
        if (phase === 'idle') {
          drive(offset(CENTRE, r.range(-4500, 4500), r.range(-4500, 4500)), 'enroute');
        } else {
          dest = nearest(to);
          drive(dest, 'transport');
        }
        continue;
      }
      const mps = kmh / 3.6;
      const step = Math.min(mps * remaining, legLength - travelled);
      travelled += step;
      remaining -= step / mps;
      const f = legLength > 0 ? travelled / legLength : 1;
      e.lat = round(from.lat + (to.lat - from.lat) * f, 6);
      e.lon = round(from.lon + (to.lon - from.lon) * f, 6);
      if (travelled >= legLength) {
        phase = phase === 'enroute' ? 'scene' : 'idle';
        timer = phase === 'scene' ? r.range(120, 300) : r.range(180, 900);
      }
    }
    const moving = phase === 'enroute' || phase === 'transport';
    const v = e.values;
    v[0] = phase === 'scene' ? 'enroute' : phase;
    v[1] = moving ? round(kmh * (1 + 0.05 * r.normal()), 1) : 0;
    v[2] = moving ? Math.round(bearingDeg(from, to)) % 360 : 0;
    v[3] = dest.id;
  });
  return e;
}

export const SERVICE_FIELDS = ['waiting', 'avgWait', 'countersOpen', 'open'] as const;

/** Visitors arriving at a service centre by hour: a morning peak, a smaller afternoon one. */
function demand(hour: number): number {
  const m = (hour - 9.3) / 1.2;
  const a = (hour - 14.5) / 1.1;
  const d = 0.4 + 0.9 * Math.exp(-m * m) + 0.6 * Math.exp(-a * a);
  return hour > 16.5 ? d * 0.5 : d;
}

/** A public-service centre: people waiting, average wait (min), counters open; closed outside office hours. */
export function createServiceCentre(spec: EntitySpec, counters: number, p: Random, r: Random): SimEntity {
  const minutesEach = p.range(5, 9);
  const popularity = p.range(0.8, 1.3);
  let crowd = 0;
  let last = -1;
  const e = makeEntity(spec, SERVICE_FIELDS, (t) => {
    const dt = last < 0 ? 0 : t - last;
    last = t;
    crowd = clamp(drift(crowd, dt, 10 * MINUTE, 0.15, r.normal()), -0.45, 0.45);
    const h = localHour(t);
    const v = e.values;
    if (!officeOpen(h)) {
      v[0] = 0;
      v[1] = 0;
      v[2] = 0;
      v[3] = false;
      return;
    }
    const open = h >= 11.5 && h < 13 ? Math.ceil(counters / 2) : counters;
    let waiting = counters * demand(h) * popularity * 1.2 * (1 + crowd);
    let avgWait = Math.min(40, 3 + (waiting * minutesEach) / open);
    const surge = effectOf(e, 'queue', t);
    if (surge > 0 && e.effect !== null) {
      avgWait = towards(avgWait, e.effect.peak, surge, r);
      waiting = Math.max(waiting, (surge * e.effect.peak * open) / minutesEach);
    }
    v[0] = Math.max(0, Math.round(waiting));
    v[1] = round(avgWait, 1);
    v[2] = open;
    v[3] = true;
  });
  return e;
}

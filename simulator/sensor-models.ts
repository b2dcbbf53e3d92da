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
import type { Random } from './random.js';

// US EPA PM2.5 breakpoints as revised in 2024 (40 CFR 58 App. G): [Clow, Chigh, Ilow, Ihigh].
const PM25_BREAKPOINTS: readonly (readonly [number, number, number, number])[] = [
  [0, 9.0, 0, 50],
  [9.1, 35.4, 51, 100],
  [35.5, 55.4, 101, 150],
  [55.5, 125.4, 151, 200],
  [125.5, 225.4, 201, 300],
  [225.5, 325.4, 301, 500],
];

/** US AQI from a PM2.5 concentration (µg/m³), by the EPA breakpoints; 500 above the scale. */
export function aqiFromPm25(pm25: number): number {
  // Truncated to 0.1 µg/m³ as EPA does; the epsilon keeps 0.57 * 10 = 5.699… from truncating to 0.5.
  const c = Math.floor(Math.max(0, pm25) * 10 + 1e-9) / 10;
  for (const [cLow, cHigh, iLow, iHigh] of PM25_BREAKPOINTS) {
    if (c <= cHigh) return Math.round(((iHigh - iLow) / (cHigh - cLow)) * (Math.max(c, cLow) - cLow) + iLow);
  }
  return 500;
}

const MINUTE = 60_000;
export const AIR_FIELDS = ['pm25', 'pm10', 'aqi', 'temp', 'humidity'] as const;

/** An air-quality station: PM2.5 (rush-hour and night-inversion peaks), PM10, AQI, temperature, humidity. */
export function createAirStation(spec: EntitySpec, p: Random, r: Random): SimEntity {
  const background = p.range(14, 30);
  const exposure = p.range(0.4, 1.2);
  const coarse = p.range(1.35, 1.8);
  const warmth = p.range(-0.8, 0.8);
  let smog = 0;
  let damp = 0;
  let last = -1;
  const e = makeEntity(spec, AIR_FIELDS, (t) => {
    const dt = last < 0 ? 0 : t - last;
    last = t;
    smog = clamp(drift(smog, dt, 10 * MINUTE, 0.15, r.normal()), -0.5, 0.6);
    damp = drift(damp, dt, 30 * MINUTE, 4, r.normal());
    const h = localHour(t);
    let pm25 = background * (0.8 + 0.35 * (1 - activity(h)) + 1.1 * exposure * rush(h)) * (1 + smog);
    pm25 = Math.max(3, pm25 + r.normal());
    const episode = effectOf(e, 'pm25', t);
    if (episode > 0 && e.effect !== null) {
      pm25 += (e.effect.peak * (1 + 0.04 * r.normal()) - pm25) * episode;
    }
    const daily = Math.sin((2 * Math.PI * (h - 9)) / 24);
    const v = e.values;
    const reported = round(pm25, 1);
    v[0] = reported;
    v[1] = round(pm25 * coarse + 3 + r.normal(), 1);
    v[2] = aqiFromPm25(reported);
    v[3] = round(27 + 4 * daily + warmth + 0.2 * r.normal(), 1);
    v[4] = round(clamp(76 - 12 * daily + damp, 35, 99), 0);
  });
  return e;
}

export const NOISE_FIELDS = ['noise'] as const;

/** A noise meter: quiet at night, loud by day, louder at rush hour near traffic (dB(A)). */
export function createNoiseMeter(spec: EntitySpec, p: Random, r: Random): SimEntity {
  const exposure = p.range(0.3, 1.2);
  const floor = p.range(38, 46);
  let hum = 0;
  let last = -1;
  const e = makeEntity(spec, NOISE_FIELDS, (t) => {
    const dt = last < 0 ? 0 : t - last;
    last = t;
    hum = drift(hum, dt, 2 * MINUTE, 2, r.normal());
    const h = localHour(t);
    const db = floor + 22 * activity(h) + 8 * exposure * rush(h) + hum + 1.2 * r.normal();
    e.values[0] = round(clamp(db, 30, 110), 1);
  });
  return e;
}

export const WATER_FIELDS = ['level', 'rain'] as const;

/** A river gauge: water level (m) and rain (mm/h); a flood incident brings heavy rain and a fast rise. */
export function createWaterGauge(spec: EntitySpec, p: Random, r: Random, weatherPhase: number): SimEntity {
  const datum = p.range(1.8, 3.2);
  const wetness = p.range(0.8, 1.2);
  let ripple = 0;
  let last = -1;
  const e = makeEntity(spec, WATER_FIELDS, (t) => {
    const dt = last < 0 ? 0 : t - last;
    last = t;
    ripple = drift(ripple, dt, MINUTE, 0.008, r.normal());
    // City-wide showers now and then: a slow wave that is above zero about a fifth of the time.
    const shower = Math.max(0, 8 * Math.sin((2 * Math.PI * t) / 34_920_000 + weatherPhase) - 6) * wetness;
    let rain = shower > 0 ? shower + 0.3 * Math.abs(r.normal()) : 0;
    let level = datum + 0.04 * Math.sin((2 * Math.PI * t) / 86_400_000) + 0.03 * shower + ripple;
    const flood = e.effect;
    if (flood !== null && flood.kind === 'flood') {
      level += flood.peak * effectOf(e, 'flood', t);
      const x = t - flood.start;
      const storm = flood.rampMs + flood.holdMs;
      const heavy = x < 0 ? 0 : x < storm ? 1 : Math.max(0, 1 - (x - storm) / (5 * MINUTE));
      rain += heavy * (40 + 30 * flood.peak + 4 * r.normal());
    }
    e.values[0] = round(Math.max(0, level), 2);
    e.values[1] = round(Math.max(0, rain), 1);
  });
  return e;
}

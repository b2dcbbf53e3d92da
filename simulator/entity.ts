/** The kinds of simulated device; a domain holds one or more kinds. */
export type Kind = 'air' | 'noise' | 'water' | 'junction' | 'bus' | 'hospital' | 'ambulance' | 'service';

/** How a device sends its readings: its own topic (JSON or SenML) or its domain's batch topic (JSON array or line protocol). */
export type WireFormat = 'json' | 'senml' | 'batch' | 'line';

export type SimFieldValue = number | boolean | string;

export type IncidentKind = 'pm25' | 'flood' | 'jam' | 'er' | 'queue' | 'silent';

/** What an incident does to one entity over time: ramp up, hold, decay (ms). `busy` marks a jam's neighbours. */
export interface Effect {
  kind: IncidentKind | 'busy';
  start: number;
  rampMs: number;
  holdMs: number;
  decayMs: number;
  /** The incident's strength, in the unit of the field it drives. */
  peak: number;
}

/** One simulated device: where it is, what it reports, and how its readings evolve. */
export interface SimEntity {
  readonly domain: string;
  readonly id: string;
  readonly kind: Kind;
  lat: number;
  lon: number;
  readonly tags: Record<string, string>;
  readonly fields: readonly string[];
  /** Current readings, same order as `fields`; written by `step`. */
  readonly values: SimFieldValue[];
  readonly format: WireFormat;
  /** Share of the total rate this entity carries, relative to a plain sensor (1). */
  readonly weight: number;
  readonly synthetic: boolean;
  effect: Effect | null;
  /** The entity sends nothing before this time (the `silent` incident). */
  silentUntil: number;
  /** Advances the readings to time `t` (ms). */
  step(t: number): void;
}

/** The fixed description of an entity before its model is attached. */
export interface EntitySpec {
  domain: string;
  id: string;
  kind: Kind;
  lat: number;
  lon: number;
  tags: Record<string, string>;
  format: WireFormat;
  weight: number;
  synthetic?: boolean;
}

/** Builds an entity whose readings are advanced by `step` (which may read and write the entity). */
export function makeEntity(spec: EntitySpec, fields: readonly string[], step: (t: number) => void): SimEntity {
  return {
    domain: spec.domain,
    id: spec.id,
    kind: spec.kind,
    lat: spec.lat,
    lon: spec.lon,
    tags: spec.tags,
    fields,
    values: fields.map(() => 0),
    format: spec.format,
    weight: spec.weight,
    synthetic: spec.synthetic ?? false,
    effect: null,
    silentUntil: 0,
    step,
  };
}

/** End time of an effect. */
export function effectEnd(effect: Effect): number {
  return effect.start + effect.rampMs + effect.holdMs + effect.decayMs;
}

/** Strength of an effect at `t`, 0..1: linear ramp, hold at 1, linear decay. */
export function envelope(effect: Effect, t: number): number {
  const x = t - effect.start;
  if (x <= 0) return 0;
  if (x < effect.rampMs) return x / effect.rampMs;
  const afterHold = x - effect.rampMs - effect.holdMs;
  if (afterHold <= 0) return 1;
  return afterHold < effect.decayMs ? 1 - afterHold / effect.decayMs : 0;
}

/** Strength at `t` of the entity's effect when it is of `kind`, else 0. */
export function effectOf(entity: SimEntity, kind: Effect['kind'], t: number): number {
  const e = entity.effect;
  return e !== null && e.kind === kind ? envelope(e, t) : 0;
}

const UTC_OFFSET_H = 7;

/** Local hour of day in Việt Nam (UTC+7, no daylight saving), 0..24. */
export function localHour(t: number): number {
  const h = (t / 3_600_000 + UTC_OFFSET_H) % 24;
  return h < 0 ? h + 24 : h;
}

/** Morning (≈7:30) and evening (≈17:30) rush-hour peaks, 0..1. */
export function rush(hour: number): number {
  const m = (hour - 7.4) / 1.1;
  const e = (hour - 17.4) / 1.3;
  return Math.exp(-m * m) + 0.95 * Math.exp(-e * e);
}

/** Daytime activity: low at night, high from morning to evening, 0..1. */
export function activity(hour: number): number {
  const up = 1 / (1 + Math.exp(-(hour - 6) * 2));
  const down = 1 / (1 + Math.exp((hour - 21.5) * 1.5));
  return 0.12 + 0.88 * up * down;
}

/** Public-service centres open 7:30–17:00 local time. */
export function officeOpen(hour: number): boolean {
  return hour >= 7.5 && hour < 17;
}

/** Rounds to `decimals` places, and turns a non-finite value into 0 so a payload is always valid. */
export function round(value: number, decimals: number): number {
  const k = decimals === 0 ? 1 : decimals === 1 ? 10 : decimals === 2 ? 100 : 10 ** decimals;
  const r = Math.round(value * k) / k;
  return Number.isFinite(r) ? r : 0;
}

/** `value` limited to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** One step of a mean-reverting random walk with time constant `tauMs`, stationary sd `sd`. */
export function drift(current: number, dtMs: number, tauMs: number, sd: number, normal: number): number {
  const a = Math.exp(-dtMs / tauMs);
  return current * a + sd * Math.sqrt(1 - a * a) * normal;
}

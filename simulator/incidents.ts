import type { City } from './city.js';
import {
  effectEnd,
  localHour,
  officeOpen,
  type Effect,
  type IncidentKind,
  type Kind,
  type SimEntity,
} from './entity.js';
import { distanceM } from './geo.js';
import { createRandom, streamSeed, type Random } from './random.js';

export type { IncidentKind } from './entity.js';

/** Every incident the simulator can stage; each trips one of the default alert rules. */
export const INCIDENT_KINDS: readonly IncidentKind[] = ['pm25', 'flood', 'jam', 'er', 'queue', 'silent'];

/** A staged incident: which entities it drives past a threshold, from when until when (ms). */
export interface Incident {
  id: string;
  kind: IncidentKind;
  targets: string[];
  start: number;
  end: number;
}

export interface Incidents {
  /** Starts an incident of `kind` now, on `targetId` when given; null when no entity is free for it. */
  trigger(kind: IncidentKind, now: number, targetId?: string): Incident | null;
  /** Ends finished incidents and starts the scheduled ones due by `now`. */
  update(now: number): void;
  active(): readonly Incident[];
}

const MINUTE = 60_000;

interface Staged {
  incident: Incident;
  touched: { entity: SimEntity; effect: Effect }[];
}

/** Schedules incidents as a Poisson process with mean gap `meanEvery` ms (none when not positive and finite). */
export function createIncidents(city: City, seed: number, meanEvery: number): Incidents {
  const r: Random = createRandom(streamSeed(seed, 3));
  const real = city.entities.filter((e) => !e.synthetic);
  const ofKind = (...kinds: Kind[]): SimEntity[] => real.filter((e) => kinds.includes(e.kind));
  const air = ofKind('air');
  const junctions = ofKind('junction');
  const hospitals = ofKind('hospital');
  const centres = ofKind('service');
  const sensors = ofKind('air', 'noise', 'water');
  const staged: Staged[] = [];
  let active: Incident[] = [];
  let nextAt = Number.NaN;

  const free = (e: SimEntity): boolean => e.effect === null;
  const choose = (pool: SimEntity[], targetId?: string): SimEntity | undefined => {
    if (targetId !== undefined) return pool.find((e) => e.id === targetId && free(e));
    const open = pool.filter(free);
    return open.length > 0 ? r.pick(open) : undefined;
  };
  const nearestFree = (pool: SimEntity[], from: SimEntity, count: number, withinM: number): SimEntity[] =>
    pool
      .filter((e) => e !== from && free(e) && distanceM(e, from) <= withinM)
      .sort((a, b) => distanceM(a, from) - distanceM(b, from))
      .slice(0, count);

  const stage = (kind: IncidentKind, now: number, targets: SimEntity[], effects: [SimEntity, Effect][]): Incident => {
    const end = Math.max(...effects.map(([, effect]) => effectEnd(effect)));
    const ids = targets.map((e) => e.id);
    const incident: Incident = { id: `${kind}:${ids.join(',')}@${now}`, kind, targets: ids, start: now, end };
    for (const [entity, effect] of effects) entity.effect = effect;
    staged.push({ incident, touched: effects.map(([entity, effect]) => ({ entity, effect })) });
    active = staged.map((s) => s.incident);
    return incident;
  };
  const effect = (kind: Effect['kind'], now: number, rampMs: number, holdMs: number, decayMs: number, peak: number) =>
    ({ kind, start: now, rampMs, holdMs, decayMs, peak }) satisfies Effect;

  const trigger = (kind: IncidentKind, now: number, targetId?: string): Incident | null => {
    switch (kind) {
      case 'pm25': {
        const first = choose(air, targetId);
        if (!first) return null;
        const group = [first, ...nearestFree(air, first, r.int(1, 2), 2500)];
        const hold = r.range(7, 10) * MINUTE;
        const fx = group.map((e): [SimEntity, Effect] => [
          e,
          effect('pm25', now, MINUTE, hold, 2 * MINUTE, r.range(180, 260)),
        ]);
        return stage(kind, now, group, fx);
      }
      case 'flood': {
        const gauges = city.gauges;
        const size = Math.min(gauges.length, r.int(3, 5));
        const at = targetId === undefined ? r.int(0, gauges.length - size) : gauges.findIndex((g) => g.id === targetId);
        const run = at < 0 ? [] : gauges.slice(at, at + size);
        if (run.length === 0 || !run.every(free)) return null;
        const ramp = r.range(12, 15) * MINUTE;
        const fx = run.map((g): [SimEntity, Effect] => [
          g,
          effect('flood', now, ramp, 5 * MINUTE, 30 * MINUTE, r.range(1, 1.6)),
        ]);
        return stage(kind, now, run, fx);
      }
      case 'jam': {
        const jammed = choose(junctions, targetId);
        if (!jammed) return null;
        const hold = r.range(6, 9) * MINUTE;
        const fx: [SimEntity, Effect][] = [[jammed, effect('jam', now, 30_000, hold, MINUTE, 0)]];
        for (const n of nearestFree(junctions, jammed, 2, 3000))
          fx.push([n, effect('busy', now, 30_000, hold, MINUTE, 0)]);
        return stage(kind, now, [jammed], fx);
      }
      case 'er':
      case 'queue': {
        const target = choose(kind === 'er' ? hospitals : centres, targetId);
        if (!target) return null;
        const peak = kind === 'er' ? r.range(75, 120) : r.range(55, 90);
        const hold = r.range(10, 15) * MINUTE;
        return stage(kind, now, [target], [[target, effect(kind, now, 2 * MINUTE, hold, 5 * MINUTE, peak)]]);
      }
      case 'silent': {
        const target = choose(sensors, targetId);
        if (!target) return null;
        const fx = effect('silent', now, 0, r.range(5, 10) * MINUTE, 0, 0);
        target.silentUntil = effectEnd(fx);
        return stage(kind, now, [target], [[target, fx]]);
      }
    }
  };

  const update = (now: number): void => {
    for (let i = staged.length - 1; i >= 0; i--) {
      const s = staged[i] as Staged;
      if (now < s.incident.end) continue;
      for (const { entity, effect: fx } of s.touched) if (entity.effect === fx) entity.effect = null;
      staged.splice(i, 1);
      active = staged.map((x) => x.incident);
    }
    if (!(meanEvery > 0) || !Number.isFinite(meanEvery)) return;
    if (Number.isNaN(nextAt) || nextAt < now - 10 * meanEvery) nextAt = now + r.exponential(meanEvery);
    while (now >= nextAt) {
      const kinds = INCIDENT_KINDS.filter((k) => k !== 'queue' || officeOpen(localHour(now)));
      trigger(r.pick(kinds), now);
      nextAt += r.exponential(meanEvery);
    }
  };

  return { trigger, update, active: () => active };
}

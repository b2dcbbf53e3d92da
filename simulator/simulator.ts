import { DEFAULT_TOPIC_ROOT } from '../contract/index.js';
import { BASE_COUNTS, buildCity, WEIGHTS } from './city.js';
import {
  encodeBatchItem,
  encodeJson,
  encodeLine,
  encodeSenml,
  toObservation,
  wireParts,
  type WireParts,
} from './encode.js';
import type { Kind, SimEntity } from './entity.js';
import { createIncidents, type Incident, type IncidentKind } from './incidents.js';
import { createEventStreams } from './event-streams.js';
import { createOutput, type Counters, type SimulatorTransport } from './output.js';
import type { Ward } from './places.js';
import { createRandom, streamSeed } from './random.js';

export interface SimulatorOptions {
  /** Observations per second in total (default 300; up to tens of thousands for benchmarks). */
  rate: number;
  /** 0..1 share of observations sent via `transport.postHttp`. */
  httpShare: number;
  seed: number;
  /** Default 'city'. */
  topicRoot?: string;
  /** Clock for the timer started by `start()`; default Date.now. */
  now?: () => number;
  /** Mean ms between scheduled incidents (default 180 000); 0 or Infinity: only triggered ones. */
  incidentEvery?: number;
  /** Timer period of `start()` in ms (default 200). */
  tickMs?: number;
  transport: SimulatorTransport;
  onError?: (err: Error) => void;
  /** Publish public-service dossiers and Frigate camera events too (default false: sensors only). */
  eventStreams?: boolean;
  /** On start, the dossiers of this many past ms are published at once, so the KPIs have a history (default 3 days). */
  dossierBackfill?: number;
  /** Frigate's events topic (default `frigate/events`). */
  camerasTopic?: string;
  /** The city's wards (the configured zones): each device is tagged with the one it stands in, dossiers go to their committees. */
  wards?: readonly Ward[];
}

export interface SimulatorStats {
  /** Observations handed to MQTT publish (a batch counts each observation it holds). */
  published: number;
  /** Observations handed to `postHttp`. */
  httpPosted: number;
  /** MQTT messages published. */
  messages: number;
  errors: number;
  entities: number;
  /** Ids of incidents in progress, e.g. `pm25:aq-03,aq-11@1741744800000`. */
  activeIncidents: string[];
}

export interface SimulatedEntity {
  domain: string;
  id: string;
  lat: number;
  lon: number;
  tags: Record<string, string>;
}

export interface Simulator {
  start(): void;
  stop(): Promise<void>;
  /** Advance one tick at the given time and publish its messages (used by start()'s timer and by tests). */
  tick(now: number): Promise<void>;
  stats(): SimulatorStats;
  entities(): ReadonlyArray<SimulatedEntity>;
  /** Stages an incident now (at the last tick's time), on `targetId` when given; null when no entity is free. */
  trigger(kind: IncidentKind, targetId?: string): Incident | null;
  /** Incidents in progress. */
  incidents(): readonly Incident[];
}

/** Highest entity count; beyond it extra rate makes each entity report more often. */
export const MAX_ENTITIES = 20_000;
/** Reports per second of a weight-1 entity before synthetic sensors are added. */
const HZ_PER_WEIGHT = 2;
/** A late timer or a stalled transport is caught up by at most this much traffic. */
const MAX_CATCH_UP_MS = 2_000;
/** SenML devices send a JSON message with their tags this often, so the console learns their names. */
const TAGS_EVERY_MS = 60_000;
const DEFAULT_INCIDENT_EVERY = 180_000;
const DEFAULT_TICK_MS = 200;

/** Number of synthetic air sensors (`aq-x00001`…) needed so `rate` obs/s keep every device at a plausible pace. */
export function syntheticCount(rate: number): number {
  let weight = 0;
  let count = 0;
  for (const kind of Object.keys(BASE_COUNTS) as Kind[]) {
    weight += BASE_COUNTS[kind] * WEIGHTS[kind];
    count += BASE_COUNTS[kind];
  }
  if (rate <= weight * HZ_PER_WEIGHT) return 0;
  return Math.max(0, Math.min(MAX_ENTITIES - count, Math.ceil(rate / HZ_PER_WEIGHT - weight)));
}

interface Slot {
  entity: SimEntity;
  wire: WireParts;
  domain: number;
  /** Observations due per ms. */
  perMs: number;
  credit: number;
  tagsAt: number;
}

/** Creates the demo-city simulator: a deterministic (by seed) stream of observations for all four domains. */
export function createSimulator(options: SimulatorOptions): Simulator {
  const rate = options.rate;
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`simulator rate must be a positive number, got ${rate}`);
  const httpShare = Math.min(1, Math.max(0, options.httpShare || 0));
  const root = options.topicRoot ?? DEFAULT_TOPIC_ROOT;
  const clock = options.now ?? Date.now;
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  const onError = options.onError ?? (() => undefined);
  const transport = options.transport;
  const useHttp = httpShare > 0 && typeof transport.postHttp === 'function';

  const wards = options.wards ?? [];
  const city = buildCity(options.seed, syntheticCount(rate), wards);
  const incidents = createIncidents(city, options.seed, options.incidentEvery ?? DEFAULT_INCIDENT_EVERY);
  const domains = [...new Set(city.entities.map((e) => e.domain))];
  const counters: Counters = { published: 0, httpPosted: 0, messages: 0, errors: 0 };
  const fail = (err: Error): void => onError(err);
  const out = createOutput(
    transport,
    domains.map((d) => `${root}/${d}`),
    counters,
    fail,
  );

  const totalWeight = city.entities.reduce((sum, e) => sum + e.weight, 0);
  const stagger = createRandom(streamSeed(options.seed, 4));
  const slots: Slot[] = city.entities.map((entity) => ({
    entity,
    wire: wireParts(entity, root),
    domain: domains.indexOf(entity.domain),
    perMs: (rate * entity.weight) / totalWeight / 1000,
    credit: stagger.next(),
    tagsAt: -Infinity,
  }));

  const streams =
    options.eventStreams !== true
      ? undefined
      : createEventStreams(
          options.seed,
          root,
          options.camerasTopic,
          wards.map((w) => w.name),
        );
  const dossierBackfill = options.dossierBackfill ?? 3 * 86_400_000;

  let httpCredit = 0;
  let last: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<void> | undefined;

  const emit = (slot: Slot, ts: number): void => {
    const { entity: e, wire: w } = slot;
    if (useHttp) {
      httpCredit += httpShare;
      if (httpCredit >= 1) {
        httpCredit -= 1;
        out.http(toObservation(e, ts));
        return;
      }
    }
    switch (e.format) {
      case 'json':
        out.device(w.topic, encodeJson(e, w, ts));
        return;
      case 'senml':
        if (ts - slot.tagsAt >= TAGS_EVERY_MS) {
          slot.tagsAt = ts;
          out.device(w.topic, encodeJson(e, w, ts));
        } else {
          out.device(w.topic, encodeSenml(e, w, ts));
        }
        return;
      case 'batch':
        out.batchItem(slot.domain, encodeBatchItem(e, w, ts));
        return;
      case 'line':
        out.line(slot.domain, encodeLine(e, w, ts));
        return;
    }
  };

  const tick = async (now: number): Promise<void> => {
    const first = last === undefined;
    const dt = first ? tickMs : Math.min(MAX_CATCH_UP_MS, Math.max(0, now - (last ?? now)));
    const previous = last ?? now - dt;
    last = now;
    incidents.update(now);
    out.begin();
    if (streams) {
      // The first tick also brings the past days' dossiers, so the KPI board starts with a history.
      if (first && dossierBackfill > 0)
        for (const m of streams.between(now - dossierBackfill, previous, true)) out.device(m.topic, m.payload);
      for (const m of streams.between(previous, now)) out.device(m.topic, m.payload);
    }
    for (const slot of slots) {
      slot.credit += slot.perMs * dt;
      if (slot.credit < 1) continue;
      const e = slot.entity;
      if (now < e.silentUntil) {
        slot.credit = 0;
        continue;
      }
      const n = Math.floor(slot.credit);
      slot.credit -= n;
      for (let k = 1; k <= n; k++) {
        const ts = Math.round(now - dt + (k * dt) / n);
        e.step(ts);
        emit(slot, ts);
      }
    }
    await out.flush();
  };

  return {
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        // A tick still waiting on the transport holds the next one back: backpressure, not a pile-up.
        if (running) return;
        running = tick(clock())
          .catch((err: unknown) => {
            counters.errors++;
            fail(err instanceof Error ? err : new Error(String(err)));
          })
          .finally(() => {
            running = undefined;
          });
      }, tickMs);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (running) await running;
    },
    tick,
    stats: () => ({
      ...counters,
      entities: slots.length,
      activeIncidents: incidents.active().map((i) => i.id),
    }),
    entities: () => city.entities,
    trigger: (kind, targetId) => incidents.trigger(kind, last ?? clock(), targetId),
    incidents: () => incidents.active(),
  };
}

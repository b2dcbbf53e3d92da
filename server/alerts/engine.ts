import type { Observation, Rule } from '../../contract/index.js';
import type { ConditionValue } from './conditions/index.js';
import {
  buildIndex,
  compileRule,
  FIRING,
  FLAGS,
  HAS_STATE,
  HEADER,
  HOLDING,
  LAST_TS,
  matches,
  RESTORED,
  SINCE,
  type CompiledRule,
  type DomainIndex,
  type EntityRecord,
} from './rule-index.js';

/** A rule starting or stopping to hold for one entity. */
export interface Transition {
  rule: Rule;
  entityId: string;
  domain: string;
  kind: 'fire' | 'clear';
  value: ConditionValue;
  ts: number;
  lat: number | null;
  lon: number | null;
}

export interface AlertEngineDeps {
  /** Time for `tick()` without an argument. */
  clock: () => number;
  /** Called synchronously for every fire/clear; keep it cheap (the lifecycle batches its own I/O). */
  onTransition(transition: Transition): void;
}

/** An entity known before it reports (so `absent` can fire for one that never does after a restart). */
export interface SeedEntity {
  domain: string;
  id: string;
  ts: number;
  lat?: number | null;
  lon?: number | null;
  tags?: Record<string, string>;
}

export interface EngineStats {
  rules: number;
  /** (rule, entity) pairs with state. */
  states: number;
  firing: number;
  observations: number;
  /** Rule evaluations (one per matching rule per observation, plus timed re-evaluations). */
  evaluations: number;
  /** Observations older than the last one seen for that (rule, entity): ignored for state. */
  outOfOrder: number;
  fired: number;
  cleared: number;
}

export interface AlertEngine {
  /** Replaces the rule set; a rule whose definition is unchanged keeps its per-entity state. */
  setRules(rules: readonly Rule[]): void;
  observe(batch: readonly Observation[]): void;
  /** Re-evaluates what can change with time alone: `absent` conditions and pending `for` durations. */
  tick(now?: number): void;
  seed(entities: readonly SeedEntity[]): void;
  /** Marks (rule, entity) as firing, e.g. for an alert still open after a restart. */
  restoreFiring(ruleId: string, entityId: string, ts: number): void;
  stats(): EngineStats;
}

/**
 * The rule engine. Rules are indexed by domain, then by the fields they read, so an observation costs
 * one entity lookup plus O(1) per rule that can react to it, and nothing for the others. State is
 * per (rule, entity), laid out in one typed array per entity (see rule-index.ts).
 * Out of order: an observation older than the last one seen for that (rule, entity) does not touch
 * the state at all (equal timestamps are applied). `for` is measured on observation timestamps; a
 * pending `for` also completes on `tick(now)` when the condition has held until `now` unopposed.
 * Tags: an observation without tags is matched with the entity's last tags.
 */
export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  let compiled = new Map<string, CompiledRule>();
  let domains = new Map<string, DomainIndex>();
  let timed: CompiledRule[] = [];
  let delayed: CompiledRule[] = [];
  const entities = new Map<string, Map<string, EntityRecord>>();
  let stamp = 0;
  const counters = { observations: 0, evaluations: 0, outOfOrder: 0, fired: 0, cleared: 0 };

  const entitiesOf = (domain: string) => {
    let map = entities.get(domain);
    if (map === undefined) {
      map = new Map();
      entities.set(domain, map);
    }
    return map;
  };

  const recordOf = (index: DomainIndex, id: string): EntityRecord => {
    let record = index.entities.get(id);
    if (record === undefined) {
      record = newRecord(index.width);
      index.entities.set(id, record);
    }
    return record;
  };

  /** Starts the (rule, entity) state when it has none; returns its header offset. */
  const ensureState = (entry: CompiledRule, record: EntityRecord): number => {
    const at = entry.offset;
    const buf = record.buf;
    if (buf[at + FLAGS] === 0) {
      buf[at + FLAGS] = HAS_STATE;
      buf[at + LAST_TS] = -Infinity;
      entry.condition.init(buf, at + HEADER);
    }
    return at;
  };

  const emit = (entry: CompiledRule, entityId: string, record: EntityRecord, kind: 'fire' | 'clear', ts: number) => {
    if (kind === 'fire') counters.fired++;
    else counters.cleared++;
    deps.onTransition({
      rule: entry.rule,
      entityId,
      domain: entry.rule.domain,
      kind,
      value: entry.condition.value(record.buf, entry.offset + HEADER, ts, record),
      ts,
      lat: Number.isNaN(record.lat) ? null : record.lat,
      lon: Number.isNaN(record.lon) ? null : record.lon,
    });
  };

  const step = (entry: CompiledRule, entityId: string, record: EntityRecord, now: number) => {
    counters.evaluations++;
    const buf = record.buf;
    const at = entry.offset;
    let flags = buf[at + FLAGS]!;
    if (flags & RESTORED) {
      if (!entry.condition.known(buf, at + HEADER)) return;
      flags &= ~RESTORED;
      buf[at + FLAGS] = flags;
    }
    const firing = (flags & FIRING) !== 0;
    if (entry.condition.holds(buf, at + HEADER, firing, now, record)) {
      if (firing) return;
      if ((flags & HOLDING) === 0) {
        flags |= HOLDING;
        buf[at + FLAGS] = flags;
        buf[at + SINCE] = now;
      }
      if (now - buf[at + SINCE]! >= entry.forMs) {
        buf[at + FLAGS] = flags | FIRING;
        if (entry.forMs > 0) entry.pending.delete(entityId);
        emit(entry, entityId, record, 'fire', now);
      } else entry.pending.add(entityId);
    } else if (flags & (HOLDING | FIRING)) {
      buf[at + FLAGS] = flags & ~(HOLDING | FIRING);
      if (entry.forMs > 0) entry.pending.delete(entityId);
      if (firing) emit(entry, entityId, record, 'clear', now);
    }
  };

  const visit = (entry: CompiledRule, obs: Observation, record: EntityRecord) => {
    if (entry.visit === stamp) return;
    entry.visit = stamp;
    if ((entry.ids !== null || entry.tags !== null) && !matches(entry, obs.id, record.tags)) return;
    const at = ensureState(entry, record);
    const buf = record.buf;
    if (obs.ts < buf[at + LAST_TS]!) {
      counters.outOfOrder++;
      return;
    }
    buf[at + LAST_TS] = obs.ts;
    entry.condition.update(buf, at + HEADER, obs, record);
    step(entry, obs.id, record, obs.ts);
  };

  return {
    setRules(rules) {
      const next = new Map<string, CompiledRule>();
      for (const rule of rules) {
        const key = JSON.stringify(rule);
        const previous = compiled.get(rule.id);
        next.set(rule.id, previous?.key === key ? previous : compileRule(rule, key));
      }
      compiled = next;
      domains = buildIndex(next.values(), domains, entitiesOf);
      for (const domain of entities.keys()) if (!domains.has(domain)) entities.delete(domain);
      const active = [...next.values()].filter((entry) => entry.rule.enabled);
      timed = active.filter((entry) => entry.condition.reads.timed);
      delayed = active.filter((entry) => entry.forMs > 0 && !entry.condition.reads.timed);
    },

    observe(batch) {
      for (const obs of batch) {
        counters.observations++;
        const index = domains.get(obs.domain);
        if (index === undefined) continue;
        stamp++;
        const record = recordOf(index, obs.id);
        if (obs.tags !== undefined) record.tags = obs.tags;
        if (obs.lat !== undefined && obs.lon !== undefined && obs.ts >= record.positionTs) {
          record.lat = obs.lat;
          record.lon = obs.lon;
          record.positionTs = obs.ts;
        }
        for (const entry of index.any) visit(entry, obs, record);
        if (index.position.length > 0 && obs.lat !== undefined && obs.lon !== undefined) {
          for (const entry of index.position) visit(entry, obs, record);
        }
        for (const field in obs.fields) {
          const entries = index.byField.get(field);
          if (entries !== undefined) for (const entry of entries) visit(entry, obs, record);
        }
      }
    },

    tick(now = deps.clock()) {
      for (const entry of timed) {
        const records = domains.get(entry.rule.domain)?.entities;
        if (records === undefined) continue;
        for (const [entityId, record] of records) {
          if (record.buf[entry.offset + FLAGS]! & HAS_STATE) step(entry, entityId, record, now);
        }
      }
      for (const entry of delayed) {
        const records = domains.get(entry.rule.domain)?.entities;
        for (const entityId of entry.pending) {
          const record = records?.get(entityId);
          if (record === undefined) entry.pending.delete(entityId);
          else if (now - record.buf[entry.offset + SINCE]! >= entry.forMs) step(entry, entityId, record, now);
        }
      }
    },

    seed(list) {
      for (const entity of list) {
        const index = domains.get(entity.domain);
        if (index === undefined) continue;
        const obs: Observation = { domain: entity.domain, id: entity.id, ts: entity.ts, fields: {} };
        if (entity.lat != null && entity.lon != null) {
          obs.lat = entity.lat;
          obs.lon = entity.lon;
        }
        const record = recordOf(index, entity.id);
        if (entity.tags) record.tags = entity.tags;
        if (obs.lat !== undefined && obs.lon !== undefined && entity.ts >= record.positionTs) {
          record.lat = obs.lat;
          record.lon = obs.lon;
          record.positionTs = entity.ts;
        }
        for (const entry of index.any) {
          if (record.buf[entry.offset + FLAGS] !== 0 || !matches(entry, entity.id, record.tags)) continue;
          const at = ensureState(entry, record);
          record.buf[at + LAST_TS] = entity.ts;
          entry.condition.update(record.buf, at + HEADER, obs, record);
        }
      }
    },

    restoreFiring(ruleId, entityId, ts) {
      const entry = compiled.get(ruleId);
      const index = entry === undefined ? undefined : domains.get(entry.rule.domain);
      if (entry === undefined || index === undefined || !entry.rule.enabled) return;
      const record = recordOf(index, entityId);
      const at = ensureState(entry, record);
      const flags = record.buf[at + FLAGS]!;
      if (flags & FIRING) return;
      record.buf[at + FLAGS] = flags | HOLDING | FIRING | RESTORED;
      record.buf[at + SINCE] = ts;
      entry.pending.delete(entityId);
    },

    stats() {
      let states = 0;
      let firing = 0;
      for (const index of domains.values()) {
        for (const record of index.entities.values()) {
          for (const entry of index.rules) {
            const flags = record.buf[entry.offset + FLAGS]!;
            if (flags & HAS_STATE) states++;
            if (flags & FIRING) firing++;
          }
        }
      }
      return { rules: compiled.size, states, firing, ...counters };
    },
  };
}

function newRecord(width: number): EntityRecord {
  return {
    buf: new Float64Array(width),
    tags: undefined,
    strings: undefined,
    lat: Number.NaN,
    lon: Number.NaN,
    positionTs: -Infinity,
  };
}

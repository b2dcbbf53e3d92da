import type { Observation, Rule } from '../../contract/index.js';
import { compileCondition, type CompiledCondition, type ConditionValue } from './conditions/index.js';

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

interface EntityState {
  leaf: unknown;
  /** Latest observation timestamp folded in; older ones are ignored. */
  lastTs: number;
  holding: boolean;
  /** When the condition started holding (for `for`). */
  since: number;
  firing: boolean;
  /** Restored firing without data yet: not cleared until the condition can be judged again. */
  restored: boolean;
  lat: number | null;
  lon: number | null;
}

interface CompiledRule {
  rule: Rule;
  key: string;
  condition: CompiledCondition;
  forMs: number;
  ids: Set<string> | null;
  tags: [string, string][] | null;
  states: Map<string, EntityState>;
  /** Entities holding but not yet firing (waiting out `for`). */
  pending: Set<string>;
  /** Stamp of the last observation that visited this rule (dedup across the field index). */
  visit: number;
}

interface DomainIndex {
  byField: Map<string, CompiledRule[]>;
  position: CompiledRule[];
  any: CompiledRule[];
  needsTags: boolean;
}

/**
 * The rule engine. Rules are indexed by domain, then by the fields they read, so an observation costs
 * O(1) per rule that can react to it and nothing for the others. State is per (rule, entity).
 * Out of order: an observation older than the last one seen for that (rule, entity) does not touch
 * the state at all (equal timestamps are applied). `for` is measured on observation timestamps; a
 * pending `for` also completes on `tick(now)` when the condition has held until `now` unopposed.
 */
export function createAlertEngine(deps: AlertEngineDeps): AlertEngine {
  let compiled = new Map<string, CompiledRule>();
  let domains = new Map<string, DomainIndex>();
  let timed: CompiledRule[] = [];
  let delayed: CompiledRule[] = [];
  const tagCache = new Map<string, Map<string, Record<string, string>>>();
  let stamp = 0;
  const counters = { observations: 0, evaluations: 0, outOfOrder: 0, fired: 0, cleared: 0 };

  const emit = (entry: CompiledRule, entityId: string, state: EntityState, kind: 'fire' | 'clear', ts: number) => {
    if (kind === 'fire') counters.fired++;
    else counters.cleared++;
    deps.onTransition({
      rule: entry.rule,
      entityId,
      domain: entry.rule.domain,
      kind,
      value: entry.condition.value(state.leaf, ts),
      ts,
      lat: state.lat,
      lon: state.lon,
    });
  };

  const step = (entry: CompiledRule, entityId: string, state: EntityState, now: number) => {
    counters.evaluations++;
    if (state.restored) {
      if (!entry.condition.known(state.leaf)) return;
      state.restored = false;
    }
    if (entry.condition.holds(state.leaf, state.firing, now)) {
      if (!state.holding) {
        state.holding = true;
        state.since = now;
      }
      if (state.firing) return;
      if (now - state.since >= entry.forMs) {
        state.firing = true;
        entry.pending.delete(entityId);
        emit(entry, entityId, state, 'fire', now);
      } else entry.pending.add(entityId);
    } else {
      if (state.holding) {
        state.holding = false;
        entry.pending.delete(entityId);
      }
      if (state.firing) {
        state.firing = false;
        emit(entry, entityId, state, 'clear', now);
      }
    }
  };

  const stateOf = (entry: CompiledRule, entityId: string): EntityState => {
    let state = entry.states.get(entityId);
    if (state === undefined) {
      state = {
        leaf: entry.condition.init(),
        lastTs: -Infinity,
        holding: false,
        since: 0,
        firing: false,
        restored: false,
        lat: null,
        lon: null,
      };
      entry.states.set(entityId, state);
    }
    return state;
  };

  const visit = (entry: CompiledRule, obs: Observation, tags: Record<string, string> | undefined) => {
    if (entry.visit === stamp) return;
    entry.visit = stamp;
    if (entry.ids !== null && !entry.ids.has(obs.id)) return;
    if (entry.tags !== null && !tagsMatch(entry.tags, tags)) return;
    const state = stateOf(entry, obs.id);
    if (obs.ts < state.lastTs) {
      counters.outOfOrder++;
      return;
    }
    state.lastTs = obs.ts;
    if (obs.lat !== undefined && obs.lon !== undefined) {
      state.lat = obs.lat;
      state.lon = obs.lon;
    }
    entry.condition.update(state.leaf, obs);
    step(entry, obs.id, state, obs.ts);
  };

  const knownTags = (index: DomainIndex, obs: Observation): Record<string, string> | undefined => {
    if (!index.needsTags) return obs.tags;
    let cache = tagCache.get(obs.domain);
    if (cache === undefined) {
      cache = new Map<string, Record<string, string>>();
      tagCache.set(obs.domain, cache);
    }
    if (obs.tags !== undefined) {
      cache.set(obs.id, obs.tags);
      return obs.tags;
    }
    return cache.get(obs.id);
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
      domains = indexByDomain(next.values());
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
        const tags = knownTags(index, obs);
        for (const entry of index.any) visit(entry, obs, tags);
        if (index.position.length > 0 && obs.lat !== undefined && obs.lon !== undefined) {
          for (const entry of index.position) visit(entry, obs, tags);
        }
        for (const field in obs.fields) {
          const entries = index.byField.get(field);
          if (entries !== undefined) for (const entry of entries) visit(entry, obs, tags);
        }
      }
    },

    tick(now = deps.clock()) {
      for (const entry of timed) {
        for (const [entityId, state] of entry.states) step(entry, entityId, state, now);
      }
      for (const entry of delayed) {
        for (const entityId of entry.pending) {
          const state = entry.states.get(entityId);
          if (state !== undefined && now - state.since >= entry.forMs) step(entry, entityId, state, now);
        }
      }
    },

    seed(entities) {
      for (const entity of entities) {
        const index = domains.get(entity.domain);
        if (index === undefined) continue;
        const obs: Observation = { domain: entity.domain, id: entity.id, ts: entity.ts, fields: {} };
        if (entity.lat != null && entity.lon != null) {
          obs.lat = entity.lat;
          obs.lon = entity.lon;
        }
        if (entity.tags) obs.tags = entity.tags;
        const tags = knownTags(index, obs);
        for (const entry of index.any) {
          if (entry.states.has(entity.id)) continue;
          if (entry.ids !== null && !entry.ids.has(entity.id)) continue;
          if (entry.tags !== null && !tagsMatch(entry.tags, tags)) continue;
          const state = stateOf(entry, entity.id);
          state.lastTs = entity.ts;
          state.lat = obs.lat ?? null;
          state.lon = obs.lon ?? null;
          entry.condition.update(state.leaf, obs);
        }
      }
    },

    restoreFiring(ruleId, entityId, ts) {
      const entry = compiled.get(ruleId);
      if (entry === undefined) return;
      const state = stateOf(entry, entityId);
      if (state.firing) return;
      state.firing = true;
      state.holding = true;
      state.since = ts;
      state.restored = true;
      entry.pending.delete(entityId);
    },

    stats() {
      let states = 0;
      let firing = 0;
      for (const entry of compiled.values()) {
        states += entry.states.size;
        for (const state of entry.states.values()) if (state.firing) firing++;
      }
      return { rules: compiled.size, states, firing, ...counters };
    },
  };
}

function compileRule(rule: Rule, key: string): CompiledRule {
  const tags = rule.match?.tags ? Object.entries(rule.match.tags) : [];
  return {
    rule,
    key,
    condition: compileCondition(rule.condition),
    forMs: rule.for ?? 0,
    ids: rule.match?.ids ? new Set(rule.match.ids) : null,
    tags: tags.length > 0 ? tags : null,
    states: new Map(),
    pending: new Set(),
    visit: 0,
  };
}

function indexByDomain(entries: Iterable<CompiledRule>): Map<string, DomainIndex> {
  const domains = new Map<string, DomainIndex>();
  for (const entry of entries) {
    if (!entry.rule.enabled) continue;
    let index = domains.get(entry.rule.domain);
    if (index === undefined) {
      index = { byField: new Map(), position: [], any: [], needsTags: false };
      domains.set(entry.rule.domain, index);
    }
    if (entry.tags !== null) index.needsTags = true;
    const reads = entry.condition.reads;
    if (reads.any) {
      index.any.push(entry);
      continue;
    }
    if (reads.position) index.position.push(entry);
    for (const field of reads.fields) {
      const list = index.byField.get(field);
      if (list) list.push(entry);
      else index.byField.set(field, [entry]);
    }
  }
  return domains;
}

function tagsMatch(wanted: readonly [string, string][], tags: Record<string, string> | undefined): boolean {
  if (tags === undefined) return false;
  for (const [key, value] of wanted) if (tags[key] !== value) return false;
  return true;
}

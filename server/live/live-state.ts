import { entityKey, type Entity, type EntityStatus, type Observation } from '../../contract/index.js';

/** Latest state per entity, with the set of keys changed since the last `takeDirty()`. */
export interface LiveState {
  apply(batch: readonly Observation[]): void;
  get(key: string): Entity | undefined;
  all(): IterableIterator<Entity>;
  size(): number;
  countByDomainAndStatus(): Record<string, Record<EntityStatus, number>>;
  /**
   * Keys changed since the previous call, at most `limit` of them (the longest waiting first; the rest
   * stay for the next call); the caller owns the returned set.
   */
  takeDirty(limit?: number): Set<string>;
  /** Marks entities silent for longer than their domain allows as stale; returns how many changed. */
  markStale(now: number): number;
  /** Raises or lowers the number of open alerts on an entity (status 'alert' while above zero). */
  setAlertCount(domain: string, id: string, openAlerts: number): void;
  /** Seeds state from the store at start-up (entities keep their stored time; staleness applies). */
  seed(observations: readonly Observation[], lastSeen: (obs: Observation) => number): void;
}

interface Tracked {
  /** "domain/id", built once when the entity first arrives. */
  key: string;
  entity: Entity;
  /** Server time of the last observation, so device clock skew cannot make an entity look stale or live. */
  lastSeen: number;
  openAlerts: number;
}

/** Creates the in-memory live state; `staleAfter(domain)` gives each domain's silence limit in ms. */
export function createLiveState(staleAfter: (domain: string) => number, clock: () => number = Date.now): LiveState {
  // By domain, then id: an observation finds its entity without a "domain/id" string built and hashed
  // per observation (that fresh string's hash costs more than the lookup; docs/PERFORMANCE.md).
  const tracked = new Map<string, Map<string, Tracked>>();
  // And by key, for `get`: the delta tick looks up every dirty key, with the very strings (hash already
  // computed) this state put in the dirty set.
  const byKey = new Map<string, Tracked>();
  let dirty = new Set<string>();

  const find = (domain: string, id: string) => tracked.get(domain)?.get(id);

  const statusOf = (t: Tracked, now: number): EntityStatus => {
    if (t.openAlerts > 0) return 'alert';
    return now - t.lastSeen > staleAfter(t.entity.domain) ? 'stale' : 'ok';
  };

  const merge = (obs: Observation, seenAt: number, now: number) => {
    let byId = tracked.get(obs.domain);
    if (byId === undefined) {
      byId = new Map();
      tracked.set(obs.domain, byId);
    }
    let t = byId.get(obs.id);
    if (!t) {
      t = {
        key: entityKey(obs.domain, obs.id),
        entity: { domain: obs.domain, id: obs.id, ts: obs.ts, lat: null, lon: null, fields: {}, status: 'ok' },
        lastSeen: seenAt,
        openAlerts: 0,
      };
      byId.set(obs.id, t);
      byKey.set(t.key, t);
    } else if (obs.ts < t.entity.ts) {
      // Out-of-order: an older reading never overwrites a newer one in the live view.
      return;
    }
    const e = t.entity;
    e.ts = obs.ts;
    if (obs.lat !== undefined && obs.lon !== undefined) {
      e.lat = obs.lat;
      e.lon = obs.lon;
    }
    Object.assign(e.fields, obs.fields);
    if (obs.tags) e.tags = e.tags ? Object.assign(e.tags, obs.tags) : { ...obs.tags };
    t.lastSeen = Math.max(t.lastSeen, seenAt);
    e.status = statusOf(t, now);
    dirty.add(t.key);
  };

  return {
    apply(batch) {
      const now = clock();
      for (const obs of batch) merge(obs, now, now);
    },
    seed(observations, lastSeen) {
      const now = clock();
      for (const obs of observations) merge(obs, lastSeen(obs), now);
    },
    get: (key) => byKey.get(key)?.entity,
    *all() {
      for (const t of byKey.values()) yield t.entity;
    },
    size: () => byKey.size,
    countByDomainAndStatus() {
      const counts: Record<string, Record<EntityStatus, number>> = {};
      for (const t of byKey.values()) {
        const c = (counts[t.entity.domain] ??= { ok: 0, stale: 0, alert: 0 });
        c[t.entity.status] += 1;
      }
      return counts;
    },
    takeDirty(limit = Infinity) {
      if (dirty.size <= limit) {
        const taken = dirty;
        dirty = new Set();
        return taken;
      }
      // A Set iterates in insertion order and a key changed again keeps its place: the keys left behind
      // are the newest, and none waits longer than (dirty keys ÷ limit) calls.
      const taken = new Set<string>();
      for (const key of dirty) {
        if (taken.size >= limit) break;
        taken.add(key);
        dirty.delete(key);
      }
      return taken;
    },
    markStale(now) {
      let changed = 0;
      for (const t of byKey.values()) {
        const status = statusOf(t, now);
        if (status !== t.entity.status) {
          t.entity.status = status;
          dirty.add(t.key);
          changed += 1;
        }
      }
      return changed;
    },
    setAlertCount(domain, id, openAlerts) {
      const t = find(domain, id);
      if (!t) return;
      t.openAlerts = Math.max(0, openAlerts);
      const status = statusOf(t, clock());
      if (status !== t.entity.status) {
        t.entity.status = status;
        dirty.add(t.key);
      }
    },
  };
}

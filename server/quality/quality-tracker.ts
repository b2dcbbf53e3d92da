import type { Entity, Observation, QualityDomain, QualityEntity, QualityQuery, QualityReject, QualityResponse, QualityStatus } from '../../contract/index.js';
import { findLies, type LieOptions } from './sensor-lies.js';
import type { IngestRejection } from '../../ingest/sink.js';

/*
 * Is our data correct, complete, clean and live? Per domain and entity: who reports, who went stale
 * or silent, how often each reports, how late observations arrive (receive time − observation
 * time), and what was refused and why. Fed by the pipeline (accepted observations) and the ingest
 * refusal hook; memory is bounded per entity and per domain.
 */

export interface QualityTrackerOptions {
  /** Window rates and lags are computed over (ms). */
  window: number;
  /** Heard from before, but not for this long: silent. */
  silentAfter: number;
  /** Latest refused inputs kept per domain and reason. */
  examples: number;
  staleAfter: (domain: string) => number;
  /** The zone (ward) at a point, `city` outside every zone. */
  zoneOf: (lat: number | null, lon: number | null) => string;
  lies: LieOptions;
}

export interface QualityTracker {
  observe(batch: readonly Observation[], now?: number): void;
  rejected(rejection: IngestRejection): void;
  report(query: QualityQuery, entities: Iterable<Entity>, domains: readonly string[], now: number): QualityResponse;
}

const MINUTE = 60_000;
/** Lags kept per entity and per domain for the p95 (the latest ones). */
const ENTITY_LAGS = 32;
const DOMAIN_LAGS = 2048;
/** Distinct reasons kept per domain; the rest are counted under one line. */
const MAX_REASONS = 50;
const OTHER_REASONS = 'other reasons (too many distinct ones to list)';

/** A ring of recent values, for percentiles over the latest samples. */
class LagRing {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    this.filled = Math.min(this.filled + 1, this.values.length);
  }
  p95(): number | null {
    if (this.filled === 0) return null;
    const sorted = Array.from(this.values.subarray(0, this.filled)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? null;
  }
}

/** Counts per minute over the window, in a ring of minute slots. */
class MinuteCounts {
  private readonly counts: Uint32Array;
  private readonly minutes: Float64Array;
  constructor(slots: number) {
    this.counts = new Uint32Array(slots);
    this.minutes = new Float64Array(slots).fill(-1);
  }
  add(now: number, n: number): void {
    const minute = Math.floor(now / MINUTE);
    const slot = minute % this.counts.length;
    if (this.minutes[slot] !== minute) {
      this.minutes[slot] = minute;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += n;
  }
  /** Total over the slots inside the window ending at `now`. */
  total(now: number): number {
    const oldest = Math.floor(now / MINUTE) - this.counts.length + 1;
    let sum = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.minutes[i]! >= oldest) sum += this.counts[i]!;
    return sum;
  }
}

interface EntityStats {
  lastReceived: number;
  received: MinuteCounts;
  lags: LagRing;
  /** Per numeric field: its value and since when it has had it (stuck-value check). */
  unchanged: Map<string, { value: number; since: number }>;
}

interface DomainStats {
  received: MinuteCounts;
  lags: LagRing;
  rejected: number;
  reasons: Map<string, { count: number; latest: QualityReject['latest'] }>;
}

/** Numbers vary between messages with the same fault ("payload of 1200 bytes…"): group them as one reason. */
export function reasonClass(error: string): string {
  return error.replace(/\b\d+(\.\d+)?\b/g, 'N').slice(0, 200);
}

export function createQualityTracker(options: QualityTrackerOptions): QualityTracker {
  const slots = Math.max(1, Math.ceil(options.window / MINUTE));
  // By domain, then by id.
  const entities = new Map<string, Map<string, EntityStats>>();
  const domains = new Map<string, DomainStats>();
  let startedAt: number | undefined;

  const domainStats = (domain: string): DomainStats => {
    let stats = domains.get(domain);
    if (!stats) {
      stats = { received: new MinuteCounts(slots), lags: new LagRing(DOMAIN_LAGS), rejected: 0, reasons: new Map() };
      domains.set(domain, stats);
    }
    return stats;
  };

  const entitiesOf = (domain: string): Map<string, EntityStats> => {
    let byId = entities.get(domain);
    if (!byId) {
      byId = new Map();
      entities.set(domain, byId);
    }
    return byId;
  };
  const entityStats = (domain: string, id: string) => entities.get(domain)?.get(id);

  const statusOf = (domain: string, lastSeen: number, now: number): QualityStatus => {
    const silentFor = now - lastSeen;
    if (silentFor > options.silentAfter) return 'silent';
    return silentFor > options.staleAfter(domain) ? 'stale' : 'reporting';
  };

  return {
    observe(batch, now = Date.now()) {
      startedAt ??= now;
      // Observations come in runs of one domain: its maps are looked up once per run, and an entity by its
      // id alone (no "domain/id" string built per observation).
      let domainName: string | undefined;
      let domain: DomainStats | undefined;
      let byId: Map<string, EntityStats> | undefined;
      let domainCount = 0;
      for (const obs of batch) {
        if (obs.domain !== domainName) {
          domain?.received.add(now, domainCount);
          domainName = obs.domain;
          domain = domainStats(domainName);
          byId = entitiesOf(domainName);
          domainCount = 0;
        }
        let stats = byId!.get(obs.id);
        if (!stats) {
          stats = { lastReceived: now, received: new MinuteCounts(slots), lags: new LagRing(ENTITY_LAGS), unchanged: new Map() };
          byId!.set(obs.id, stats);
        }
        // A device clock ahead of ours shows as no lag, not a negative one.
        const lag = Math.max(0, now - obs.ts);
        stats.lastReceived = now;
        stats.received.add(now, 1);
        for (const field in obs.fields) {
          const value = obs.fields[field];
          if (typeof value !== 'number') continue;
          const held = stats.unchanged.get(field);
          // Updated in place: a new object per changing field per observation was a steady stream of garbage.
          if (held === undefined) stats.unchanged.set(field, { value, since: obs.ts });
          else if (held.value !== value) {
            held.value = value;
            held.since = obs.ts;
          }
        }
        stats.lags.push(lag);
        domainCount += 1;
        domain!.lags.push(lag);
      }
      domain?.received.add(now, domainCount);
    },

    rejected(rejection) {
      const stats = domainStats(rejection.domain);
      for (const { index, error } of rejection.errors) {
        stats.rejected += 1;
        let reason = reasonClass(error);
        if (!stats.reasons.has(reason) && stats.reasons.size >= MAX_REASONS) reason = OTHER_REASONS;
        const entry = stats.reasons.get(reason) ?? { count: 0, latest: [] };
        entry.count += 1;
        entry.latest.unshift({ at: rejection.at, source: rejection.source, example: `${index > 0 ? `item ${index}: ` : ''}${error} — ${rejection.example}` });
        if (entry.latest.length > options.examples) entry.latest.length = options.examples;
        stats.reasons.set(reason, entry);
      }
    },

    report(query, liveEntities, known, now) {
      const wanted = [...liveEntities].filter((entity) => query.domain === undefined || entity.domain === query.domain);
      const flagsOf = findLies(wanted, (entity) => entityStats(entity.domain, entity.id)?.unchanged, options.lies, now);
      // Rates over the minutes actually watched: a node started five minutes ago has five minutes of counts.
      const minutes = Math.min(slots, Math.max(1, (now - (startedAt ?? now)) / MINUTE));
      const byDomain = new Map<string, QualityEntity[]>();
      for (const entity of wanted) {
        const stats = entityStats(entity.domain, entity.id);
        // Entities seeded from the store at start have no receive time here: their own time stands in.
        const lastSeen = stats?.lastReceived ?? entity.ts;
        const list = byDomain.get(entity.domain) ?? [];
        const flags = flagsOf.get(`${entity.domain}/${entity.id}`);
        list.push({
          id: entity.id,
          zone: options.zoneOf(entity.lat, entity.lon),
          ...(flags ? { flags } : {}),
          status: statusOf(entity.domain, lastSeen, now),
          lastSeen,
          receivedPerMinute: stats ? round(stats.received.total(now) / minutes) : 0,
          lagP95Ms: stats?.lags.p95() ?? null,
        });
        byDomain.set(entity.domain, list);
      }
      const rank: Record<QualityStatus, number> = { silent: 0, stale: 1, reporting: 2 };
      const flagged = (e: QualityEntity) => (e.flags ? 1 : 0);
      const names = query.domain !== undefined ? [query.domain] : [...new Set([...known, ...domains.keys(), ...byDomain.keys()])];
      const out: QualityDomain[] = names.map((domain) => {
        const list = byDomain.get(domain) ?? [];
        const stats = domains.get(domain);
        const count = (status: QualityStatus) => list.filter((e) => e.status === status).length;
        list.sort(
          (a, b) => rank[a.status] - rank[b.status] || flagged(b) - flagged(a) || (b.lagP95Ms ?? 0) - (a.lagP95Ms ?? 0) || a.lastSeen - b.lastSeen,
        );
        const byZone = new Map<string, { zone: string; reporting: number; stale: number; silent: number; flagged: number }>();
        for (const e of list) {
          const zone = byZone.get(e.zone) ?? { zone: e.zone, reporting: 0, stale: 0, silent: 0, flagged: 0 };
          zone[e.status] += 1;
          zone.flagged += flagged(e);
          byZone.set(e.zone, zone);
        }
        const rejects = [...(stats?.reasons ?? new Map<string, { count: number; latest: QualityReject['latest'] }>())]
          .map(([reason, { count, latest }]) => ({ reason, count, latest }))
          .sort((a, b) => b.count - a.count);
        return {
          domain,
          reporting: count('reporting'),
          stale: count('stale'),
          silent: count('silent'),
          flagged: list.filter((e) => e.flags).length,
          zones: [...byZone.values()].sort((a, b) => a.zone.localeCompare(b.zone)),
          receivedPerMinute: stats ? round(stats.received.total(now) / minutes) : 0,
          lagP95Ms: stats?.lags.p95() ?? null,
          rejected: stats?.rejected ?? 0,
          rejects,
          entities: list.slice(0, query.limit),
        };
      });
      return { asOf: now, windowMs: slots * MINUTE, domains: out };
    },
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

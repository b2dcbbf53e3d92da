import type { Entity, Kpi, KpisResponse, Observation } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { TelemetryStore } from '../store/types.js';
import {
  KPI_DEFINITIONS,
  kpiStatus,
  type DossierTally,
  type KpiDefinition,
  type ReportTally,
} from './kpi-definitions.js';

export interface KpiServiceOptions {
  store: Pick<TelemetryStore, 'scan'>;
  entities: () => Iterable<Entity>;
  zoneName: (lat: number | null, lon: number | null) => string;
  /** Window of the dossier tally (ms). */
  dossierWindow: number;
  trendStep: number;
  trendSteps: number;
  targets: Record<string, number>;
  logger: Pick<Logger, 'warn'>;
  clock?: () => number;
  definitions?: readonly KpiDefinition[];
}

export interface KpiService {
  /** Hears accepted observations: a new dossier event makes the next board recount. */
  observe(batch: readonly Observation[]): void;
  /** The board now; the dossier tally is at most `TALLY_MAX_AGE_MS` old. */
  current(): Promise<KpisResponse>;
  /** Takes one trend sample now (the timer does it every trend step). */
  sample(): Promise<void>;
  start(): void;
  stop(): void;
  /** Where the citizen-report KPIs come from (set once reports are running; counted over the dossier window). */
  useReports(stats: (from: number, to: number) => Promise<ReportTally>): void;
}

/** A dossier tally is a store scan over weeks: one per half minute serves every wall and console. */
const TALLY_MAX_AGE_MS = 30_000;
/** A dossier event reaches the store within this after it was accepted (the writers' flush interval and then some). */
const STORE_SETTLE_MS = 1_500;

const EMPTY_TALLY: DossierTally = {
  received: 0,
  receivedOnline: 0,
  completed: 0,
  completedOnTime: 0,
  rated: 0,
  satisfied: 0,
  overdueOpen: 0,
};

/** Tallies `dossier` events (`event: received|completed`, `due`, `online`, `rating`) of a window. */
export function tallyDossiers(events: Iterable<Observation>, now: number): DossierTally {
  const tally = { ...EMPTY_TALLY };
  const open = new Map<string, number | undefined>();
  const done = new Set<string>();
  const receivedIds = new Set<string>();
  for (const obs of events) {
    const due = typeof obs.fields.due === 'number' ? obs.fields.due : undefined;
    // A dossier counts once per event, however often a sender repeats it (retries, a replayed backlog).
    if (obs.fields.event === 'received') {
      if (receivedIds.has(obs.id)) continue;
      receivedIds.add(obs.id);
      tally.received += 1;
      if (obs.fields.online === true) tally.receivedOnline += 1;
      if (!done.has(obs.id)) open.set(obs.id, due);
    } else if (obs.fields.event === 'completed') {
      if (done.has(obs.id)) continue;
      tally.completed += 1;
      const dueAt = due ?? open.get(obs.id);
      if (dueAt !== undefined && obs.ts <= dueAt) tally.completedOnTime += 1;
      const rating = obs.fields.rating;
      if (typeof rating === 'number' && rating >= 1 && rating <= 5) {
        tally.rated += 1;
        if (rating >= 4) tally.satisfied += 1;
      }
      open.delete(obs.id);
      done.add(obs.id);
    }
  }
  for (const due of open.values()) if (due !== undefined && due < now) tally.overdueOpen += 1;
  return tally;
}

/** The KPI board: values from the live entities and the dossier tally, with a sparkline per KPI. */
export function createKpiService(options: KpiServiceOptions): KpiService {
  const clock = options.clock ?? Date.now;
  const definitions = options.definitions ?? KPI_DEFINITIONS;
  const trends = new Map<string, (number | null)[]>();
  let tally: { at: number; value: Promise<DossierTally> } | undefined;
  let lastDossierEvent = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  const dossierTally = (now: number): Promise<DossierTally> => {
    // Recount when the tally is old, or when it began before the latest dossier event had settled in the store.
    if (tally && now - tally.at < TALLY_MAX_AGE_MS && tally.at >= lastDossierEvent + STORE_SETTLE_MS)
      return tally.value;
    const value = (async () => {
      const events: Observation[] = [];
      for await (const chunk of options.store.scan({
        from: now - options.dossierWindow,
        to: now,
        domains: ['dossier'],
      }))
        events.push(...chunk);
      // The store scans entity by entity; the tally needs time order to pair received with completed.
      events.sort((a, b) => a.ts - b.ts);
      return tallyDossiers(events, now);
    })().catch((err: unknown) => {
      options.logger.warn('dossier tally failed; the dossier KPIs show no data', { error: (err as Error).message });
      tally = undefined;
      return EMPTY_TALLY;
    });
    tally = { at: now, value };
    return value;
  };

  let reportStats: ((from: number, to: number) => Promise<ReportTally>) | undefined;
  let reportCache: { at: number; tally: ReportTally } | undefined;
  const reportTally = async (now: number): Promise<ReportTally | undefined> => {
    if (!reportStats) return undefined;
    // A state-store scan: one per half minute serves every wall, like the dossier tally.
    if (reportCache && now - reportCache.at < TALLY_MAX_AGE_MS) return reportCache.tally;
    try {
      reportCache = { at: now, tally: await reportStats(now - options.dossierWindow, now) };
      return reportCache.tally;
    } catch (err) {
      options.logger.warn('citizen report tally failed; the report KPIs show no data', {
        error: (err as Error).message,
      });
      return undefined;
    }
  };

  const compute = async (now: number): Promise<Kpi[]> => {
    const byDomain = new Map<string, Entity[]>();
    for (const entity of options.entities()) {
      const list = byDomain.get(entity.domain) ?? [];
      list.push(entity);
      byDomain.set(entity.domain, list);
    }
    const reports = await reportTally(now);
    const inputs = {
      byDomain,
      dossiers: await dossierTally(now),
      zoneName: options.zoneName,
      ...(reports ? { reports } : {}),
    };
    return definitions.map((def) => {
      const { value, detail } = def.compute(inputs);
      const target = options.targets[def.id] ?? def.target;
      return {
        id: def.id,
        group: def.group,
        name: def.name,
        value,
        unit: def.unit,
        ...(target !== undefined ? { target } : {}),
        better: def.better,
        status: kpiStatus(value, target, def.better),
        ...(detail ? { detail } : {}),
      };
    });
  };

  const sample = async () => {
    for (const kpi of await compute(clock())) {
      const trend = trends.get(kpi.id) ?? [];
      trend.push(kpi.value);
      if (trend.length > options.trendSteps) trend.splice(0, trend.length - options.trendSteps);
      trends.set(kpi.id, trend);
    }
  };

  return {
    useReports(stats) {
      reportStats = stats;
    },
    observe(batch) {
      if (batch.some((obs) => obs.domain === 'dossier')) lastDossierEvent = clock();
    },
    async current() {
      const now = clock();
      const kpis = (await compute(now)).map((kpi) => {
        // The sparkline ends with the value shown, so the two never disagree.
        const trend = [...(trends.get(kpi.id) ?? []), kpi.value].slice(-options.trendSteps);
        return { ...kpi, trend };
      });
      return { asOf: now, trendStep: options.trendStep, kpis };
    },
    sample,
    start() {
      timer = setInterval(() => {
        sample().catch((err: unknown) =>
          options.logger.warn('KPI trend sample failed', { error: (err as Error).message }),
        );
      }, options.trendStep);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

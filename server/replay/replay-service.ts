import {
  DEFAULT_STALE_AFTER_MS,
  entityKey,
  inBbox,
  type Alert,
  type Bbox,
  type Entity,
  type Observation,
  type ReplayAlertEvent,
  type ReplayFirstFrame,
  type ReplayFrame,
  type ReplayState,
} from '../../contract/index.js';
import type { StateStore } from '../state/types.js';
import type { TelemetryStore } from '../store/types.js';
import { alertAt, alertEvents, alertTimeline, openAt } from './alert-history.js';
import { MinHeap } from './min-heap.js';
import { ScanCursor } from './scan-cursor.js';

/** Entities silent for longer than this before the replayed time are left out (7 days, ms). */
export const REPLAY_LOOKBACK_MS = 7 * 86_400_000;
/**
 * Alerts that started within this long before the replayed time are all read (30 days, ms); older
 * ones only when they may still have been open then (`loadAlertsOpenAt`), so a long-running alert
 * still shows while each read stays bounded.
 */
export const REPLAY_ALERT_LOOKBACK_MS = 30 * 86_400_000;
/** Observations per chunk read from the telemetry store's scan. */
export const REPLAY_SCAN_CHUNK = 5000;

export interface ReplayServiceDeps {
  telemetry: Pick<TelemetryStore, 'latest' | 'scan'>;
  state: Pick<StateStore, 'loadAlerts' | 'loadAlertsOpenAt'>;
  /** Each configured domain's silence limit (ms) before an entity shows as stale. */
  domains: Record<string, { staleAfter: number }>;
}

/** Which part of the city a replay shows: these domains, and only entities inside `bbox` when given. */
export interface ReplayScope {
  layers: readonly string[];
  bbox?: Bbox;
}

export interface ReplayService {
  /** Every entity and the open alerts as they were at `at`. */
  stateAt(at: number, scope: ReplayScope): Promise<ReplayState>;
  /** The full state at `from`, then one frame per step up to `to` with only what changed (one scan of the window). */
  frames(from: number, to: number, step: number, scope: ReplayScope): AsyncGenerator<ReplayFirstFrame | ReplayFrame>;
  /** Alert lifecycle events in [from, to], oldest first. */
  alertEvents(from: number, to: number): Promise<ReplayAlertEvent[]>;
}

/** An entity's running state while replaying: merged fields, last position, last observation time. */
interface Tracked {
  domain: string;
  id: string;
  ts: number;
  lat: number | null;
  lon: number | null;
  fields: Entity['fields'];
  tags?: Entity['tags'];
  /** Bumped by every observation merged in: with the status, what tells a frame whether the entity changed. */
  version: number;
}

const STATUS_CODE: Record<Entity['status'], number> = { ok: 0, stale: 1, alert: 2 };

/** What the answer shows of an entity, as one number: its version and status. */
function signatureOf(t: Tracked, entity: Entity): number {
  return t.version * 3 + STATUS_CODE[entity.status];
}

/** Replay: the city at a past time and its changes over a window, from the telemetry and state stores. */
export function createReplayService({ telemetry, state, domains }: ReplayServiceDeps): ReplayService {
  const staleAfter = (domain: string) => domains[domain]?.staleAfter ?? DEFAULT_STALE_AFTER_MS;

  /** The entity as the answer shows it at `at`, or undefined when it is out of the answer. */
  function entityAt(
    t: Tracked,
    at: number,
    openAlerts: (key: string) => boolean,
    scope: ReplayScope,
  ): Entity | undefined {
    if (t.ts > at || at - t.ts > REPLAY_LOOKBACK_MS) return undefined;
    if (scope.bbox && !inBbox(scope.bbox, t.lat, t.lon)) return undefined;
    const key = entityKey(t.domain, t.id);
    const status = openAlerts(key) ? 'alert' : at - t.ts > staleAfter(t.domain) ? 'stale' : 'ok';
    return {
      domain: t.domain,
      id: t.id,
      ts: t.ts,
      lat: t.lat,
      lon: t.lon,
      fields: { ...t.fields },
      ...(t.tags ? { tags: { ...t.tags } } : {}),
      status,
    };
  }

  /** Alerts of the scope's layers; with a bbox, those placed inside it or on an entity of the answer. */
  function alertInScope(alert: Alert, scope: ReplayScope, shown: (key: string) => boolean): boolean {
    if (!scope.layers.includes(alert.domain)) return false;
    if (!scope.bbox) return true;
    return inBbox(scope.bbox, alert.lat ?? null, alert.lon ?? null) || shown(entityKey(alert.domain, alert.entityId));
  }

  /** The alerts that matter at `at` and after: every recent one, and older ones that may still have been open. */
  async function loadAlertsAround(at: number): Promise<Alert[]> {
    const since = Math.max(0, at - REPLAY_ALERT_LOOKBACK_MS);
    const [recent, longRunning] = await Promise.all([state.loadAlerts(since), state.loadAlertsOpenAt(at, since)]);
    const ids = new Set(recent.map((a) => a.id));
    return [...longRunning.filter((a) => !ids.has(a.id)), ...recent];
  }

  async function initial(at: number, scope: ReplayScope) {
    const [observations, alerts] = await Promise.all([
      telemetry.latest({ at, lookback: REPLAY_LOOKBACK_MS, domains: [...scope.layers] }),
      loadAlertsAround(at),
    ]);
    const tracked = new Map<string, Tracked>();
    for (const o of observations) tracked.set(entityKey(o.domain, o.id), toTracked(o));
    const byEntity = groupByEntity(alerts);
    const openAlerts = (key: string, t: number) => (byEntity.get(key) ?? []).some((a) => openAt(a, t));
    const entities: Entity[] = [];
    for (const t of tracked.values()) {
      const e = entityAt(t, at, (key) => openAlerts(key, at), scope);
      if (e) entities.push(e);
    }
    const shownKeys = new Set(entities.map((e) => entityKey(e.domain, e.id)));
    const open: Alert[] = [];
    for (const alert of alerts) {
      const version = alertAt(alert, at);
      if (version && version.state !== 'resolved' && alertInScope(alert, scope, (k) => shownKeys.has(k)))
        open.push(version);
    }
    const state: ReplayState = { at, entities, alerts: open };
    return { state, tracked, alerts, openAlerts };
  }

  return {
    async stateAt(at, scope) {
      return (await initial(at, scope)).state;
    },

    async *frames(from, to, step, scope) {
      const start = await initial(from, scope);
      const { tracked, alerts, openAlerts } = start;
      yield { ts: from, ...start.state };

      // What was last sent per entity key (its signature), to send only what changed. A signature
      // rather than the entity's JSON: comparing JSON cost as much as the scan itself.
      const sent = new Map<string, number>();
      for (const e of start.state.entities) {
        const key = entityKey(e.domain, e.id);
        sent.set(key, signatureOf(tracked.get(key)!, e));
      }
      // When an entity may turn stale or leave the lookback without reporting: recheck it then.
      // At most one pending recheck per entity, so the heap stays as small as the entity count.
      const rechecks = new MinHeap<string>();
      const pending = new Set<string>();
      const scheduleRecheck = (key: string, t: Tracked, after: number) => {
        const due = [t.ts + staleAfter(t.domain) + 1, t.ts + REPLAY_LOOKBACK_MS + 1].filter((d) => d > after);
        if (due.length === 0) return;
        rechecks.push(Math.min(...due), key);
        pending.add(key);
      };
      for (const [key, t] of tracked) scheduleRecheck(key, t, from);
      // Alert moves inside the window, oldest first.
      const moves: { at: number; alert: Alert }[] = [];
      for (const alert of alerts) {
        for (const e of alertEvents(alert)) if (e.at > from && e.at <= to) moves.push({ at: e.at, alert });
      }
      moves.sort((a, b) => a.at - b.at);
      let nextMove = 0;

      // Sends an entity when what the answer shows of it changed, or removes it when it left the answer.
      const diff = (ts: number, candidates: Iterable<string>) => {
        const upserts: Entity[] = [];
        const removes: string[] = [];
        for (const key of candidates) {
          const t = tracked.get(key);
          const entity = t && entityAt(t, ts, (k) => openAlerts(k, ts), scope);
          const before = sent.get(key);
          if (!t || !entity) {
            if (before !== undefined) removes.push(key);
            sent.delete(key);
            continue;
          }
          const signature = signatureOf(t, entity);
          if (signature !== before) {
            sent.set(key, signature);
            upserts.push(entity);
          }
        }
        return { upserts, removes };
      };

      const cursor = new ScanCursor(
        telemetry.scan({ from: from + 1, to, domains: [...scope.layers], chunkSize: REPLAY_SCAN_CHUNK }),
      );
      try {
        const steps = Math.ceil((to - from) / step);
        for (let k = 1; k <= steps; k++) {
          const ts = Math.min(from + k * step, to);
          const candidates = new Set<string>();
          await cursor.readUntil(ts, (o) => {
            const key = entityKey(o.domain, o.id);
            const t = tracked.get(key);
            if (t) mergeObservation(t, o);
            else tracked.set(key, toTracked(o));
            if (!pending.has(key)) scheduleRecheck(key, tracked.get(key)!, o.ts);
            candidates.add(key);
          });
          while (rechecks.size > 0 && rechecks.peekKey()! <= ts) {
            const key = rechecks.pop()!;
            pending.delete(key);
            candidates.add(key);
            scheduleRecheck(key, tracked.get(key)!, ts);
          }
          const moved = new Map<string, Alert>();
          while (nextMove < moves.length && moves[nextMove]!.at <= ts) {
            const { alert } = moves[nextMove++]!;
            moved.set(alert.id, alert);
            candidates.add(entityKey(alert.domain, alert.entityId));
          }
          const { upserts, removes } = diff(ts, candidates);
          const frameAlerts: Alert[] = [];
          for (const alert of moved.values()) {
            const version = alertAt(alert, ts);
            if (version && alertInScope(alert, scope, (key) => sent.has(key))) frameAlerts.push(version);
          }
          const frame: ReplayFrame = { ts, upserts, removes, alerts: frameAlerts };
          yield frame;
        }
      } finally {
        await cursor.close();
      }
    },

    async alertEvents(from, to) {
      return alertTimeline(await loadAlertsAround(from), from, to);
    },
  };
}

function toTracked(o: Observation): Tracked {
  return {
    domain: o.domain,
    id: o.id,
    ts: o.ts,
    lat: o.lat ?? null,
    lon: o.lon ?? null,
    fields: { ...o.fields },
    ...(o.tags ? { tags: { ...o.tags } } : {}),
    version: 0,
  };
}

/** Applies a later observation as the stores' latest() does: fields merge, the newest gives ts and tags, the last position stays. */
function mergeObservation(t: Tracked, o: Observation): void {
  t.version += 1;
  t.ts = Math.max(t.ts, o.ts);
  Object.assign(t.fields, o.fields);
  if (o.lat !== undefined && o.lon !== undefined) {
    t.lat = o.lat;
    t.lon = o.lon;
  }
  if (o.tags) t.tags = { ...o.tags };
  else delete t.tags;
}

function groupByEntity(alerts: readonly Alert[]): Map<string, Alert[]> {
  const byEntity = new Map<string, Alert[]>();
  for (const alert of alerts) {
    const key = entityKey(alert.domain, alert.entityId);
    const list = byEntity.get(key);
    if (list) list.push(alert);
    else byEntity.set(key, [alert]);
  }
  return byEntity;
}

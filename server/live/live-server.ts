import {
  BboxSchema,
  encodeColumnDelta,
  inBbox,
  LIVE_NAMESPACE,
  SubscribeRequestSchema,
  type Alert,
  type AlertSummary,
  type Report,
  type Bbox,
  type Delta,
  type DeltaEncoding,
  type Entity,
  type Snapshot,
} from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import { alertRooms, summaryRooms } from '../auth/socket-auth.js';
import { createClusterSnapshots, type ClusterEntities } from './cluster-snapshot.js';
import type { LiveIo, LiveNamespace, LiveSocket } from './live-io.js';
import type { LiveState } from './live-state.js';
import { filterEntities, type EntityQuery } from './snapshot-merge.js';

export type { LiveIo } from './live-io.js';

/**
 * Sockets with the same layers and bbox form a group: one room, one serialised delta per tick
 * (socket.io's adapter encodes a broadcast once and hands every websocket the same pre-built frame).
 */
interface Group {
  room: string;
  layers: Set<string>;
  bbox?: Bbox;
  encoding: DeltaEncoding;
  /** Keys inside the bbox as last sent, to tell clients which entities left it (bbox groups only). */
  visible?: Set<string>;
  localSockets: Set<string>;
  /** Debts of this group's lagging sockets, one per tick at which some of them started lagging. */
  debts: Set<Debt>;
  /** performance.now() at creation: a room list asked for before then cannot tell whether the group is gone. */
  createdAt: number;
}

/**
 * What sockets of a group that started lagging at the same tick have missed since: the group's
 * deltas are the same for all its sockets, so they owe the same keys. Keeping one set for all of
 * them makes a tick's bookkeeping O(1) per lagging socket (the keys are added once per debt, not
 * once per socket), and sockets that catch up at the same tick get one catch-up delta, encoded once.
 */
interface Debt {
  keys: Set<string>;
  sockets: Set<string>;
}

export interface LiveServerOptions {
  io: LiveIo;
  live: LiveState;
  deltaInterval: number;
  /**
   * Most entities one tick sends (config `live.maxEntitiesPerDelta`): a burst (every device at once, a
   * gateway's sensors all going stale) goes out over several ticks, so no console parses a delta that
   * holds its main thread for more than a frame or two (docs/ARCHITECTURE.md, "Live deltas").
   */
  maxEntitiesPerDelta?: number;
  staleCheckInterval: number;
  logger: Logger;
  clock?: () => number;
  /** Whether rooms span several nodes (Redis adapter): groups of other nodes are then learnt from the adapter. */
  clustered?: boolean;
  /** Hears, once per delta tick, how old (seconds since its own timestamp) each changed entity is as it goes out. */
  observeDeltaAge?: (seconds: number) => void;
  /** Clustered: how often groups of other nodes are learnt (ms, default 1000). */
  clusterPollInterval?: number;
  /** How long a clustered snapshot waits for the other nodes (default CLUSTER_REQUEST_TIMEOUT_MS). */
  clusterTimeout?: number;
}

export interface LiveServerStats {
  sockets: number;
  groups: number;
  deltasSent: number;
  entitiesSent: number;
  laggingSockets: number;
}

export interface LiveServer {
  stop(): void;
  broadcastAlert(alert: Alert): void;
  /** A citizen report change, to the same rooms as alerts (its zone, its assignee, the whole city); never with the contact. */
  broadcastReport(report: Report): void;
  broadcastSummary(summary: AlertSummary[]): void;
  /** The entities matching `query` now, across every node of a cluster (local state alone otherwise). */
  entities(query: EntityQuery): Promise<ClusterEntities>;
  stats(): LiveServerStats;
}

const ROOM_PREFIX = 'live:';
/** Groups that take `deltaColumns`; a prefix of their own, so nodes that predate the encoding ignore them. */
const COLUMNS_ROOM_PREFIX = 'livec:';

/** A socket or a room: what a delta is emitted to. */
type DeltaTarget = LiveSocket | ReturnType<LiveNamespace['to']>;

/** The parts of engine.io's socket and of a cluster adapter we rely on (not in their public types). */
interface EngineSocketEdge {
  writeBuffer: unknown[];
}
interface ClusterAdapterEdge {
  allRooms(): Promise<Set<string>>;
}

function groupRoom(layers: string[], bbox: Bbox | undefined, encoding: DeltaEncoding): string {
  const prefix = encoding === 'columns' ? COLUMNS_ROOM_PREFIX : ROOM_PREFIX;
  return prefix + [...new Set(layers)].sort().join(',') + (bbox ? '|' + bbox.join(',') : '');
}

function parseRoom(room: string): { layers: string[]; bbox?: Bbox; encoding: DeltaEncoding } | undefined {
  const encoding: DeltaEncoding | undefined = room.startsWith(ROOM_PREFIX)
    ? 'json'
    : room.startsWith(COLUMNS_ROOM_PREFIX)
      ? 'columns'
      : undefined;
  if (encoding === undefined) return undefined;
  const [layerPart = '', bboxPart] = room.slice(room.indexOf(':') + 1).split('|');
  const layers = layerPart.length > 0 ? layerPart.split(',') : [];
  if (bboxPart === undefined) return { layers, encoding };
  const bbox = BboxSchema.safeParse(bboxPart.split(',').map(Number));
  return bbox.success ? { layers, bbox: bbox.data, encoding } : undefined;
}

/** Sends `delta` to `target` in the group's encoding; encoded once, whatever the number of sockets. */
function emitDelta(target: DeltaTarget, group: Group, delta: Delta): void {
  if (group.encoding === 'json') {
    target.emit('delta', delta);
    return;
  }
  const columns = encodeColumnDelta(delta);
  // A Node Buffer over the same memory: every transport (websocket, polling) and the Redis adapter take it as binary.
  const numbers = columns.numbers as Uint8Array;
  target.emit('deltaColumns', {
    ...columns,
    numbers: Buffer.from(numbers.buffer, numbers.byteOffset, numbers.byteLength),
  });
}

function matches(group: Group, entity: Entity): boolean {
  return group.layers.has(entity.domain) && (!group.bbox || inBbox(group.bbox, entity.lat, entity.lon));
}

/** Serves `/live`: snapshot on subscribe, then coalesced deltas per group at most every `deltaInterval`. */
export function createLiveServer(options: LiveServerOptions): LiveServer {
  const { io, live, logger } = options;
  const clock = options.clock ?? Date.now;
  const nsp: LiveNamespace = io.of(LIVE_NAMESPACE);
  const groups = new Map<string, Group>();
  /** The debt of each socket that could not take the last deltas (its transport was still busy). */
  const owed = new Map<string, Debt>();
  let seq = 0;
  let deltasSent = 0;
  let entitiesSent = 0;

  const ensureGroup = (layers: string[], bbox: Bbox | undefined, encoding: DeltaEncoding = 'json'): Group => {
    const room = groupRoom(layers, bbox, encoding);
    let group = groups.get(room);
    if (!group) {
      group = {
        room,
        layers: new Set(layers),
        bbox,
        encoding,
        localSockets: new Set(),
        debts: new Set(),
        createdAt: performance.now(),
      };
      if (bbox) {
        group.visible = new Set();
        for (const e of live.all()) if (matches(group, e)) group.visible.add(`${e.domain}/${e.id}`);
      }
      groups.set(room, group);
    }
    return group;
  };

  const leaveGroup = (socket: LiveSocket) => {
    const debt = owed.get(socket.id);
    owed.delete(socket.id);
    debt?.sockets.delete(socket.id);
    for (const group of groups.values()) {
      if (group.localSockets.delete(socket.id)) {
        void socket.leave(group.room);
        if (debt && debt.sockets.size === 0) group.debts.delete(debt);
        if (group.localSockets.size === 0 && !options.clustered) groups.delete(group.room);
      }
    }
  };

  const cluster = options.clustered
    ? createClusterSnapshots({
        nsp,
        live,
        followGroup: (layers, bbox, encoding) => void ensureGroup(layers, bbox, encoding),
        timeoutMs: options.clusterTimeout,
        logger,
      })
    : undefined;

  nsp.on('connection', (socket: LiveSocket) => {
    socket.on('subscribe', (request: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return;
      const reply = ack as (snapshot: Snapshot) => void;
      const parsed = SubscribeRequestSchema.safeParse(request);
      if (!parsed.success) {
        const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
        reply({ ts: clock(), entities: [], error: { code: 'bad_request', message } });
        return;
      }
      leaveGroup(socket);
      const { layers, bbox, encoding = 'json' } = parsed.data;
      const group = ensureGroup(layers, bbox, encoding);
      group.localSockets.add(socket.id);
      socket.data.layers = layers;
      socket.data.bbox = bbox;
      socket.data.encoding = encoding;
      void socket.join(group.room);
      if (cluster) {
        cluster.gather({ layers, bbox }, socket).then(
          ({ entities, partial }) => reply({ ts: clock(), entities, ...(partial ? { partial } : {}) }),
          (err: Error) => {
            // Still a usable map: this node's own entities, marked as incomplete.
            logger.error('cluster snapshot failed', { error: err.message });
            const entities: Entity[] = [];
            for (const e of live.all()) if (matches(group, e)) entities.push(e);
            reply({
              ts: clock(),
              entities,
              partial: { code: 'cluster_error', message: `only this node's entities: ${err.message}` },
            });
          },
        );
        return;
      }
      const entities: Entity[] = [];
      for (const e of live.all()) if (matches(group, e)) entities.push(e);
      reply({ ts: clock(), entities });
    });
    socket.on('disconnect', () => leaveGroup(socket));
  });

  const isLagging = (socketId: string): boolean => {
    const socket = nsp.sockets.get(socketId);
    // engine.io keeps packets it could not write yet in writeBuffer: a non-empty one means a slow client.
    return socket !== undefined && (socket.conn as unknown as EngineSocketEdge).writeBuffer.length > 0;
  };

  /** Sends the latest state of a debt's keys to the sockets that have just caught up, as one broadcast. */
  const payDebt = (payees: string[], group: Group, keys: Set<string>, now: number) => {
    const upserts: Entity[] = [];
    const removes: string[] = [];
    for (const key of keys) {
      const e = live.get(key);
      if (e && matches(group, e)) upserts.push(e);
      else if (group.bbox) removes.push(key);
    }
    if (upserts.length === 0 && removes.length === 0) return;
    const connected = payees.filter((id) => nsp.sockets.has(id));
    const [only] = connected;
    if (only === undefined) return;
    const delta = { ts: now, seq, upserts, removes };
    const socket = nsp.sockets.get(only);
    if (connected.length === 1) {
      if (socket) emitDelta(socket, group, delta);
    }
    // Each socket is a room of its own; local: the debt is this node's, other nodes have nothing to send.
    else emitDelta(nsp.local.to(connected), group, delta);
    deltasSent += connected.length;
    entitiesSent += upserts.length * connected.length;
  };

  const tick = () => {
    const dirty = live.takeDirty(options.maxEntitiesPerDelta);
    if (dirty.size === 0 && owed.size === 0) return;
    const now = clock();
    seq += 1;
    if (options.observeDeltaAge && groups.size > 0) {
      for (const key of dirty) {
        const e = live.get(key);
        if (e) options.observeDeltaAge(Math.max(0, now - e.ts) / 1000);
      }
    }
    for (const group of groups.values()) {
      const upserts: Entity[] = [];
      const removes: string[] = [];
      for (const key of dirty) {
        const e = live.get(key);
        if (!e || !group.layers.has(e.domain)) continue;
        if (!group.bbox) upserts.push(e);
        else if (inBbox(group.bbox, e.lat, e.lon)) {
          upserts.push(e);
          group.visible?.add(key);
        } else if (group.visible?.delete(key)) removes.push(key);
      }
      const changed = upserts.length > 0 || removes.length > 0;
      // Nothing to send and nobody owed: whether a socket lags does not matter this tick.
      if (!changed && group.debts.size === 0) continue;
      const lagging: string[] = [];
      let started: Debt | undefined;
      let payouts: Map<Debt, string[]> | undefined;
      for (const socketId of group.localSockets) {
        const debt = owed.get(socketId);
        if (isLagging(socketId)) {
          lagging.push(socketId);
          if (debt || !changed) continue;
          started ??= { keys: new Set(), sockets: new Set() };
          started.sockets.add(socketId);
          owed.set(socketId, started);
        } else if (debt) {
          owed.delete(socketId);
          debt.sockets.delete(socketId);
          payouts ??= new Map();
          const payees = payouts.get(debt);
          if (payees) payees.push(socketId);
          else payouts.set(debt, [socketId]);
        }
      }
      // Caught-up sockets get what they missed before this tick; this tick's delta reaches them below.
      if (payouts) for (const [debt, payees] of payouts) payDebt(payees, group, debt.keys, now);
      if (started) group.debts.add(started);
      for (const debt of group.debts) {
        if (debt.sockets.size === 0) {
          group.debts.delete(debt);
          continue;
        }
        for (const e of upserts) debt.keys.add(`${e.domain}/${e.id}`);
        for (const key of removes) debt.keys.add(key);
      }
      if (!changed) continue;
      const target = nsp.to(group.room);
      emitDelta(lagging.length > 0 ? target.except(lagging) : target, group, { ts: now, seq, upserts, removes });
      deltasSent += 1;
      entitiesSent += upserts.length;
    }
  };

  const learnRemoteGroups = async () => {
    const adapter = nsp.adapter as unknown as Partial<ClusterAdapterEdge>;
    if (typeof adapter.allRooms !== 'function') return;
    const askedAt = performance.now();
    const rooms = await adapter.allRooms();
    for (const room of rooms) {
      if (groups.has(room)) continue;
      const parsed = parseRoom(room);
      if (parsed) ensureGroup(parsed.layers, parsed.bbox, parsed.encoding);
    }
    for (const [room, group] of groups) {
      if (!rooms.has(room) && group.localSockets.size === 0 && group.createdAt < askedAt) groups.delete(room);
    }
  };

  const deltaTimer = setInterval(() => {
    try {
      tick();
    } catch (err) {
      logger.error('delta tick failed', { error: (err as Error).message });
    }
  }, options.deltaInterval);
  const staleTimer = setInterval(() => live.markStale(clock()), options.staleCheckInterval);
  const clusterTimer = options.clustered
    ? setInterval(() => {
        learnRemoteGroups().catch((err: Error) => logger.warn('could not list cluster rooms', { error: err.message }));
      }, options.clusterPollInterval ?? 1000)
    : undefined;

  return {
    stop() {
      clearInterval(deltaTimer);
      clearInterval(staleTimer);
      if (clusterTimer) clearInterval(clusterTimer);
    },
    // Each socket joined the alert rooms its identity may see (server/auth/socket-auth.ts).
    broadcastAlert: (alert) => nsp.to(alertRooms(alert)).emit('alert', alert),
    broadcastReport: (report) => {
      const { contact: _contact, ...shown } = report;
      nsp.to(alertRooms(report)).emit('report', { ...shown });
    },
    broadcastSummary: (summary) => nsp.to(summaryRooms(summary)).emit('alertSummary', summary),
    entities: (query) =>
      cluster ? cluster.gather(query) : Promise.resolve({ entities: filterEntities(live.all(), query) }),
    stats: () => ({
      sockets: nsp.sockets.size,
      groups: groups.size,
      deltasSent,
      entitiesSent,
      laggingSockets: owed.size,
    }),
  };
}

import {
  BboxSchema,
  inBbox,
  LIVE_NAMESPACE,
  SubscribeRequestSchema,
  type Alert,
  type AlertSummary,
  type Report,
  type Bbox,
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

/** Sockets with the same layers and bbox form a group: one room, one serialised delta per tick. */
interface Group {
  room: string;
  layers: Set<string>;
  bbox?: Bbox;
  /** Keys inside the bbox as last sent, to tell clients which entities left it (bbox groups only). */
  visible?: Set<string>;
  localSockets: Set<string>;
  /** performance.now() at creation: a room list asked for before then cannot tell whether the group is gone. */
  createdAt: number;
}

export interface LiveServerOptions {
  io: LiveIo;
  live: LiveState;
  deltaInterval: number;
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

/** The parts of engine.io's socket and of a cluster adapter we rely on (not in their public types). */
interface EngineSocketEdge {
  writeBuffer: unknown[];
}
interface ClusterAdapterEdge {
  allRooms(): Promise<Set<string>>;
}

function groupRoom(layers: string[], bbox?: Bbox): string {
  return ROOM_PREFIX + [...new Set(layers)].sort().join(',') + (bbox ? '|' + bbox.join(',') : '');
}

function parseRoom(room: string): { layers: string[]; bbox?: Bbox } | undefined {
  if (!room.startsWith(ROOM_PREFIX)) return undefined;
  const [layerPart = '', bboxPart] = room.slice(ROOM_PREFIX.length).split('|');
  const layers = layerPart.length > 0 ? layerPart.split(',') : [];
  if (bboxPart === undefined) return { layers };
  const bbox = BboxSchema.safeParse(bboxPart.split(',').map(Number));
  return bbox.success ? { layers, bbox: bbox.data } : undefined;
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
  /** Keys owed to sockets that could not take the last deltas (their transport was still busy). */
  const owed = new Map<string, Set<string>>();
  let seq = 0;
  let deltasSent = 0;
  let entitiesSent = 0;

  const ensureGroup = (layers: string[], bbox?: Bbox): Group => {
    const room = groupRoom(layers, bbox);
    let group = groups.get(room);
    if (!group) {
      group = { room, layers: new Set(layers), bbox, localSockets: new Set(), createdAt: performance.now() };
      if (bbox) {
        group.visible = new Set();
        for (const e of live.all()) if (matches(group, e)) group.visible.add(`${e.domain}/${e.id}`);
      }
      groups.set(room, group);
    }
    return group;
  };

  const leaveGroup = (socket: LiveSocket) => {
    for (const group of groups.values()) {
      if (group.localSockets.delete(socket.id)) {
        void socket.leave(group.room);
        if (group.localSockets.size === 0 && !options.clustered) groups.delete(group.room);
      }
    }
    owed.delete(socket.id);
  };

  const cluster = options.clustered
    ? createClusterSnapshots({
        nsp,
        live,
        followGroup: (layers, bbox) => void ensureGroup(layers, bbox),
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
      const { layers, bbox } = parsed.data;
      const group = ensureGroup(layers, bbox);
      group.localSockets.add(socket.id);
      socket.data.layers = layers;
      socket.data.bbox = bbox;
      void socket.join(group.room);
      if (cluster) {
        cluster.gather({ layers, bbox }, socket).then(
          ({ entities, partial }) => reply({ ts: clock(), entities, ...(partial ? { partial } : {}) }),
          (err: Error) => {
            // Still a usable map: this node's own entities, marked as incomplete.
            logger.error('cluster snapshot failed', { error: err.message });
            const entities: Entity[] = [];
            for (const e of live.all()) if (matches(group, e)) entities.push(e);
            reply({ ts: clock(), entities, partial: { code: 'cluster_error', message: `only this node's entities: ${err.message}` } });
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

  const payOwed = (socketId: string, group: Group, keys: Set<string>, now: number) => {
    const socket = nsp.sockets.get(socketId);
    if (!socket) return;
    const upserts: Entity[] = [];
    const removes: string[] = [];
    for (const key of keys) {
      const e = live.get(key);
      if (e && matches(group, e)) upserts.push(e);
      else if (group.bbox) removes.push(key);
    }
    if (upserts.length === 0 && removes.length === 0) return;
    socket.emit('delta', { ts: now, seq, upserts, removes });
    deltasSent += 1;
    entitiesSent += upserts.length;
  };

  const tick = () => {
    const dirty = live.takeDirty();
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
      const lagging: string[] = [];
      for (const socketId of group.localSockets) {
        const debt = owed.get(socketId);
        if (isLagging(socketId)) {
          lagging.push(socketId);
          const keys = debt ?? new Set<string>();
          for (const e of upserts) keys.add(`${e.domain}/${e.id}`);
          for (const key of removes) keys.add(key);
          owed.set(socketId, keys);
        } else if (debt) {
          owed.delete(socketId);
          payOwed(socketId, group, debt, now);
        }
      }
      if (upserts.length === 0 && removes.length === 0) continue;
      nsp.to(group.room).except(lagging).emit('delta', { ts: now, seq, upserts, removes });
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
      if (parsed) ensureGroup(parsed.layers, parsed.bbox);
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
    entities: (query) => (cluster ? cluster.gather(query) : Promise.resolve({ entities: filterEntities(live.all(), query) })),
    stats: () => ({
      sockets: nsp.sockets.size,
      groups: groups.size,
      deltasSent,
      entitiesSent,
      laggingSockets: owed.size,
    }),
  };
}

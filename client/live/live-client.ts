import { io, type Socket } from 'socket.io-client';
import type { Alert, AlertSummary } from '../../contract/alert.js';
import type { Report } from '../../contract/field.js';
import type { ClientToServerEvents, Heartbeat, ServerToClientEvents, Snapshot } from '../../contract/live-events.js';
import type { EntityStore } from '../state/entity-store.js';
import { observable, type Observable } from '../state/observable.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why the server refused the subscription, when it did. */
  error?: string;
  /** Live, but some cluster nodes did not answer the snapshot: part of the city may be missing for now. */
  partial?: boolean;
}

/** How long a lost connection shows as "reconnecting" before the header says "offline". */
const OFFLINE_AFTER_MS = 10_000;
const SUBSCRIBE_TIMEOUT_MS = 15_000;
/** After a malformed delta the client asks for a fresh snapshot, at most this often (a broken server must not get one per delta). */
const REPAIR_INTERVAL_MS = 10_000;
/** After a partial snapshot, ask again this much later (deltas fill in meanwhile). */
const PARTIAL_RETRY_MS = 30_000;

export interface LiveClient {
  status: Observable<ConnectionStatus>;
  /** Calls `listener` with every `alert` event (one per lifecycle change); returns the unsubscribe. */
  onAlert(listener: (alert: Alert) => void): () => void;
  /** Calls `listener` with every grouped storm summary batch; returns the unsubscribe. */
  onAlertSummary(listener: (summaries: AlertSummary[]) => void): () => void;
  /** Calls `listener` with every server heartbeat; returns the unsubscribe. */
  onHeartbeat(listener: (beat: Heartbeat) => void): () => void;
  /**
   * Calls `listener` with every `report` event (a citizen report created or moved); returns the
   * unsubscribe. Optional: clients that show no reports (the wall's rotating connection) leave it out.
   */
  onReport?(listener: (report: Report) => void): () => void;
  close(): void;
}

function listenerSet<T>() {
  const listeners = new Set<(value: T) => void>();
  return {
    add: (listener: (value: T) => void) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit: (value: T) => {
      for (const listener of [...listeners]) {
        try {
          listener(value);
        } catch (err) {
          console.error('live listener failed', err);
        }
      }
    },
  };
}

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The window events this client uses, typed locally: Node-side tests compile this file without DOM types. */
const browserEvents = globalThis as unknown as {
  addEventListener?(type: 'offline', listener: () => void): void;
  removeEventListener?(type: 'offline', listener: () => void): void;
};

/** Connects to `/live`, subscribes to `layers`, and feeds the snapshot and every delta into the store. */
export function connectLive(
  store: EntityStore,
  layers: string[],
  options: {
    now?: () => number;
    url?: string;
    partialRetryMs?: number;
    /** The server refused the connection with `unauthorized`: the session is gone. */
    onUnauthorized?: () => void;
  } = {},
): LiveClient {
  const now = options.now ?? (() => performance.now());
  const partialRetryMs = options.partialRetryMs ?? PARTIAL_RETRY_MS;
  const status = observable<ConnectionStatus>({ state: 'connecting' });
  const socket: LiveSocket = io(options.url ?? '/live', { path: '/socket.io', transports: ['websocket', 'polling'] });
  let offlineTimer: ReturnType<typeof setTimeout> | undefined;
  const alerts = listenerSet<Alert>();
  const summaries = listenerSet<AlertSummary[]>();
  const heartbeats = listenerSet<Heartbeat>();
  const reports = listenerSet<Report>();

  const clearOfflineTimer = () => {
    if (offlineTimer !== undefined) clearTimeout(offlineTimer);
    offlineTimer = undefined;
  };
  const lost = () => {
    if (status.get().state === 'offline') return;
    status.set({ state: 'reconnecting' });
    offlineTimer ??= setTimeout(() => status.set({ state: 'offline' }), OFFLINE_AFTER_MS);
  };

  let partialRetry: ReturnType<typeof setTimeout> | undefined;
  const subscribe = () => {
    // Columns: a tenth of the JSON delta's decoding cost, and the store updates its entities in place.
    socket
      .timeout(SUBSCRIBE_TIMEOUT_MS)
      .emit('subscribe', { layers, encoding: 'columns' }, (err: Error | null, snapshot: Snapshot) => {
        if (err) {
          // No answer in time: drop the connection so socket.io reconnects and we subscribe afresh.
          socket.disconnect().connect();
          return;
        }
        if (snapshot.error) {
          status.set({ state: 'offline', error: snapshot.error.message });
          return;
        }
        store.applySnapshot(snapshot, now());
        clearOfflineTimer();
        clearTimeout(partialRetry);
        if (snapshot.partial) {
          status.set({ state: 'live', partial: true });
          partialRetry = setTimeout(() => {
            if (socket.connected) subscribe();
          }, partialRetryMs);
        } else status.set({ state: 'live' });
      });
  };

  socket.on('connect', subscribe);
  socket.on('delta', (delta) => {
    if (store.ready) store.applyDelta(delta, now());
  });
  let lastRepair = Number.NEGATIVE_INFINITY;
  socket.on('deltaColumns', (delta) => {
    if (!store.ready) return;
    try {
      store.applyColumns(delta, now());
    } catch (err) {
      // Nothing was applied; a fresh snapshot puts the map right again.
      if (now() - lastRepair < REPAIR_INTERVAL_MS) return;
      lastRepair = now();
      console.error('dropped a malformed delta, subscribing again', err);
      subscribe();
    }
  });
  socket.on('alert', (alert) => alerts.emit(alert));
  socket.on('alertSummary', (batch) => summaries.emit(batch));
  socket.on('heartbeat', (beat) => heartbeats.emit(beat));
  socket.on('report', (report) => reports.emit(report));
  socket.on('disconnect', (reason) => {
    lost();
    // The server closed us on purpose (restart, kick): socket.io does not retry that by itself.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('connect_error', (err) => {
    lost();
    if (err.message === 'unauthorized') options.onUnauthorized?.();
  });

  const onBrowserOffline = () => {
    clearOfflineTimer();
    status.set({ state: 'offline' });
  };
  browserEvents.addEventListener?.('offline', onBrowserOffline);

  return {
    status,
    onAlert: alerts.add,
    onAlertSummary: summaries.add,
    onHeartbeat: heartbeats.add,
    onReport: reports.add,
    close() {
      clearOfflineTimer();
      clearTimeout(partialRetry);
      browserEvents.removeEventListener?.('offline', onBrowserOffline);
      socket.close();
    },
  };
}

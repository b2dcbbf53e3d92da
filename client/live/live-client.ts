import type { Alert, AlertSummary } from '../../contract/alert.js';
import type { Report } from '../../contract/field.js';
import type { Heartbeat, Snapshot } from '../../contract/live-events.js';
import type { EntityStore } from '../state/entity-store.js';
import { observable, type Observable } from '../state/observable.js';
import { startLiveCore } from './live-core.js';
import type { ConnectionStatus, LiveCommand, LiveEvent, LivePort } from './live-protocol.js';

export type { ConnectionState, ConnectionStatus } from './live-protocol.js';

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

/** The window events this client uses, typed locally: Node-side tests compile this file without DOM types. */
const browserEvents = globalThis as unknown as {
  addEventListener?(type: 'offline', listener: () => void): void;
  removeEventListener?(type: 'offline', listener: () => void): void;
  location?: { href: string };
};

/** The live core run on this thread: what Node tests use, and a browser without workers. */
export function inThreadPort(): LivePort {
  let onEvent: ((event: LiveEvent) => void) | undefined;
  let handle: ((command: LiveCommand) => void) | undefined;
  const queued: LiveEvent[] = [];
  // Events are handed over on a later task, as a worker's would be, never inside the caller's own call.
  const deliver = (event: LiveEvent) => {
    queued.push(event);
    if (queued.length === 1)
      setTimeout(() => {
        for (const next of queued.splice(0)) onEvent?.(next);
      }, 0);
  };
  return {
    post: (command) => {
      if (command.type === 'start') handle ??= startLiveCore(command, deliver);
      else handle?.(command);
    },
    listen: (listener) => {
      onEvent = listener;
    },
    terminate: () => handle?.({ type: 'close' }),
  };
}

/**
 * Connects to `/live`, subscribes to `layers`, and feeds the snapshot and every delta into the store.
 * The socket lives behind `port`: in the console a worker (client/live/live-worker-port.ts), so a large
 * delta's parsing and id lookups stay off the main thread; by default this thread.
 */
export function connectLive(
  store: EntityStore,
  layers: string[],
  options: {
    now?: () => number;
    url?: string;
    partialRetryMs?: number;
    /** The server refused the connection with `unauthorized`: the session is gone. */
    onUnauthorized?: () => void;
    port?: LivePort;
  } = {},
): LiveClient {
  const now = options.now ?? (() => performance.now());
  const status = observable<ConnectionStatus>({ state: 'connecting' });
  const alerts = listenerSet<Alert>();
  const summaries = listenerSet<AlertSummary[]>();
  const heartbeats = listenerSet<Heartbeat>();
  const reports = listenerSet<Report>();
  const port = options.port ?? inThreadPort();
  // A worker resolves a relative URL against its script: give it the page's.
  const base = browserEvents.location?.href;
  const url = options.url ?? '/live';
  let closed = false;

  port.listen((event) => {
    if (closed) return;
    switch (event.type) {
      case 'status':
        status.set(event.status);
        break;
      case 'snapshot':
        store.applySnapshot(JSON.parse(event.text) as Snapshot, now(), event.handles);
        break;
      case 'delta':
        if (store.ready) store.applyDelta(event.delta, now());
        break;
      case 'handles':
        if (!store.ready) break;
        try {
          store.applyHandles(event.delta, now());
        } catch (err) {
          console.error('could not apply a delta, asking for a fresh snapshot', err);
          port.post({ type: 'repair' });
        }
        break;
      case 'alert':
        alerts.emit(event.alert);
        break;
      case 'alertSummary':
        summaries.emit(event.batch);
        break;
      case 'heartbeat':
        heartbeats.emit(event.beat);
        break;
      case 'report':
        reports.emit(event.report);
        break;
      case 'unauthorized':
        options.onUnauthorized?.();
        break;
    }
  });
  port.post({
    type: 'start',
    url: base === undefined ? url : new URL(url, base).href,
    layers,
    partialRetryMs: options.partialRetryMs ?? PARTIAL_RETRY_MS,
  });

  const onBrowserOffline = () => port.post({ type: 'offline' });
  browserEvents.addEventListener?.('offline', onBrowserOffline);

  return {
    status,
    onAlert: alerts.add,
    onAlertSummary: summaries.add,
    onHeartbeat: heartbeats.add,
    onReport: reports.add,
    close() {
      closed = true;
      browserEvents.removeEventListener?.('offline', onBrowserOffline);
      port.post({ type: 'close' });
      port.terminate();
    },
  };
}

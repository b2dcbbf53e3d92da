// What passes between the console's main thread and its live worker (client/live/live-core.ts), which
// holds the socket. DOM-free: both sides and the Node tests compile it.
import type { Alert, AlertSummary } from '../../contract/alert.js';
import type { Report } from '../../contract/field.js';
import type { Delta, Heartbeat } from '../../contract/live-events.js';
import type { HandleDelta } from './handle-table.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Why the server refused the subscription, when it did. */
  error?: string;
  /** Live, but some cluster nodes did not answer the snapshot: part of the city may be missing for now. */
  partial?: boolean;
}

/** From the worker to the main thread. */
export type LiveEvent =
  | { type: 'status'; status: ConnectionStatus }
  /**
   * A snapshot as JSON text (a `Snapshot`), with the worker's number for each of its entities, in order
   * (client/live/handle-table.ts). Text, because the main thread parses 100 k entities' JSON faster than
   * it takes the same objects copied from another thread.
   */
  | { type: 'snapshot'; text: string; handles: Int32Array }
  | { type: 'delta'; delta: Delta }
  | { type: 'handles'; delta: HandleDelta }
  | { type: 'alert'; alert: Alert }
  | { type: 'alertSummary'; batch: AlertSummary[] }
  | { type: 'heartbeat'; beat: Heartbeat }
  | { type: 'report'; report: Report }
  /** The server refused the connection with `unauthorized`: the session is gone. */
  | { type: 'unauthorized' };

/** From the main thread to the worker. */
export type LiveCommand =
  | { type: 'start'; url: string; layers: string[]; partialRetryMs: number }
  /** The browser says it went offline. */
  | { type: 'offline' }
  /** The main thread could not apply a delta: subscribe again for a fresh snapshot (at most every 10 s). */
  | { type: 'repair' }
  | { type: 'close' };

/** The main thread's side of the worker: `new Worker(…)` wrapped, or the core run in-thread. */
export interface LivePort {
  post(command: LiveCommand): void;
  listen(onEvent: (event: LiveEvent) => void): void;
  terminate(): void;
}

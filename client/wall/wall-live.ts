import type { Alert, AlertSummary } from '../../contract/alert.js';
import type { Heartbeat } from '../../contract/live-events.js';
import { connectLive, type ConnectionStatus, type LiveClient } from '../live/live-client.js';
import { liveWorkerPort } from '../live/live-worker-port.js';
import type { EntityStore } from '../state/entity-store.js';
import { observable } from '../state/observable.js';
import { nextBackoff } from './backoff.js';

/**
 * The console's live client, made to never give up: socket.io stops retrying after the server refused a
 * handshake (`unauthorized`, e.g. while a restarted server is still opening its session store), and the
 * console then shows its login page. A wall has no one to sign in, so it opens a fresh connection
 * later, with backoff, forever. Listeners stay attached across connections.
 */
export function connectWallLive(store: EntityStore, layers: string[]): LiveClient {
  const status = observable<ConnectionStatus>({ state: 'connecting' });
  const alertListeners = new Set<(alert: Alert) => void>();
  const summaryListeners = new Set<(batch: AlertSummary[]) => void>();
  const beatListeners = new Set<(beat: Heartbeat) => void>();
  let closed = false;
  let attempt = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let current: { client: LiveClient; off: (() => void)[] } | undefined;

  const open = () => {
    retry = undefined;
    if (closed) return;
    const client = connectLive(store, layers, { onUnauthorized: refused, port: liveWorkerPort() });
    const off = [
      client.status.subscribe(() => {
        const next = client.status.get();
        if (next.state === 'live') attempt = 0;
        status.set(next);
      }),
      client.onAlert((alert) => {
        for (const listener of [...alertListeners]) listener(alert);
      }),
      client.onAlertSummary((batch) => {
        for (const listener of [...summaryListeners]) listener(batch);
      }),
      client.onHeartbeat((beat) => {
        for (const listener of [...beatListeners]) listener(beat);
      }),
    ];
    current = { client, off };
  };

  const drop = () => {
    if (!current) return;
    for (const unsubscribe of current.off) unsubscribe();
    current.client.close();
    current = undefined;
  };

  function refused(): void {
    status.set({ state: 'offline' });
    if (retry !== undefined || closed) return;
    const delay = nextBackoff(attempt++);
    // The refusal arrives inside socket.io's own handler: close that socket outside it.
    retry = setTimeout(() => {
      drop();
      open();
    }, delay);
  }

  open();
  return {
    status,
    onAlert(listener) {
      alertListeners.add(listener);
      return () => void alertListeners.delete(listener);
    },
    onAlertSummary(listener) {
      summaryListeners.add(listener);
      return () => void summaryListeners.delete(listener);
    },
    onHeartbeat(listener) {
      beatListeners.add(listener);
      return () => void beatListeners.delete(listener);
    },
    close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      drop();
    },
  };
}

import { ApiFailure } from '../live/http.js';
import { observable, type ReadonlyObservable } from '../state/observable.js';
import type { ActionStore, FailedAction, FieldAction, StoredAction } from './action-store.js';

/** What the page shows about the queue. */
export interface QueueState {
  /** Waiting to be sent, oldest first (this user's only). */
  pending: StoredAction[];
  /** Refused by the server (a 409 because someone else resolved it first, a 403, a bad photo). */
  failed: FailedAction[];
  /** A send is under way. */
  sending: boolean;
  /** The connection as the browser sees it. */
  online: boolean;
  /** How many actions the server has taken since the page opened (the list reloads when it grows). */
  sent: number;
}

export interface OfflineQueue {
  state: ReadonlyObservable<QueueState>;
  /** Queues an action (resolves once stored) and tries to send it; it is never sent before one queued earlier. */
  add(action: FieldAction): Promise<void>;
  /** Sends what waits, in order; stops at the first network failure and tries again later. */
  flush(): Promise<void>;
  dismiss(seq: number): Promise<void>;
  stop(): void;
}

/** How often a queue that could not reach the server tries again while the browser thinks it is online. */
const RETRY_MS = 15_000;

/**
 * Every action goes through the queue, online or not, so they reach the server in the order they were
 * taken: a photo before the resolution it documents.
 */
export function startOfflineQueue(
  store: ActionStore,
  username: string,
  send: (action: FieldAction) => Promise<void>,
): OfflineQueue {
  const state = observable<QueueState>({ pending: [], failed: [], sending: false, online: navigator.onLine, sent: 0 });
  let stopped = false;
  let flushing: Promise<void> | null = null;

  const reload = async () => {
    const [pending, failed] = await Promise.all([store.pending(), store.failed()]);
    state.update((s) => ({
      ...s,
      pending: pending.filter((a) => a.username === username).sort((a, b) => a.seq - b.seq),
      failed: failed.filter((a) => a.username === username).sort((a, b) => a.seq - b.seq),
    }));
  };

  const sendAll = async () => {
    state.update((s) => ({ ...s, sending: true }));
    try {
      for (;;) {
        if (stopped || !navigator.onLine) break;
        const next = state.get().pending[0];
        if (!next) break;
        try {
          await send(next);
          await store.remove(next.seq);
          state.update((s) => ({ ...s, sent: s.sent + 1 }));
        } catch (err) {
          const failure = err instanceof ApiFailure ? err : new ApiFailure(0, 'network', (err as Error).message);
          // Unreachable, or the session ended (the login page is shown): keep it for the next try.
          if (failure.status === 0 || failure.status === 401 || failure.status >= 500) break;
          await store.fail({ ...next, status: failure.status, error: failure.message });
        }
        await reload();
      }
    } finally {
      state.update((s) => ({ ...s, sending: false }));
    }
  };

  const flush = () => {
    flushing ??= sendAll().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  const onOnline = () => {
    state.update((s) => ({ ...s, online: navigator.onLine }));
    if (navigator.onLine) void flush();
  };
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOnline);
  const timer = setInterval(() => {
    if (state.get().pending.length > 0) void flush();
  }, RETRY_MS);
  void reload().then(flush);

  return {
    state,
    async add(action) {
      await store.add({ ...action, username, at: Date.now() });
      await reload();
      // A running flush may already be past its last read of the queue: start another once it ends.
      void (flushing ?? Promise.resolve()).then(flush);
    },
    flush,
    async dismiss(seq) {
      await store.dismiss(seq);
      await reload();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOnline);
    },
  };
}

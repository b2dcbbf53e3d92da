import type { ItemKind } from './field-items.js';

/** What a field officer did to an item, as it waits to be sent. */
export type FieldAction =
  | { op: 'ack'; kind: ItemKind; itemId: string; title: string }
  | { op: 'note'; kind: ItemKind; itemId: string; title: string; text: string }
  | { op: 'resolve'; kind: ItemKind; itemId: string; title: string; result: string }
  | { op: 'photo'; kind: ItemKind; itemId: string; title: string; photo: Blob; name: string };

/** A queued action: its place in the queue, who took it and when. */
export type StoredAction = FieldAction & { seq: number; username: string; at: number };

/** An action the server refused: kept and shown until the officer dismisses it. */
export type FailedAction = StoredAction & { status: number; error: string };

/** Where queued actions live between page loads (IndexedDB keeps photos as blobs). */
export interface ActionStore {
  /** Everything queued, oldest first. */
  pending(): Promise<StoredAction[]>;
  failed(): Promise<FailedAction[]>;
  add(action: Omit<StoredAction, 'seq'>): Promise<StoredAction>;
  remove(seq: number): Promise<void>;
  /** Moves a refused action from the queue to the failures. */
  fail(action: FailedAction): Promise<void>;
  dismiss(seq: number): Promise<void>;
}

const DB_NAME = 'ioc-field';
const QUEUE = 'queue';
const FAILED = 'failed';

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(): Promise<IDBDatabase> {
  const request = indexedDB.open(DB_NAME, 1);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore(QUEUE, { keyPath: 'seq', autoIncrement: true });
    db.createObjectStore(FAILED, { keyPath: 'seq' });
  };
  return promised(request);
}

function indexedDbStore(db: IDBDatabase): ActionStore {
  const run = <T>(store: string, mode: IDBTransactionMode, work: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> =>
    promised(work(db.transaction(store, mode).objectStore(store)));
  return {
    pending: () => run(QUEUE, 'readonly', (s) => s.getAll() as IDBRequest<StoredAction[]>),
    failed: () => run(FAILED, 'readonly', (s) => s.getAll() as IDBRequest<FailedAction[]>),
    async add(action) {
      const seq = await run(QUEUE, 'readwrite', (s) => s.add(action));
      return { ...action, seq: seq as number } as StoredAction;
    },
    remove: (seq) => run(QUEUE, 'readwrite', (s) => s.delete(seq)),
    // One transaction over both stores: the action is never in both, nor lost between them.
    fail: (action) =>
      new Promise<void>((resolve, reject) => {
        const tx = db.transaction([QUEUE, FAILED], 'readwrite');
        tx.objectStore(QUEUE).delete(action.seq);
        tx.objectStore(FAILED).put(action);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      }),
    dismiss: (seq) => run(FAILED, 'readwrite', (s) => s.delete(seq)),
  };
}

/** Kept for this page only, when the browser offers no IndexedDB (some private modes). */
function memoryStore(): ActionStore {
  let next = 1;
  let queue: StoredAction[] = [];
  let failures: FailedAction[] = [];
  return {
    pending: () => Promise.resolve([...queue]),
    failed: () => Promise.resolve([...failures]),
    add(action) {
      const stored = { ...action, seq: next++ } as StoredAction;
      queue.push(stored);
      return Promise.resolve(stored);
    },
    remove(seq) {
      queue = queue.filter((a) => a.seq !== seq);
      return Promise.resolve();
    },
    fail(action) {
      queue = queue.filter((a) => a.seq !== action.seq);
      failures.push(action);
      return Promise.resolve();
    },
    dismiss(seq) {
      failures = failures.filter((a) => a.seq !== seq);
      return Promise.resolve();
    },
  };
}

/** The IndexedDB store, or one in memory when IndexedDB cannot be opened. */
export async function openActionStore(): Promise<{ store: ActionStore; persistent: boolean }> {
  try {
    return { store: indexedDbStore(await openDb()), persistent: true };
  } catch {
    return { store: memoryStore(), persistent: false };
  }
}

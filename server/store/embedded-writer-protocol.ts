import type { RetentionOptions } from './retention.js';

/** What the writer thread is started with (`workerData`). */
export interface WriterSettings {
  /** The SQLite file; the main thread has created it and its tables already. */
  file: string;
  /** Retries of a failing batch before it is dropped and reported. */
  maxAttempts: number;
  /** WAL size in pages at which a commit checkpoints (SQLite's `wal_autocheckpoint`). */
  checkpointPages: number;
  /** A passive checkpoint runs once writes have paused this long, so an idle WAL is folded back. */
  idleCheckpointMs: number;
  /** Retention with downsampling: compaction passes run every `intervalMs` when enabled. */
  retention?: RetentionOptions;
}

/** Main thread → writer thread; handled strictly in the order sent. */
export type WriterRequest =
  // The observations as JSON text (an array): for the main thread JSON.stringify costs what a structured
  // clone does (~3 µs an observation), but the thread's whole commit cost ~5 µs an observation less with
  // JSON.parse's objects than with a clone's (docs/PERFORMANCE.md, "The embedded store's writer thread").
  { type: 'batch'; seq: number; count: number; observations: string } | { type: 'close' };

/** Writer thread → main thread. `seq` numbers batches; the last committed one is stored with the data. */
export type WriterReport =
  | { type: 'ready'; committedSeq: number }
  | { type: 'committed'; seq: number; count: number }
  | { type: 'retrying'; seq: number; attempt: number; error: string }
  | { type: 'dropped'; seq: number; count: number; error: string }
  | { type: 'compacted'; compacted: number; expired: number }
  | { type: 'compactFailed'; error: string }
  | { type: 'closed' };

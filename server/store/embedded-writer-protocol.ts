import type { Observation } from '../../contract/index.js';
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
  // Structured-cloned as is: measured as cheap for the main thread as a flat array of primitives
  // (~1–2 µs per observation), cheaper than JSON text or a transferred buffer.
  { type: 'batch'; seq: number; observations: readonly Observation[] } | { type: 'close' };

/** Writer thread → main thread. `seq` numbers batches; the last committed one is stored with the data. */
export type WriterReport =
  | { type: 'ready'; committedSeq: number }
  | { type: 'committed'; seq: number; count: number }
  | { type: 'retrying'; seq: number; attempt: number; error: string }
  | { type: 'dropped'; seq: number; count: number; error: string }
  | { type: 'compacted'; compacted: number; expired: number }
  | { type: 'compactFailed'; error: string }
  | { type: 'closed' };

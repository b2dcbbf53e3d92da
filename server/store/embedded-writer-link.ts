import { Worker } from 'node:worker_threads';
import type { Observation } from '../../contract/index.js';
import type { WriterReport, WriterRequest, WriterSettings } from './embedded-writer-protocol.js';
import { errorMessage, type StoreLogger } from './types-logger.js';
import { backoffDelay } from './write-queue.js';

/** What became of a batch: on disk, or given up on (and why). */
export type BatchOutcome = { outcome: 'written' } | { outcome: 'dropped'; error: string };

/** What the store learns from its writer thread besides each batch's outcome. */
export interface WriterEvents {
  /** A write attempt failed (it is retried) or the thread stopped (it is restarted). */
  failed(error: string): void;
  /** The thread kept dying: nothing more can be written; everything unwritten was answered as dropped. */
  fatal(error: string): void;
}

// Restarts in a row without the writer making progress before the store gives up, loudly.
const MAX_RESTARTS = 4;
// A restart is cheaper than a retry: start sooner.
const RESTART_BACKOFF = { baseMs: 100, maxMs: 5000 };

interface PendingBatch {
  seq: number;
  observations: readonly Observation[];
  done(outcome: BatchOutcome): void;
}

/** The writer thread's own entry module, next to this file (TypeScript under tsx and vitest, else JavaScript). */
export const WRITER_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './embedded-writer.ts' : './embedded-writer.js',
  import.meta.url,
);

// A TypeScript entry registers tsx in the thread before importing it: Node 20's `--import tsx`
// hooks do not reach worker threads (tsx registers its hooks in workers only on newer Node).
function startWorker(entry: URL, settings: WriterSettings): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: settings });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)})
    .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })
    .catch((err) => process.nextTick(() => { throw err; }));`;
  return new Worker(bootstrap, { eval: true, workerData: settings });
}

/**
 * The main thread's side of the writer thread: sends batches in order, keeps each until the thread
 * reports it committed or dropped, and on a crash restarts the thread and sends again what was
 * not reported (batches already committed are recognised by their number, so none is written twice).
 */
export class EmbeddedWriterLink {
  private worker: Worker | undefined;
  private pending: PendingBatch[] = [];
  private nextSeq = 1;
  private restarts = 0;
  private threadError: string | undefined;
  private failure: string | undefined;
  private closing: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly entry: URL,
    private readonly settings: WriterSettings,
    private readonly events: WriterEvents,
    private readonly logger: StoreLogger,
  ) {}

  /** Starts the thread running `entry` (normally WRITER_ENTRY); rejects when it cannot open the file. */
  static async start(
    entry: URL,
    settings: WriterSettings,
    events: WriterEvents,
    logger: StoreLogger,
  ): Promise<EmbeddedWriterLink> {
    const link = new EmbeddedWriterLink(entry, settings, events, logger);
    await link.spawn(true);
    return link;
  }

  /** The writer thread (for diagnostics and fault-injection tests); undefined while it is restarted. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** Batches sent and not yet reported. */
  get batchesInFlight(): number {
    return this.pending.length;
  }

  /** Why the writer was given up on, once it has been. */
  get fatalError(): string | undefined {
    return this.failure;
  }

  /** Sends a batch; resolves once the thread committed it or gave up on it (never rejects). */
  sendBatch(observations: readonly Observation[]): Promise<BatchOutcome> {
    const failure = this.failure;
    if (failure !== undefined) return Promise.resolve({ outcome: 'dropped', error: failure });
    return new Promise((done) => {
      const batch: PendingBatch = { seq: this.nextSeq++, observations, done };
      this.pending.push(batch);
      this.post(batch);
    });
  }

  /** Stops the thread after everything sent has been handled (call once the store has flushed). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearTimeout(this.restartTimer);
      const worker = this.worker;
      if (!worker) return resolve();
      worker.ref();
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'close' } satisfies WriterRequest);
    }).then(() => this.abandon());
    return this.closing;
  }

  private post(batch: PendingBatch): void {
    const worker = this.worker;
    if (!worker) return;
    // A thread with work outstanding keeps the process alive; an idle one does not.
    worker.ref();
    worker.postMessage({ type: 'batch', seq: batch.seq, observations: batch.observations } satisfies WriterRequest);
  }

  // The first start rejects when the thread cannot open the file; a restart that fails counts as a crash.
  private spawn(first: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      const worker = startWorker(this.entry, this.settings);
      this.threadError = undefined;
      worker.on('message', (report: WriterReport) => {
        if (report.type === 'ready') {
          ready = true;
          this.worker = worker;
          this.resume(report.committedSeq, first);
          resolve();
        } else this.receive(report);
      });
      worker.on('error', (err) => (this.threadError = errorMessage(err)));
      worker.on('messageerror', (err) => {
        // A lost report would leave its batch pending for ever: restart, and the file says what was committed.
        this.threadError = `undeliverable report: ${errorMessage(err)}`;
        void worker.terminate();
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (this.closing) return;
        const error = `the embedded writer thread stopped (exit code ${code})${this.threadError ? `: ${this.threadError}` : ''}`;
        if (first && !ready) reject(new Error(error));
        else this.crashed(error);
      });
    });
  }

  // A (re)started thread: batches it has committed are settled, everything else is sent again in order.
  private resume(committedSeq: number, first: boolean): void {
    // Batch numbers go on from the file's last one, so those of an earlier run are never mistaken for ours.
    if (first) this.nextSeq = committedSeq + 1;
    const unsent: PendingBatch[] = [];
    for (const batch of this.pending) {
      if (batch.seq <= committedSeq) batch.done({ outcome: 'written' });
      else unsent.push(batch);
    }
    this.pending = unsent;
    for (const batch of unsent) this.post(batch);
    this.idleCheck();
  }

  private receive(report: WriterReport): void {
    switch (report.type) {
      case 'committed':
      case 'dropped': {
        const index = this.pending.findIndex((batch) => batch.seq === report.seq);
        if (index < 0) return;
        const [batch] = this.pending.splice(index, 1);
        this.restarts = 0;
        if (report.type === 'dropped') {
          this.logger.error('embedded store write failed repeatedly; batch dropped', {
            error: report.error,
            dropped: batch!.observations.length,
          });
          batch!.done({ outcome: 'dropped', error: report.error });
        } else batch!.done({ outcome: 'written' });
        break;
      }
      case 'retrying':
        this.logger.warn('embedded store write failed; retrying', { error: report.error, attempt: report.attempt });
        this.events.failed(report.error);
        break;
      case 'compactFailed':
        // Housekeeping: the raw rows stay and the next pass tries again.
        this.logger.warn('embedded store compaction failed; retrying at the next pass', { error: report.error });
        break;
      default:
        break;
    }
    this.idleCheck();
  }

  private idleCheck(): void {
    if (this.pending.length === 0 && !this.closing) this.worker?.unref();
  }

  private crashed(error: string): void {
    this.restarts += 1;
    this.events.failed(error);
    if (this.restarts > MAX_RESTARTS) {
      this.giveUp(`${error}; given up after ${MAX_RESTARTS} restarts without progress`);
      return;
    }
    const delay = backoffDelay(this.restarts, RESTART_BACKOFF);
    this.logger.error('embedded writer thread stopped; restarting it and sending unwritten batches again', {
      error,
      restartInMs: delay,
      batchesInFlight: this.pending.length,
    });
    // Keeps the process alive until unwritten batches are safe again.
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closing) this.spawn(false).catch((err: unknown) => this.crashed(errorMessage(err)));
    }, delay);
  }

  private giveUp(error: string): void {
    this.failure = error;
    this.logger.error('embedded writer thread cannot be kept running; the store stops writing', { error });
    this.abandon();
    this.events.fatal(error);
  }

  // Answers whatever is still pending as dropped (the store counts it).
  private abandon(): void {
    const pending = this.pending;
    this.pending = [];
    const error = this.failure ?? 'the embedded store closed before the batch was written';
    for (const batch of pending) batch.done({ outcome: 'dropped', error });
  }
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { HistoryPoint, Observation } from '../../contract/index.js';
import { readFieldKeys, readHistory, readLatest, readScan } from './embedded-read.js';
import { openDatabase, type EmbeddedDatabase } from './embedded-schema.js';
import { EmbeddedWriterLink, WRITER_ENTRY, type WriterEvents } from './embedded-writer-link.js';
import type { RetentionOptions } from './retention.js';
import type {
  FieldKey,
  FieldKeysOptions,
  HistoryQueryOptions,
  LatestQueryOptions,
  ScanOptions,
  StoreStats,
  TelemetryStore,
} from './types.js';
import { errorMessage, quietLogger, type StoreLogger } from './types-logger.js';

export interface EmbeddedStoreOptions {
  /** Directory of the SQLite file (created if missing). */
  dataDir: string;
  fileName?: string;
  /** A partly filled batch is sent to the writer after this many ms. */
  flushInterval?: number;
  /** Observations per transaction. */
  batchSize?: number;
  /** Observations held while writes fail; beyond this the oldest are dropped and counted. */
  maxBuffered?: number;
  /** Batches handed to the writer thread and not yet committed; the rest wait in the buffer. */
  maxBatchesInFlight?: number;
  /** WAL size in pages (4 KiB) at which the writer checkpoints; fewer, larger checkpoints cost less per row. */
  checkpointPages?: number;
  /** Retention with downsampling (server/store/retention.ts); absent: everything stays raw. */
  retention?: RetentionOptions;
  /** The writer thread's entry module; tests wrap the default one to inject faults. */
  writerEntry?: URL;
}

// A batch failing this many times in a row is dropped (counted) so one bad batch cannot wedge the store.
const MAX_ATTEMPTS = 5;

/**
 * The default store: one SQLite file (better-sqlite3, WAL). `write` only buffers; batches go to a
 * writer thread that commits each in one transaction, so no INSERT or COMMIT runs on the ingest
 * thread. Reads run here on their own connection (WAL readers never wait for the writer).
 */
export class EmbeddedStore implements TelemetryStore {
  readonly kind = 'embedded' as const;
  private database: EmbeddedDatabase | undefined;
  private writer: EmbeddedWriterLink | undefined;
  private starting: Promise<void> | undefined;
  private buffer: Observation[] = [];
  private head = 0;
  private accepted = 0;
  private settled = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private waiters: { target: number; resolve: () => void }[] = [];
  private closed = false;
  private readonly counters: StoreStats = { written: 0, buffered: 0, dropped: 0, failedWrites: 0 };
  private readonly flushInterval: number;
  private readonly batchSize: number;
  /** Observations held unwritten before the oldest are dropped (config `store.embedded.maxBuffered`). */
  readonly maxBuffered: number;
  private readonly maxBatchesInFlight: number;

  constructor(
    private readonly options: EmbeddedStoreOptions,
    private readonly logger: StoreLogger = quietLogger,
  ) {
    this.flushInterval = options.flushInterval ?? 150;
    this.batchSize = options.batchSize ?? 5000;
    this.maxBuffered = options.maxBuffered ?? 500_000;
    this.maxBatchesInFlight = Math.max(1, options.maxBatchesInFlight ?? 2);
  }

  /** Opens the file (WAL mode, tables and indexes) and starts the writer thread. */
  init(): Promise<void> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  /** Buffers observations; never throws, never waits. */
  write(observations: readonly Observation[]): void {
    if (this.closed || this.writer?.fatalError !== undefined) {
      this.counters.dropped += observations.length;
      return;
    }
    for (const obs of observations) this.buffer.push(obs);
    this.accepted += observations.length;
    this.counters.buffered += observations.length;
    if (this.counters.buffered > this.maxBuffered) this.dropOldest(this.counters.buffered - this.maxBuffered);
    this.schedule(this.unsent() >= this.batchSize ? 0 : this.flushInterval);
  }

  /** Resolves when every observation written before the call is committed or counted as dropped. */
  flush(): Promise<void> {
    const target = this.accepted;
    if (this.settled >= target) return Promise.resolve();
    this.schedule(0);
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  /** Latest state per entity, now or at a past time. */
  latest(options: LatestQueryOptions = {}): Promise<Observation[]> {
    return this.run(() => readLatest(this.open().statements, options));
  }

  /** One entity's history, raw or downsampled. */
  history(options: HistoryQueryOptions): Promise<HistoryPoint[]> {
    return this.run(() => readHistory(this.open().statements, options));
  }

  /** Observations in [from, to] across domains, oldest first, in chunks. */
  async *scan(options: ScanOptions): AsyncIterable<Observation[]> {
    for (const chunk of readScan(this.open().statements, options)) {
      yield chunk;
      // Reads are synchronous: give ingest a turn between chunks of a long scan.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Field names and kinds with values in the window, from the field catalogue. */
  fieldKeys(options: FieldKeysOptions): Promise<FieldKey[]> {
    return this.run(() => readFieldKeys(this.open().statements, options));
  }

  /** Throws when the file is not readable or the writer thread has been given up on. */
  ping(): Promise<void> {
    return this.run(() => {
      const fatal = this.writer?.fatalError;
      if (fatal !== undefined) throw new Error(fatal);
      this.open().db.prepare('SELECT 1').get();
    });
  }

  /** Write counters (a fresh copy). */
  stats(): StoreStats {
    return { ...this.counters };
  }

  /** Commits what is buffered, stops the writer thread and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.database) await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.dropOldest(this.unsent());
    try {
      await this.writer?.close();
      this.database?.db.close();
    } catch (err) {
      this.logger.error('closing the embedded store failed', { error: errorMessage(err) });
    }
    this.database = undefined;
  }

  /** The writer thread, for diagnostics and fault-injection tests; undefined while it restarts. */
  get writerThread(): Worker | undefined {
    return this.writer?.thread;
  }

  private async start(): Promise<void> {
    const file = path.join(this.options.dataDir, this.options.fileName ?? 'ioc.sqlite');
    let database: EmbeddedDatabase;
    try {
      mkdirSync(this.options.dataDir, { recursive: true });
      database = openDatabase(file);
    } catch (err) {
      throw new Error(`cannot open the embedded store at ${file}: ${errorMessage(err)}`);
    }
    try {
      const settings = {
        file,
        maxAttempts: MAX_ATTEMPTS,
        checkpointPages: this.options.checkpointPages ?? 8192,
        idleCheckpointMs: 1000,
        ...(this.options.retention ? { retention: this.options.retention } : {}),
      };
      this.writer = await EmbeddedWriterLink.start(
        this.options.writerEntry ?? WRITER_ENTRY,
        settings,
        this.writerEvents(),
        this.logger,
      );
    } catch (err) {
      database.db.close();
      throw new Error(`cannot start the embedded store's writer for ${file}: ${errorMessage(err)}`);
    }
    this.database = database;
    if (this.unsent() > 0) this.schedule(0);
  }

  private writerEvents(): WriterEvents {
    return {
      settled: (count, outcome) => {
        this.settled += count;
        this.counters.buffered -= count;
        if (outcome === 'written') this.counters.written += count;
        else this.counters.dropped += count;
        this.resolveWaiters();
        if (this.unsent() > 0 || this.waiters.length > 0) {
          this.schedule(this.unsent() >= this.batchSize || this.waiters.length > 0 ? 0 : this.flushInterval);
        }
      },
      failed: (error) => {
        this.counters.failedWrites += 1;
        this.counters.lastError = error;
      },
      fatal: (error) => {
        this.counters.lastError = error;
        this.dropOldest(this.unsent());
      },
    };
  }

  private open(): EmbeddedDatabase {
    if (!this.database)
      throw new Error(this.closed ? 'the embedded store is closed' : 'the embedded store is not initialised');
    return this.database;
  }

  // Synchronous SQLite work behind the async interface: errors become rejections, never throws.
  private run<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  // Observations accepted and not yet handed to the writer thread.
  private unsent(): number {
    return this.buffer.length - this.head;
  }

  private schedule(delay: number): void {
    if (!this.database || this.closed) return;
    if (delay === 0) {
      if (this.immediate) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.sendNext();
      });
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.sendNext();
      }, delay).unref();
    }
  }

  // Hands one batch per turn to the writer thread, at most maxBatchesInFlight at a time.
  private sendNext(): void {
    const writer = this.writer;
    const count = Math.min(this.batchSize, this.unsent());
    if (count === 0 || !writer || writer.batchesInFlight >= this.maxBatchesInFlight) return;
    const batch = this.buffer.slice(this.head, this.head + count);
    this.take(count);
    writer.sendBatch(batch);
    if (this.unsent() >= this.batchSize || (this.unsent() > 0 && this.waiters.length > 0)) this.schedule(0);
    else if (this.unsent() > 0) this.schedule(this.flushInterval);
  }

  // Forgets the oldest unsent observations (sent, dropped or closed); they stay counted as buffered until settled.
  private take(count: number): void {
    this.head += count;
    // Drop consumed entries once they are most of the array, keeping take() amortised O(1).
    if (this.head >= 4096 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }

  private dropOldest(count: number): void {
    const dropped = Math.min(count, this.unsent());
    if (dropped <= 0) return;
    this.take(dropped);
    this.settled += dropped;
    this.counters.buffered -= dropped;
    this.counters.dropped += dropped;
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (this.settled >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}

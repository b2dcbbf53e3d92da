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
import { DEFAULT_RETRY, WriteQueue, type SendOutcome } from './write-queue.js';

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
  // Batches sealed before the writer thread is up wait for it.
  private started!: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.started = resolve));
  private closed = false;
  private readonly queue: WriteQueue<Observation>;
  /** Observations held unwritten before the oldest are dropped (config `store.embedded.maxBuffered`). */
  readonly maxBuffered: number;

  constructor(
    private readonly options: EmbeddedStoreOptions,
    private readonly logger: StoreLogger = quietLogger,
  ) {
    this.maxBuffered = options.maxBuffered ?? 500_000;
    // Batching, the buffer cap and batches in flight are the shared WriteQueue's; retries happen in
    // the writer thread, in order (server/store/embedded-writer.ts), so a batch comes back settled.
    this.queue = new WriteQueue<Observation>(
      (batch) => this.sendToWriter(batch),
      {
        batchSize: options.batchSize ?? 5000,
        flushInterval: options.flushInterval ?? 150,
        maxBuffered: this.maxBuffered,
        maxInFlight: Math.max(1, options.maxBatchesInFlight ?? 2),
        retry: DEFAULT_RETRY,
      },
      logger,
      'the embedded store',
    );
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
      this.queue.reject(observations.length);
      return;
    }
    for (const obs of observations) this.queue.add(obs);
  }

  /** The observations without an identical raw row (same entity, time, fields, position and tags). */
  unstored(observations: readonly Observation[]): Observation[] {
    const { statements } = this.open();
    return observations.filter((obs) => {
      const ts = Math.trunc(obs.ts);
      const fields = JSON.stringify(obs.fields);
      const tags = obs.tags && Object.keys(obs.tags).length > 0 ? JSON.stringify(obs.tags) : null;
      const hasPosition = obs.lat !== undefined && obs.lon !== undefined;
      for (const row of statements.entityRange.iterate(obs.domain, obs.id, ts, ts)) {
        if (row.fields === fields && row.tags === tags && row.lat === (hasPosition ? obs.lat : null) && row.lon === (hasPosition ? obs.lon : null)) {
          return false;
        }
      }
      return true;
    });
  }

  /** Resolves when every observation written before the call is committed or counted as dropped. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Latest state per entity, now or at a past time. */
  latest(options: LatestQueryOptions = {}): Promise<Observation[]> {
    return this.run(() => readLatest(this.open().statements, options));
  }

  /** One entity's history, raw or downsampled. */
  async history(options: HistoryQueryOptions): Promise<HistoryPoint[]> {
    const reading = readHistory(this.open().statements, options);
    for (;;) {
      const step = reading.next();
      if (step.done) return step.value;
      // Reads are synchronous: a long range gives /healthz, ingest and sockets a turn between chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
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
    return { ...this.queue.counters };
  }

  /** Commits what is buffered, stops the writer thread and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.database) await this.flush();
    this.closed = true;
    this.queue.abandon();
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
    this.started();
  }

  // One batch to the writer thread; the outcome comes back once it is committed or given up on.
  private async sendToWriter(batch: Observation[]): Promise<SendOutcome> {
    await this.ready;
    // Copying a batch to the thread costs the ingest thread a few ms: in a turn of its own, not on top of the write() that sealed it.
    await new Promise((resolve) => setImmediate(resolve));
    const writer = this.writer;
    if (!writer) return { kind: 'partial', dropped: batch.length, error: 'the embedded store is closed' };
    const result = await writer.sendBatch(batch);
    return result.outcome === 'written'
      ? { kind: 'written' }
      : { kind: 'partial', dropped: batch.length, error: result.error };
  }

  private writerEvents(): WriterEvents {
    return {
      failed: (error) => {
        this.queue.counters.failedWrites += 1;
        this.queue.counters.lastError = error;
      },
      fatal: (error) => {
        this.queue.counters.lastError = error;
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
}

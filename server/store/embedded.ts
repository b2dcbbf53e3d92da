import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Alert, HistoryPoint, Observation, Rule } from '../../contract/index.js';
import { readHistory, readLatest, readScan } from './embedded-read.js';
import { LatestMirror, type LatestState } from './embedded-latest.js';
import { openDatabase, type EmbeddedDatabase } from './embedded-schema.js';
import type { HistoryQueryOptions, LatestQueryOptions, ScanOptions, StoreStats, TelemetryStore } from './types.js';
import { errorMessage, quietLogger, type StoreLogger } from './types-logger.js';

export interface EmbeddedStoreOptions {
  /** Directory of the SQLite file (created if missing). */
  dataDir: string;
  fileName?: string;
  /** A partly filled batch is committed after this many ms. */
  flushInterval?: number;
  /** Observations per transaction. */
  batchSize?: number;
  /** Observations held while writes fail; beyond this the oldest are dropped and counted. */
  maxBuffered?: number;
}

// A batch failing this many times in a row is dropped (counted) so one bad batch cannot wedge the store.
const MAX_ATTEMPTS = 5;

/**
 * The default store: one SQLite file (better-sqlite3, WAL). `write` only buffers; batches are
 * committed in one transaction each, a batch per event-loop turn, so the caller never waits on disk.
 */
export class EmbeddedStore implements TelemetryStore {
  readonly kind = 'embedded' as const;
  private database: EmbeddedDatabase | undefined;
  private buffer: Observation[] = [];
  private head = 0;
  private accepted = 0;
  private settled = 0;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private waiters: { target: number; resolve: () => void }[] = [];
  private closed = false;
  private readonly counters: StoreStats = { written: 0, buffered: 0, dropped: 0, failedWrites: 0 };
  private readonly flushInterval: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private commitBatch: ((batch: readonly Observation[]) => void) | undefined;

  constructor(
    private readonly options: EmbeddedStoreOptions,
    private readonly logger: StoreLogger = quietLogger,
  ) {
    this.flushInterval = options.flushInterval ?? 150;
    this.batchSize = options.batchSize ?? 5000;
    this.maxBuffered = options.maxBuffered ?? 500_000;
  }

  /** Opens the file, sets WAL mode and creates tables and indexes. */
  init(): Promise<void> {
    if (this.database) return Promise.resolve();
    const file = path.join(this.options.dataDir, this.options.fileName ?? 'ioc.sqlite');
    try {
      mkdirSync(this.options.dataDir, { recursive: true });
      this.database = openDatabase(file);
    } catch (err) {
      return Promise.reject(new Error(`cannot open the embedded store at ${file}: ${errorMessage(err)}`));
    }
    const { db, statements } = this.database;
    const mirror = new LatestMirror();
    mirror.load(statements.latestRows.iterate({ domains: null }));
    const transaction = db.transaction((batch: readonly Observation[], changed: Map<string, LatestState>) => {
      for (const obs of batch) {
        const tags = obs.tags && Object.keys(obs.tags).length > 0 ? JSON.stringify(obs.tags) : null;
        const hasPosition = obs.lat !== undefined && obs.lon !== undefined;
        const ts = Math.trunc(obs.ts);
        statements.insert.run(
          obs.domain,
          obs.id,
          ts,
          hasPosition ? obs.lat! : null,
          hasPosition ? obs.lon! : null,
          JSON.stringify(obs.fields),
          tags,
        );
        mirror.merge(changed, obs, ts, tags);
      }
      // One row per entity per batch, however many observations it reported.
      for (const s of changed.values()) {
        statements.replaceLatest.run(s.domain, s.id, s.ts, s.lat, s.lon, JSON.stringify(s.fields), s.tags);
      }
    });
    this.commitBatch = (batch) => {
      const changed = new Map<string, LatestState>();
      transaction(batch, changed);
      mirror.apply(changed);
    };
    if (this.buffered() > 0) this.schedule(0);
    return Promise.resolve();
  }

  /** Buffers observations; never throws, never waits. */
  write(observations: readonly Observation[]): void {
    if (this.closed) {
      this.counters.dropped += observations.length;
      return;
    }
    for (const obs of observations) this.buffer.push(obs);
    this.accepted += observations.length;
    this.counters.buffered += observations.length;
    if (this.buffered() > this.maxBuffered) this.dropOldest(this.buffered() - this.maxBuffered);
    this.schedule(this.buffered() >= this.batchSize ? 0 : this.flushInterval);
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

  /** Throws when the file is not open or not readable. */
  ping(): Promise<void> {
    return this.run(() => {
      this.open().db.prepare('SELECT 1').get();
    });
  }

  /** Write counters (a fresh copy). */
  stats(): StoreStats {
    return { ...this.counters };
  }

  /** Commits what is buffered and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.database) await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.dropOldest(this.buffered());
    try {
      this.database?.db.close();
    } catch (err) {
      this.logger.error('closing the embedded store failed', { error: errorMessage(err) });
    }
    this.database = undefined;
  }

  /** Stores (replaces) a rule. */
  saveRule(rule: Rule): Promise<void> {
    return this.run(() => void this.open().statements.saveRule.run(rule.id, JSON.stringify(rule)));
  }

  /** Deletes a rule; unknown ids are ignored. */
  deleteRule(id: string): Promise<void> {
    return this.run(() => void this.open().statements.deleteRule.run(id));
  }

  /** Every rule, by id. */
  loadRules(): Promise<Rule[]> {
    return this.run(() =>
      this.open()
        .statements.loadRules.all()
        .map((row) => JSON.parse(row.json) as Rule),
    );
  }

  /** Stores an alert version unless a newer one (by updatedAt) is already stored. */
  saveAlert(alert: Alert): Promise<void> {
    return this.saveAlerts([alert]);
  }

  /** Stores alert versions in one transaction (all or none); per id, a stored newer version is kept. */
  saveAlerts(alerts: readonly Alert[]): Promise<void> {
    return this.run(() => void this.open().saveAlerts(alerts));
  }

  /** The newest version of each alert started at or after `since`. */
  loadAlerts(since?: number): Promise<Alert[]> {
    return this.run(() =>
      this.open()
        .statements.loadAlerts.all(since ?? Number.MIN_SAFE_INTEGER)
        .map((row) => JSON.parse(row.json) as Alert),
    );
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

  private buffered(): number {
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
        this.commitNext();
      });
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.commitNext();
      }, delay).unref();
    }
  }

  // Commits one batch per turn so a large backlog never blocks the event loop for long.
  private commitNext(): void {
    const count = Math.min(this.batchSize, this.buffered());
    if (count === 0 || !this.commitBatch) return;
    const batch = this.buffer.slice(this.head, this.head + count);
    try {
      this.commitBatch(batch);
      this.attempts = 0;
      this.take(count);
      this.counters.written += count;
    } catch (err) {
      this.attempts += 1;
      this.counters.failedWrites += 1;
      this.counters.lastError = errorMessage(err);
      if (this.attempts >= MAX_ATTEMPTS) {
        this.logger.error('embedded store write failed repeatedly; batch dropped', {
          error: this.counters.lastError,
          dropped: count,
        });
        this.attempts = 0;
        this.take(count);
        this.counters.dropped += count;
      } else {
        this.logger.warn('embedded store write failed; retrying', { error: this.counters.lastError });
        this.resolveWaiters();
        this.schedule(100 * 2 ** this.attempts);
        return;
      }
    }
    this.resolveWaiters();
    if (this.buffered() > 0) this.schedule(this.buffered() >= this.batchSize ? 0 : this.flushInterval);
    if (this.waiters.length > 0) this.schedule(0);
  }

  private take(count: number): void {
    this.head += count;
    this.settled += count;
    this.counters.buffered -= count;
    // Drop consumed entries once they are most of the array, keeping take() amortised O(1).
    if (this.head >= 4096 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }

  private dropOldest(count: number): void {
    if (count <= 0) return;
    this.take(count);
    this.counters.dropped += count;
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

import type { HistoryPoint, Observation } from '../../contract/index.js';
import { endpointOf, ident, InfluxHttp } from './influx-http.js';
import { observationToLine } from './influx-line.js';
import { queryFieldKeys, queryHistory, queryLatest } from './influx-read.js';
import { backfill, setUpRetention, type InfluxTiers } from './influx-retention.js';
import { scanInflux } from './influx-scan.js';
import { LineWriter } from './influx-writer.js';
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

export interface InfluxStoreOptions {
  url: string;
  db: string;
  token?: string;
  batchSize: number;
  flushInterval: number;
  /** A partly filled batch is also sent once no observation has come for this many ms. */
  idleFlush?: number;
  maxBufferLines: number;
  maxConcurrent?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long close() waits for buffered lines before counting them as dropped. */
  closeTimeoutMs?: number;
  /** Retention policies and the downsampling continuous query (server/store/influx-retention.ts); absent: left alone. */
  retention?: RetentionOptions;
}

/**
 * The production store: InfluxDB through the v1-compatible HTTP API (line protocol `/write`,
 * InfluxQL `/query`) that InfluxDB 1.x, 2.x and 3.x serve. Observations are batched by a LineWriter.
 */
export class InfluxStore implements TelemetryStore {
  readonly kind = 'influx' as const;
  private readonly http: InfluxHttp;
  private readonly writer: LineWriter;
  private closed = false;
  // Set once retention is set up: reads of moments older than the raw retention go to the minutes.
  private tiers: InfluxTiers | undefined;
  private rawPolicy: string | undefined;
  private retentionReady: Promise<void> = Promise.resolve();
  /** Lines held before the oldest are dropped (config `influx.maxBufferLines`). */
  readonly maxBuffered: number;

  constructor(
    private readonly options: InfluxStoreOptions,
    private readonly logger: StoreLogger = quietLogger,
  ) {
    this.http = new InfluxHttp({ url: options.url, db: options.db, token: options.token });
    this.writer = new LineWriter(this.http, options, logger);
    this.maxBuffered = options.maxBufferLines;
  }

  /** Checks the server answers and creates the database (2.x/3.x: the bucket must already exist). */
  async init(): Promise<void> {
    try {
      await this.http.ping();
    } catch (err) {
      throw new Error(`InfluxDB at ${endpointOf(this.options).base} is unreachable: ${errorMessage(err)}`);
    }
    try {
      await this.http.query(`CREATE DATABASE ${ident(this.options.db)}`, 'POST');
    } catch (err) {
      this.logger.warn('could not create the InfluxDB database; assuming it exists', {
        db: this.options.db,
        error: errorMessage(err),
      });
    }
    if (this.options.retention) {
      const setUp = await setUpRetention(this.http, this.options.db, this.options.retention, this.logger, Date.now, () => this.closed);
      this.useTiers(setUp.tiers);
      // A backfill of old data runs on in the background; reads move to the tiers once it is done.
      this.retentionReady = setUp.ready.then((tiers) => {
        if (!this.closed) this.useTiers(tiers);
      });
    }
  }

  private useTiers(tiers: InfluxTiers | undefined): void {
    this.tiers = tiers;
    if (tiers) this.rawPolicy = tiers.rawRp;
  }

  /** Resolves once retention is fully set up, old data downsampled included (at once when there was none). */
  whenRetentionReady(): Promise<void> {
    return this.retentionReady;
  }

  /**
   * Runs the continuous query's own downsampling over [from, to) now (InfluxDB's documented backfill):
   * for tests, which cannot wait for InfluxDB's schedule. Does nothing when retention is not set up.
   */
  async downsample(from: number, to: number): Promise<void> {
    if (this.rawPolicy === undefined) return;
    await backfill(this.http, this.options.db, this.rawPolicy, from, to);
  }

  /** Queues observations as lines; never throws, never waits. */
  write(observations: readonly Observation[]): void {
    if (this.closed) {
      this.writer.reject(observations.length);
      return;
    }
    let empty = 0;
    for (const obs of observations) {
      try {
        const line = observationToLine(obs);
        if (line === undefined) empty += 1;
        else this.writer.add(line);
      } catch (err) {
        empty += 1;
        this.logger.error('could not encode an observation', { error: errorMessage(err) });
      }
    }
    // A line needs a field: an observation without fields or position cannot be stored.
    if (empty > 0) this.writer.reject(empty);
  }

  /** Resolves when every observation written before is stored or counted as dropped. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Latest state per entity (fields merged by last(*), position and tags from the newest rows). */
  latest(options: LatestQueryOptions = {}): Promise<Observation[]> {
    return queryLatest(this.http, options, this.tiers);
  }

  /** One entity's history, raw or downsampled. */
  history(options: HistoryQueryOptions): Promise<HistoryPoint[]> {
    return queryHistory(this.http, options, this.tiers);
  }

  /** Field names and kinds, from SHOW FIELD KEYS (every field of each domain, whatever the window). */
  fieldKeys(options: FieldKeysOptions): Promise<FieldKey[]> {
    return queryFieldKeys(this.http, options, this.tiers);
  }

  /** Observations in [from, to] across domains, oldest first, in chunks. */
  scan(options: ScanOptions): AsyncIterable<Observation[]> {
    return scanInflux(this.http, options, this.tiers);
  }

  /** Throws when InfluxDB does not answer /ping. */
  ping(): Promise<void> {
    return this.http.ping();
  }

  /** Write counters (a fresh copy). */
  stats(): StoreStats {
    return { ...this.writer.counters };
  }

  /** Flushes (bounded by closeTimeoutMs; what is left is counted as dropped) and stops the writer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const timeoutMs = this.options.closeTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.writer.flush().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const { buffered } = this.writer.counters;
      this.logger.error('InfluxDB unreachable at shutdown; buffered observations dropped', { buffered });
    }
    this.writer.abandon();
    // The POSTs still out settle on their own (written, or dropped now that the writer stopped): wait
    // for them within what is left of the timeout, so the counters are final once close() returns.
    if (!timedOut) await this.writer.idle();
    else await Promise.race([this.writer.idle(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.http.close();
  }
}

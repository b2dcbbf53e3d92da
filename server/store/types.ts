import type { HistoryPoint, Observation } from '../../contract/index.js';
import type { FieldKind } from '../../contract/legal.js';

/** Counters every store reports on /metrics and /readyz. */
export interface StoreStats {
  /** Observations durably written. */
  written: number;
  /** Observations waiting in the write buffer. */
  buffered: number;
  /** Observations given up on (buffer overflow, rejected by the database); never silent. */
  dropped: number;
  /** Write attempts that failed and were retried or dropped. */
  failedWrites: number;
  lastError?: string;
}

export interface HistoryQueryOptions {
  domain: string;
  id: string;
  from: number;
  to: number;
  /** Restrict to these fields; all fields when absent. */
  fields?: string[];
  /** Downsample into buckets of this many ms: numeric fields averaged, others take the last value. */
  every?: number;
}

export interface LatestQueryOptions {
  domains?: string[];
  /** State as it was at this time (replay); now when absent. */
  at?: number;
  /** Only entities that reported within this many ms before `at` (default: no limit). */
  lookback?: number;
}

export interface ScanOptions {
  from: number;
  to: number;
  domains?: string[];
  /** Observations per yielded chunk. */
  chunkSize?: number;
}

export interface FieldKeysOptions {
  from: number;
  to: number;
  domains?: string[];
  /**
   * Only the kinds new writes must match: InfluxDB's raw retention policy, not the downsampled one, whose
   * means of an integer field are floats.
   */
  rawOnly?: boolean;
}

/** A field a domain holds, and the kind of its values (mixed kinds merged by `mergeFieldKinds`). */
export interface FieldKey {
  domain: string;
  field: string;
  kind: FieldKind;
}

/**
 * The time-series store: observations only (rules, alerts and the rest live in the StateStore).
 * `write` buffers and returns at once: it never throws and never blocks the ingest path; failures
 * are retried, and what cannot be kept is counted in `stats().dropped`.
 */
export interface TelemetryStore {
  readonly kind: 'influx' | 'embedded';
  /** Observations the write buffer holds before it drops the oldest: the pipeline's backpressure marks derive from it. */
  readonly maxBuffered: number;
  /** Prepares the database (creates it, tables, indexes); throws with a clear message when unreachable. */
  init(): Promise<void>;
  write(observations: readonly Observation[]): void;
  /**
   * The observations the store does not hold yet, exactly as given: the write-ahead log's replay writes only
   * those, so a row written just before a crash is not stored twice. Absent: writing again is harmless
   * (InfluxDB overwrites a point with the same series and time).
   */
  unstored?(observations: readonly Observation[]): Observation[];
  /** Resolves when everything written before the call is stored (or counted as dropped). */
  flush(): Promise<void>;
  /** Latest state per entity: each field's last value and the last position at or before `at`. */
  latest(options?: LatestQueryOptions): Promise<Observation[]>;
  /** One entity's history, raw or downsampled, oldest first. */
  history(options: HistoryQueryOptions): Promise<HistoryPoint[]>;
  /** Every observation in [from, to] across entities, oldest first, in chunks (replay, backtest). */
  scan(options: ScanOptions): AsyncIterable<Observation[]>;
  /**
   * The field names (position excluded) with values in [from, to], from the store's own catalogue
   * rather than the rows: InfluxDB's SHOW FIELD KEYS (every field of the domain, whatever the window),
   * the embedded store's field catalogue (each field's first and last time).
   */
  fieldKeys(options: FieldKeysOptions): Promise<FieldKey[]>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  stats(): StoreStats;
  /** Flushes and releases connections/files. */
  close(): Promise<void>;
}

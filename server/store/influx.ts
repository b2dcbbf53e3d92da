import type { Alert, HistoryPoint, Observation, Rule } from '../../contract/index.js';
import { ident, InfluxHttp, rowsOf } from './influx-http.js';
import { lineBodies, metaLine, observationToLine } from './influx-line.js';
import { ALERTS_MEASUREMENT, queryHistory, queryLatest, RULES_MEASUREMENT, scanInflux } from './influx-read.js';
import { LineWriter } from './influx-writer.js';
import type { HistoryQueryOptions, LatestQueryOptions, ScanOptions, StoreStats, TelemetryStore } from './types.js';
import { errorMessage, quietLogger, type StoreLogger } from './types-logger.js';

export interface InfluxStoreOptions {
  url: string;
  db: string;
  token?: string;
  batchSize: number;
  flushInterval: number;
  maxBufferLines: number;
  maxConcurrent?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long close() waits for buffered lines before counting them as dropped. */
  closeTimeoutMs?: number;
}

/** Most alert lines in one `/write`. */
export const ALERT_LINES_PER_WRITE = 5000;
// Well under InfluxDB 1.x's default 25 MB `max-body-size`, even for long alert histories in UTF-8.
const ALERT_CHARS_PER_WRITE = 4_000_000;

/**
 * The production store: InfluxDB through the v1-compatible HTTP API (line protocol `/write`,
 * InfluxQL `/query`) that InfluxDB 1.x, 2.x and 3.x serve. Observations are batched by a
 * LineWriter; rules and alerts are written at once as JSON string fields of their own measurements.
 */
export class InfluxStore implements TelemetryStore {
  readonly kind = 'influx' as const;
  private readonly http: InfluxHttp;
  private readonly writer: LineWriter;
  private lastMetaTs = 0;
  private closed = false;

  constructor(
    private readonly options: InfluxStoreOptions,
    private readonly logger: StoreLogger = quietLogger,
  ) {
    this.http = new InfluxHttp({ url: options.url, db: options.db, token: options.token });
    this.writer = new LineWriter(this.http, options, logger);
  }

  /** Checks the server answers and creates the database (2.x/3.x: the bucket must already exist). */
  async init(): Promise<void> {
    try {
      await this.http.ping();
    } catch (err) {
      throw new Error(`InfluxDB at ${this.options.url} is unreachable: ${errorMessage(err)}`);
    }
    try {
      await this.http.query(`CREATE DATABASE ${ident(this.options.db)}`, 'POST');
    } catch (err) {
      this.logger.warn('could not create the InfluxDB database; assuming it exists', {
        db: this.options.db,
        error: errorMessage(err),
      });
    }
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
    return queryLatest(this.http, options);
  }

  /** One entity's history, raw or downsampled. */
  history(options: HistoryQueryOptions): Promise<HistoryPoint[]> {
    return queryHistory(this.http, options);
  }

  /** Observations in [from, to] across domains, oldest first, in chunks. */
  scan(options: ScanOptions): AsyncIterable<Observation[]> {
    return scanInflux(this.http, options);
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
    this.http.close();
  }

  /** Stores a rule version (the newest write wins). */
  async saveRule(rule: Rule): Promise<void> {
    await this.writeMeta(
      metaLine(RULES_MEASUREMENT, 'rule', rule.id, { json: JSON.stringify(rule), deleted: false }, this.metaTs()),
    );
  }

  /** Writes a tombstone: the rule is no longer loaded. */
  async deleteRule(id: string): Promise<void> {
    await this.writeMeta(metaLine(RULES_MEASUREMENT, 'rule', id, { json: '', deleted: true }, this.metaTs()));
  }

  /** Every rule whose newest version is not a tombstone, by id. */
  async loadRules(): Promise<Rule[]> {
    const [result] = await this.http.query(
      `SELECT last("json") AS "json", last("deleted") AS "deleted" FROM ${ident(RULES_MEASUREMENT)} GROUP BY "rule"`,
    );
    const rules: Rule[] = [];
    for (const series of result?.series ?? []) {
      const row = rowsOf(series)[0];
      if (!row || row.deleted === true || typeof row.json !== 'string' || row.json === '') continue;
      rules.push(JSON.parse(row.json) as Rule);
    }
    return rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Stores an alert version at its updatedAt time, so the newest version wins whatever the save order. */
  saveAlert(alert: Alert): Promise<void> {
    return this.saveAlerts([alert]);
  }

  /**
   * Stores alert versions as one line-protocol POST per chunk of at most ALERT_LINES_PER_WRITE lines,
   * chunks one after another. Rejects on the first failed chunk; saving the batch again is harmless
   * (a version is a point at its updatedAt time, and the same point overwrites itself).
   */
  async saveAlerts(alerts: readonly Alert[]): Promise<void> {
    for (const body of lineBodies(alerts.map(alertLine), ALERT_LINES_PER_WRITE, ALERT_CHARS_PER_WRITE)) {
      await this.writeMeta(body);
    }
  }

  /** The newest version of each alert started at or after `since`. */
  async loadAlerts(since?: number): Promise<Alert[]> {
    const where = since === undefined ? '' : ` WHERE "startedAt" >= ${Number(since)}`;
    const [result] = await this.http.query(
      `SELECT last("json") AS "json" FROM ${ident(ALERTS_MEASUREMENT)}${where} GROUP BY "alert"`,
    );
    const alerts: Alert[] = [];
    for (const series of result?.series ?? []) {
      const row = rowsOf(series)[0];
      if (row && typeof row.json === 'string') alerts.push(JSON.parse(row.json) as Alert);
    }
    return alerts.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  }

  // Strictly increasing times keep save/delete order within this process (same time = overwrite).
  private metaTs(): number {
    this.lastMetaTs = Math.max(Date.now(), this.lastMetaTs + 1);
    return this.lastMetaTs;
  }

  private async writeMeta(body: string): Promise<void> {
    const res = await this.http.write(body);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`InfluxDB /write answered ${res.status}: ${res.body.slice(0, 300)}`);
    }
  }
}

/** An alert version as a line of the alerts measurement: tag `alert` = id, at its updatedAt time. */
function alertLine(alert: Alert): string {
  const fields = { json: JSON.stringify(alert), startedAt: alert.startedAt };
  return metaLine(ALERTS_MEASUREMENT, 'alert', alert.id, fields, Math.trunc(alert.updatedAt));
}

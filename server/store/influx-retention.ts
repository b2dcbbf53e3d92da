import { ident, msTime, type InfluxHttp } from './influx-http.js';
import { DOWNSAMPLE_BUCKET_MS, type RetentionOptions } from './retention.js';
import { errorMessage, type StoreLogger } from './types-logger.js';

/** The retention policy holding the 1-minute rows (the raw data stays in the database's default policy). */
export const DOWNSAMPLED_RP = 'ioc_downsampled';
/** The continuous query that fills it. */
export const DOWNSAMPLE_CQ = 'ioc_downsample_1m';
/** Late data still folded in: each run recomputes this much before its own interval. */
const LATE_MS = 10 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A backfill runs an hour at a time (1 000 entities at 1 Hz: 3.6 M points a query), each with a long timeout. */
const BACKFILL_STEP_MS = HOUR_MS;
const BACKFILL_QUERY_TIMEOUT_MS = 10 * 60_000;

/** What reads need to know once retention is set up: where the old minutes are. */
export interface InfluxTiers {
  downRp: string;
  rawMs: number;
  /** The database's default policy, where raw lines are written. */
  rawRp: string;
}

/**
 * The downsampling query (server/store/retention.ts): per entity (every tag) and minute, the mean of
 * every numeric field (`mean_<field>`) and the last value of every field (`last_<field>`, position
 * included), into the downsampled policy under the same measurement name. The continuous query runs
 * it without `where`; a backfill runs the very same text with a time range, InfluxDB's documented
 * way to backfill a continuous query.
 */
export function downsampleQuery(db: string, rawRp: string, where = ''): string {
  return (
    `SELECT mean(*), last(*) INTO ${ident(db)}.${ident(DOWNSAMPLED_RP)}.:MEASUREMENT ` +
    `FROM ${ident(db)}.${ident(rawRp)}./.*/${where} GROUP BY time(${DOWNSAMPLE_BUCKET_MS / 60_000}m), *`
  );
}

/** How a long backfill reports and stops. */
export interface BackfillControl {
  /** Called after each hour with the hours done and the hours in all. */
  progress?(done: number, total: number): void;
  /** Checked before each hour: true stops the backfill (a shutdown), which then resolves false. */
  stopped?(): boolean;
}

/**
 * Runs the downsampling query over [from, to) (whole minutes), an hour at a time; used at start-up and by
 * tests. Resolves true once done, false when stopped first.
 */
export async function backfill(
  http: InfluxHttp,
  db: string,
  rawRp: string,
  from: number,
  to: number,
  control: BackfillControl = {},
): Promise<boolean> {
  const total = Math.ceil((to - from) / BACKFILL_STEP_MS);
  let done = 0;
  for (let start = from; start < to; start += BACKFILL_STEP_MS) {
    if (control.stopped?.()) return false;
    const end = Math.min(to, start + BACKFILL_STEP_MS);
    const where = ` WHERE time >= ${msTime(start)} AND time < ${msTime(end)}`;
    await http.query(downsampleQuery(db, rawRp, where), 'POST', BACKFILL_QUERY_TIMEOUT_MS);
    control.progress?.(++done, total);
  }
  return true;
}

/** A Go duration as InfluxDB prints it ("720h0m0s", "0s" = infinite) in ms. */
export function parseGoDuration(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|µs|us|ns)/g)) {
    const factor = { h: HOUR_MS, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 }[unit as 'h'];
    ms += Number(n) * factor;
  }
  return ms;
}

/** InfluxDB's own shard group duration for a policy this long (smaller shards expire closer to the limit). */
function shardDuration(ms: number): string {
  return ms < 2 * DAY_MS ? '1h' : ms < 180 * DAY_MS ? '1d' : '7d';
}

/** Whole seconds, as InfluxQL durations take them. */
function seconds(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

interface Policy {
  name: string;
  durationMs: number;
  isDefault: boolean;
}

async function policies(http: InfluxHttp, db: string): Promise<Policy[]> {
  const [result] = await http.query(`SHOW RETENTION POLICIES ON ${ident(db)}`);
  return (result?.series?.[0]?.values ?? []).map((v) => ({
    name: String(v[0]),
    durationMs: parseGoDuration(String(v[1])),
    isDefault: v[4] === true,
  }));
}

/** The start of the oldest shard of a policy: where a backfill of its data begins. */
async function oldestShard(http: InfluxHttp, db: string, rp: string): Promise<number | undefined> {
  const [result] = await http.query('SHOW SHARDS');
  let oldest: number | undefined;
  for (const series of result?.series ?? []) {
    if (series.name !== db) continue;
    for (const values of series.values ?? []) {
      if (values[2] !== rp) continue;
      const start = Date.parse(String(values[4]));
      if (Number.isFinite(start)) oldest = Math.min(oldest ?? start, start);
    }
  }
  return oldest;
}

/** Refuses durations InfluxDB cannot keep, naming the config key. */
function checkDurations(retention: RetentionOptions): void {
  if (retention.rawMs < HOUR_MS)
    throw new Error('store.retention.raw must be at least 1h with InfluxDB (its shortest retention policy)');
  if (retention.downsampledMs < HOUR_MS)
    throw new Error('store.retention.downsampled must be at least 1h with InfluxDB');
}

/**
 * Sets up retention on the database, idempotently (every start, on every node): the downsampled
 * policy at its duration, the continuous query at the configured interval, and the default policy
 * shortened to the raw retention. When that shortens it (the first start with retention, or a
 * shorter setting) the data about to expire is first downsampled, so nothing is lost. Answers
 * undefined, with a warning, where InfluxDB manages retention itself (2.x/3.x buckets refuse these
 * statements): reads then stay on raw data.
 */
/** Retention once set up: the tiers reads use now, and, while old data is still being downsampled, when that ends. */
export interface RetentionSetUp {
  /** Undefined while a backfill runs (the raw policy still holds everything: reads stay on it) or when not set up. */
  tiers: InfluxTiers | undefined;
  /** Resolves with the tiers once the backfill has run and the raw policy is shortened (undefined if it failed or stopped). */
  ready: Promise<InfluxTiers | undefined>;
}

export async function setUpRetention(
  http: InfluxHttp,
  db: string,
  retention: RetentionOptions,
  logger: StoreLogger,
  now: () => number = Date.now,
  stopped: () => boolean = () => false,
): Promise<RetentionSetUp> {
  const none: RetentionSetUp = { tiers: undefined, ready: Promise.resolve(undefined) };
  if (!retention.enabled) return none;
  checkDurations(retention);
  try {
    const existing = await policies(http, db);
    const raw = existing.find((p) => p.isDefault);
    if (!raw) throw new Error(`database ${db} has no default retention policy`);
    const down = existing.find((p) => p.name === DOWNSAMPLED_RP);
    const duration = `DURATION ${seconds(retention.downsampledMs)}`;
    const shards = `SHARD DURATION ${shardDuration(retention.downsampledMs)}`;
    if (!down) {
      await http.query(
        `CREATE RETENTION POLICY ${ident(DOWNSAMPLED_RP)} ON ${ident(db)} ${duration} REPLICATION 1 ${shards}`,
        'POST',
      );
    } else if (down.durationMs !== Math.round(retention.downsampledMs / 1000) * 1000) {
      await http.query(`ALTER RETENTION POLICY ${ident(DOWNSAMPLED_RP)} ON ${ident(db)} ${duration} ${shards}`, 'POST');
    }
    await createContinuousQuery(http, db, raw.name, retention.intervalMs);
    const tiers: InfluxTiers = { downRp: DOWNSAMPLED_RP, rawMs: retention.rawMs, rawRp: raw.name };
    const rawMs = Math.round(retention.rawMs / 1000) * 1000;
    const shorten = () =>
      http.query(
        `ALTER RETENTION POLICY ${ident(raw.name)} ON ${ident(db)} DURATION ${seconds(rawMs)} SHARD DURATION ${shardDuration(rawMs)}`,
        'POST',
      );
    if (raw.durationMs === rawMs) return { tiers, ready: Promise.resolve(tiers) };
    const to = Math.floor((now() - rawMs) / DOWNSAMPLE_BUCKET_MS) * DOWNSAMPLE_BUCKET_MS;
    const from = raw.durationMs === 0 || raw.durationMs > rawMs ? await oldestShard(http, db, raw.name) : undefined;
    if (from === undefined || from >= to) {
      await shorten();
      return { tiers, ready: Promise.resolve(tiers) };
    }
    // Months of raw data take hours to downsample: the product starts at once and reads stay on the raw
    // policy, which still holds everything, until the backfill is done and only then shortened. Stopped
    // part-way (a shutdown), the policy stays as it was and the next start runs the backfill again.
    logger.info('downsampling data older than the raw retention in the background before shortening it', { db, from, to });
    let reported = 0;
    const ready = backfill(http, db, raw.name, from, to, {
      stopped,
      progress(done, total) {
        if (done !== total && done - reported < Math.max(1, total / 20)) return;
        reported = done;
        logger.info('downsampling old data', { db, hoursDone: done, hours: total });
      },
    }).then(
      async (finished) => {
        if (!finished) return undefined;
        await shorten();
        logger.info('old data downsampled; raw retention now in force', { db });
        return tiers;
      },
      (err: unknown) => {
        logger.warn('downsampling old data failed; the raw policy keeps everything, reads stay on it; retried at the next start', {
          db,
          error: errorMessage(err),
        });
        return undefined;
      },
    );
    return { tiers: undefined, ready };
  } catch (err) {
    logger.warn('InfluxDB retention and downsampling not set up; reads stay on raw data', {
      db,
      error: errorMessage(err),
    });
    return none;
  }
}

async function createContinuousQuery(http: InfluxHttp, db: string, rawRp: string, intervalMs: number): Promise<void> {
  const [result] = await http.query('SHOW CONTINUOUS QUERIES');
  // A database without continuous queries answers a series with no `values` at all.
  const ours = result?.series?.find((s) => s.name === db)?.values?.some((v) => v[0] === DOWNSAMPLE_CQ) ?? false;
  // Dropped and made again, so a changed interval takes effect; the query text never changes otherwise.
  if (ours) {
    try {
      await http.query(`DROP CONTINUOUS QUERY ${ident(DOWNSAMPLE_CQ)} ON ${ident(db)}`, 'POST');
    } catch (err) {
      // Another node of the cluster dropped it first.
      if (!/not found|does not exist/i.test(errorMessage(err))) throw err;
    }
  }
  const every = Math.max(1000, Math.round(intervalMs / 1000) * 1000);
  const resample = `RESAMPLE EVERY ${seconds(every)} FOR ${seconds(Math.max(every + LATE_MS, DOWNSAMPLE_BUCKET_MS))}`;
  try {
    await http.query(
      `CREATE CONTINUOUS QUERY ${ident(DOWNSAMPLE_CQ)} ON ${ident(db)} ${resample} BEGIN ${downsampleQuery(db, rawRp)} END`,
      'POST',
    );
  } catch (err) {
    // Another node of the cluster made it between our drop and create.
    if (!/already exists/i.test(errorMessage(err))) throw err;
  }
}

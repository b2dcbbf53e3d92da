import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InfluxStore, type InfluxStoreOptions } from '../../server/store/influx.js';
import { DOWNSAMPLE_CQ, DOWNSAMPLED_RP, downsampleQuery } from '../../server/store/influx-retention.js';
import type { RetentionOptions } from '../../server/store/retention.js';
import { waitFor } from '../support/ports.js';
import { influxQuery, startInfluxd, uniqueName, type RunningService } from '../support/services.js';
import { expectOldMomentsAnswer, oldMinute, retentionFixture } from './retention-contract.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// InfluxDB's shortest retention policy is 1 h; its continuous query runs every second here.
const RETENTION: RetentionOptions = { enabled: true, rawMs: HOUR, downsampledMs: 30 * DAY, intervalMs: 1000 };

let influxd: RunningService;

beforeAll(async () => {
  // influxd reads INFLUXDB_<SECTION>_<KEY> over its config file: expired shards are checked for every
  // second instead of every 30 minutes, so the test can await the raw data's deletion.
  process.env.INFLUXDB_RETENTION_CHECK_INTERVAL = '1s';
  try {
    influxd = await startInfluxd();
  } finally {
    delete process.env.INFLUXDB_RETENTION_CHECK_INTERVAL;
  }
});

afterAll(async () => {
  await influxd?.stop();
});

const warnings: string[] = [];
const infos: { message: string; extra?: Record<string, unknown> }[] = [];
/** Records warnings: retention that could not be set up only warns, and the tests must see why. */
const logger = {
  info: (message: string, extra?: Record<string, unknown>) => void infos.push({ message, extra }),
  warn: (message: string, extra?: Record<string, unknown>) => warnings.push(`${message} ${JSON.stringify(extra)}`),
  error: (message: string, extra?: Record<string, unknown>) => warnings.push(`${message} ${JSON.stringify(extra)}`),
};

function options(db: string, retention?: RetentionOptions): InfluxStoreOptions {
  return {
    url: influxd.url,
    db,
    batchSize: 5000,
    flushInterval: 50,
    maxBufferLines: 500_000,
    ...(retention ? { retention } : {}),
  };
}

type Rows = { results: { series?: { name: string; columns: string[]; values?: unknown[][] }[] }[] };

/** Rows of one InfluxQL statement, times in ms, asked of influxd directly (not through the store). */
async function rows(db: string, q: string): Promise<unknown[][]> {
  const res = await fetch(`${influxd.url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q, db, epoch: 'ms' }),
  });
  const body = (await res.json()) as Rows;
  return body.results[0]?.series?.flatMap((s) => s.values ?? []) ?? [];
}

/** An existing database without retention: data a week old (in a shard group long ended) and a recent reading. */
async function databaseWithOldWeek(): Promise<{ db: string; old: number; recent: number }> {
  const db = uniqueName('ret');
  const old = oldMinute(8 * DAY);
  const recent = Date.now() - 5 * 60_000;
  const before = new InfluxStore(options(db));
  await before.init();
  before.write(retentionFixture(old, recent));
  await before.flush();
  await before.close();
  return { db, old, recent };
}

describe('InfluxDB retention', () => {
  beforeEach(() => {
    warnings.length = 0;
  });

  it('downsamples what the raw policy is about to drop, lets InfluxDB delete it, and still answers for old moments', async () => {
    const { db, old, recent } = await databaseWithOldWeek();

    // The first start with retention: the old week is backfilled into the minutes in the background, then the
    // raw policy shrinks. Until then reads stay on the raw policy, which still holds everything.
    const store = new InfluxStore(options(db, RETENTION), logger);
    try {
      await store.init();
      await store.whenRetentionReady();
      expect(warnings).toEqual([]);
      const policies = await rows(db, `SHOW RETENTION POLICIES ON "${db}"`);
      expect(policies).toEqual(
        expect.arrayContaining([
          ['autogen', '1h0m0s', '1h0m0s', 1, true],
          [DOWNSAMPLED_RP, '720h0m0s', '24h0m0s', 1, false],
        ]),
      );
      const cqs = await rows(db, 'SHOW CONTINUOUS QUERIES');
      const cq = cqs.find((v) => v[0] === DOWNSAMPLE_CQ);
      expect(String(cq?.[1])).toContain('RESAMPLE EVERY 1s FOR 601s');
      // The continuous query runs the very statement the backfill ran (InfluxDB prints it unquoted).
      expect(String(cq?.[1]).replaceAll('"', '')).toContain(downsampleQuery(db, 'autogen').replaceAll('"', ''));

      await waitFor(
        async () => (await rows(db, `SELECT count(*) FROM "autogen"./.*/ WHERE time < now() - 1h`)).length === 0,
        'InfluxDB to delete the expired raw shard',
        30_000,
        200,
      );
      const minute = await rows(
        db,
        `SELECT mean_pm25, last_note, last_ok, last_lat FROM "${DOWNSAMPLED_RP}"."sensor" WHERE time = ${old}ms`,
      );
      expect(minute).toEqual([[old, 20, 'c', false, 21.281]]);
      await expectOldMomentsAnswer(store, old, recent);
    } finally {
      await store.close();
      await influxQuery(influxd.url, `DROP DATABASE "${db}"`);
    }
  });

  it('downsamples old data in the background: a shutdown stops it with the raw policy untouched, the next start finishes it', async () => {
    const { db, old } = await databaseWithOldWeek();
    const rawPolicy = async () => (await rows(db, `SHOW RETENTION POLICIES ON "${db}"`)).find((p) => p[4] === true)?.[1];

    // Stopped right after start: about a week of hours to downsample, and the shutdown comes first.
    const stopped = new InfluxStore(options(db, RETENTION), logger);
    await stopped.init();
    await stopped.close();
    await stopped.whenRetentionReady();
    expect(await rawPolicy()).toBe('0s');

    infos.length = 0;
    const store = new InfluxStore(options(db, RETENTION), logger);
    try {
      await store.init();
      await store.whenRetentionReady();
      expect(warnings).toEqual([]);
      expect(await rawPolicy()).toBe('1h0m0s');
      // Progress is logged as it goes, the last line at every hour done.
      const progress = infos.filter((i) => i.message === 'downsampling old data').map((i) => i.extra);
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)?.hoursDone).toBe(progress.at(-1)?.hours);
      expect(progress.at(-1)?.hours).toBeGreaterThan(24 * 7);
      const minute = await rows(db, `SELECT mean_pm25 FROM "${DOWNSAMPLED_RP}"."sensor" WHERE time = ${old}ms`);
      expect(minute).toEqual([[old, 20]]);
    } finally {
      await store.close();
      await influxQuery(influxd.url, `DROP DATABASE "${db}"`);
    }
  });

  it("keeps the minutes filled by InfluxDB's own continuous query, idempotently across restarts", async () => {
    const db = uniqueName('ret');
    const first = new InfluxStore(options(db, RETENTION), logger);
    await first.init();
    await first.close();
    const store = new InfluxStore(options(db, RETENTION), logger);
    try {
      // A second start changes nothing and makes no second query.
      await store.init();
      expect(warnings).toEqual([]);
      expect((await rows(db, 'SHOW CONTINUOUS QUERIES')).filter((v) => v[0] === DOWNSAMPLE_CQ)).toHaveLength(1);
      const ts = Date.now() - 30_000;
      store.write([{ domain: 'sensor', id: 'CQ1', ts, fields: { pm25: 7, note: 'x' } }]);
      await store.flush();
      await waitFor(
        async () =>
          (await rows(db, `SELECT mean_pm25, last_note FROM "${DOWNSAMPLED_RP}"."sensor" WHERE id = 'CQ1'`)).length > 0,
        "the continuous query's minute",
        30_000,
        200,
      );
      const minute = await rows(db, `SELECT mean_pm25, last_note FROM "${DOWNSAMPLED_RP}"."sensor" WHERE id = 'CQ1'`);
      expect(minute).toEqual([[Math.floor(ts / 60_000) * 60_000, 7, 'x']]);
    } finally {
      await store.close();
      await influxQuery(influxd.url, `DROP DATABASE "${db}"`);
    }
  });

  it('refuses a raw retention InfluxDB cannot keep, naming the key', async () => {
    const store = new InfluxStore(options(uniqueName('ret'), { ...RETENTION, rawMs: 60_000 }));
    await expect(store.init()).rejects.toThrow(/store\.retention\.raw must be at least 1h/);
    await store.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../../server/store/embedded.js';
import type { RetentionOptions } from '../../server/store/retention.js';
import { waitFor } from '../support/ports.js';
import { B, expectOldMomentsAnswer, oldMinute, retentionFixture } from './retention-contract.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Short durations so the test's data is old at once; a pass every 100 ms, awaited by predicate.
const RETENTION: RetentionOptions = { enabled: true, rawMs: HOUR, downsampledMs: 10 * DAY, intervalMs: 100 };

const dirs: string[] = [];
const stores: EmbeddedStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function open(retention: RetentionOptions = RETENTION) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-retention-'));
  dirs.push(dataDir);
  const store = new EmbeddedStore({ dataDir, retention });
  stores.push(store);
  await store.init();
  // A second, independent connection to look at the tables themselves.
  const file = path.join(dataDir, 'ioc.sqlite');
  const count = (sql: string, ...args: number[]) => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare(sql).get(...args) as { n: number }).n;
    } finally {
      db.close();
    }
  };
  return { store, count, file };
}

describe('embedded store retention', () => {
  it('folds raw rows older than the raw retention into minutes, deletes them, and still answers for old moments', async () => {
    const { store, count } = await open();
    const old = oldMinute(3 * HOUR);
    const recent = Date.now() - 5 * 60_000;
    // Past the downsampled retention too: deleted outright.
    const ancient = oldMinute(20 * DAY);
    store.write([...retentionFixture(old, recent), { domain: 'sensor', id: 'S9', ts: ancient, fields: { pm25: 1 } }]);
    await store.flush();

    const boundary = Date.now() - HOUR;
    await waitFor(
      () =>
        count('SELECT count(*) AS n FROM observations WHERE ts < ?', boundary) === 0 &&
        count('SELECT count(*) AS n FROM observations_1m') === 3,
      'the old raw rows folded into three minutes',
      20_000,
      50,
    );
    expect(count('SELECT count(*) AS n FROM observations')).toBe(1);
    expect(count('SELECT count(*) AS n FROM observations_1m WHERE id = ?', 0)).toBe(0);
    await expectOldMomentsAnswer(store, old, recent);
    // The entity that only ever reported before the downsampled retention is gone from history.
    expect(await store.history({ domain: 'sensor', id: 'S9', from: ancient - HOUR, to: Date.now() })).toEqual([]);
  });

  it('merges a minute folded in two passes exactly, and counts how many values each mean covers', async () => {
    const { store, count, file } = await open();
    const old = oldMinute(3 * HOUR);
    store.write([
      { domain: 'sensor', id: 'S1', ts: old, fields: { pm25: 10, note: 'a' } },
      { domain: 'sensor', id: 'S1', ts: old + 20_000, fields: { pm25: 20, note: 'b' }, ...B },
    ]);
    await store.flush();
    await waitFor(() => count('SELECT count(*) AS n FROM observations') === 0, 'the first pass', 20_000, 50);
    // A late reading for the same minute arrives after it was folded.
    store.write([{ domain: 'sensor', id: 'S1', ts: old + 50_000, fields: { pm25: 60 } }]);
    await store.flush();
    await waitFor(() => count('SELECT count(*) AS n FROM observations') === 0, 'the second pass', 20_000, 50);
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT ts, last_ts, lat, lon, fields, counts FROM observations_1m').get() as Record<
        string,
        unknown
      >;
      expect(row).toEqual({
        ts: old,
        last_ts: old + 50_000,
        ...B,
        fields: JSON.stringify({ pm25: 30, note: 'b' }),
        counts: JSON.stringify({ pm25: 3 }),
      });
    } finally {
      db.close();
    }
  });

  it('keeps everything raw when retention is off', async () => {
    const { store, count } = await open({ ...RETENTION, enabled: false });
    const old = oldMinute(3 * HOUR);
    const recent = Date.now() - 5 * 60_000;
    store.write(retentionFixture(old, recent));
    await store.flush();
    // Nothing is scheduled to run: the rows are there, and no minute is made.
    expect(count('SELECT count(*) AS n FROM observations')).toBe(9);
    expect(count('SELECT count(*) AS n FROM observations_1m')).toBe(0);
    const history = await store.history({ domain: 'sensor', id: 'S1', from: old, to: recent });
    expect(history).toHaveLength(7);
  });
});

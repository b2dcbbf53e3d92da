import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStateStore } from '../../server/state/postgres-state.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { uniqueName } from '../support/services.js';

const STORM_SIZE = 1000;
// Transactions that stored the storm's rows: one saveAlerts is one transaction, and the alert writer
// gathers a storm into one call (measured: 1); one per alert would be 1 000.
const MAX_SAVE_TRANSACTIONS = 50;
// What a signed-in request may cost the state store at most: session read, user read, session touch.
const TRANSACTIONS_PER_PROBE = 3;
// Every other transaction the product commits during the storm, probes and polls set aside (measured: ~1).
const MAX_OTHER_TRANSACTIONS = 100;

const STORM_RULE = {
  id: 'storm-test',
  name: 'PM2.5 storm (test)',
  domain: 'sensor',
  match: { tags: { group: 'storm-test' } },
  condition: { field: 'pm25', op: '>', value: 100 },
  severity: 'warning',
};

interface Probe {
  path: string;
  status: number;
  ms: number;
}

/**
 * Transactions committed in one database, from PostgreSQL's cumulative statistics. A backend reports
 * its counts when idle (at most once a second) or when it exits, so a delta is an upper bound for
 * its window: counts of earlier transactions may arrive inside it, none from inside arrive later once
 * every backend has exited.
 */
async function committedTransactions(admin: pg.Client, db: string): Promise<number> {
  // Each query sees fresh statistics, not the snapshot of an earlier one.
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
    [db],
  );
  return Number(rows[0]?.n ?? NaN);
}

// A storm of 1 000 alerts must reach the state store in a handful of transactions, and the API must keep answering meanwhile.
describe('an alert storm on the PostgreSQL state store', () => {
  let postgres: RunningPostgres;
  let admin: pg.Client;
  let product: TestIoc | undefined;
  let reader: PostgresStateStore | undefined;
  let url: string;
  const db = uniqueName('storm').toLowerCase();

  beforeAll(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase(db);
    // On the maintenance database, so its own queries are not counted in the storm's database.
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    product = await startTestIoc({ mqtt: { port: 0 }, rules: [STORM_RULE], postgresUrl: url });
  });

  afterAll(async () => {
    await reader?.close();
    await product?.stop();
    await admin?.end();
    await postgres?.stop();
  });

  it('stores 1 000 alerts once each in a handful of transactions while /healthz and the rules API answer', async () => {
    const ioc = product!;
    reader = new PostgresStateStore({ url });
    await reader.init();
    const before = await committedTransactions(admin, db);

    const probes: Probe[] = [];
    let stormOver = false;
    const probeLoop = (async () => {
      for (let k = 0; !stormOver; k++) {
        const route = k % 2 === 0 ? '/healthz' : '/api/v1/rules';
        const started = performance.now();
        const res = await ioc.api.fetch(route, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        probes.push({ path: route, status: res.status, ms: performance.now() - started });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const base = Date.now() - 10_000;
    const storm = Array.from({ length: STORM_SIZE }, (_, i) => ({
      domain: 'sensor',
      id: `storm-${i}`,
      ts: base + i,
      tags: { group: 'storm-test' },
      fields: { pm25: 150 + (i % 50) },
    }));
    const started = performance.now();
    let polls = 0;
    try {
      const accepted = await fetch(`${ioc.baseUrl}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(storm),
      });
      expect(accepted.status).toBe(202);
      await waitFor(
        async () => {
          polls += 1;
          const stored = await reader!.loadAlerts();
          return stored.filter((a) => a.ruleId === STORM_RULE.id).length >= STORM_SIZE;
        },
        'every alert stored in PostgreSQL',
        30_000,
        50,
      );
    } finally {
      stormOver = true;
      await probeLoop;
    }
    const persistedMs = performance.now() - started;

    const stored = (await reader.loadAlerts()).filter((a) => a.ruleId === STORM_RULE.id);
    polls += 1;

    // Everything connected to the storm's database goes away; a backend's statistics are flushed before
    // it leaves pg_stat_activity, so the count read after that is complete.
    await reader.close();
    reader = undefined;
    await ioc.stop();
    product = undefined;
    await waitFor(
      async () => {
        const { rows } = await admin.query<{ n: string }>(
          'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
          [db],
        );
        return Number(rows[0]?.n) === 0;
      },
      'every connection to the storm database closed',
      15_000,
    );
    const transactions = (await committedTransactions(admin, db)) - before;

    // xmin is the transaction that wrote a row's current version: how many transactions stored the storm.
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    let writers: number;
    let rows: number;
    try {
      const { rows: counted } = await check.query<{ rows: string; writers: string }>(
        `SELECT count(*) AS rows, count(DISTINCT xmin::text) AS writers FROM alerts WHERE (json::jsonb)->>'ruleId' = $1`,
        [STORM_RULE.id],
      );
      rows = Number(counted[0]?.rows);
      writers = Number(counted[0]?.writers);
    } finally {
      await check.end();
    }

    const slowest = Math.max(...probes.map((p) => p.ms));
    const rulesProbes = probes.filter((p) => p.path === '/api/v1/rules').length;
    console.log(
      `alert storm on PostgreSQL: ${STORM_SIZE} alerts stored by ${writers} transaction(s) after ${persistedMs.toFixed(0)} ms; ` +
        `${transactions} transactions committed in the database meanwhile (${polls} of them the test's loadAlerts polls, ` +
        `the rest the product's, including the session lookups of ${rulesProbes} /api/v1/rules probes); ` +
        `${probes.length} API probes, slowest ${slowest.toFixed(1)} ms`,
    );

    expect(stored).toHaveLength(STORM_SIZE);
    expect(rows).toBe(STORM_SIZE);
    expect(new Set(stored.map((a) => a.id)).size).toBe(STORM_SIZE);
    expect(new Set(stored.map((a) => a.entityId)).size).toBe(STORM_SIZE);
    expect(writers).toBeGreaterThanOrEqual(1);
    expect(writers).toBeLessThanOrEqual(MAX_SAVE_TRANSACTIONS);
    expect(transactions - polls - TRANSACTIONS_PER_PROBE * probes.length).toBeLessThan(MAX_OTHER_TRANSACTIONS);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((p) => p.status === 200)).toBe(true);
    expect(slowest).toBeLessThan(1000);
  });
});

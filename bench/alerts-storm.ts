// Suite 8: a storm of 1 000 alerts persisted in the state store (where rules and alerts live). Times
// one `saveAlerts` batch (one transaction) against one `saveAlerts([alert])` per alert, all at once
// (1 000 transactions), measured in the same run on the same store: a SQLite file and PostgreSQL.
// Also reports the longest event-loop stall during each, which is what the API feels meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Alert } from '../contract/index.js';
import { PostgresStateStore } from '../server/state/postgres-state.js';
import { SqliteStateStore } from '../server/state/sqlite-state.js';
import type { StateStore } from '../server/state/types.js';
import type { BenchContext, Suite } from './support/context.js';
import type { Figure, SuiteResult } from './support/report.js';
import { formatNumber, median } from './support/stats.js';

const STORM_SIZE = 1000;

/** One storm: `STORM_SIZE` firing alerts of one rule with a short history, ids unique to `tag`. */
function stormAlerts(tag: string): Alert[] {
  const now = Date.now();
  return Array.from({ length: STORM_SIZE }, (_, k) => ({
    id: `${tag}-${k}`,
    ruleId: 'pm25-high',
    domain: 'sensor',
    entityId: `sensor-${k}`,
    severity: 'warning',
    state: 'firing',
    startedAt: now - 60_000 + k,
    updatedAt: now - 60_000 + k,
    value: 150 + (k % 50),
    message: `PM2.5 ${150 + (k % 50)} µg/m³ above 100 at sensor-${k}`,
    lat: 21.273 + k / 1e5,
    lon: 106.194 - k / 1e5,
    history: [{ at: now - 60_000 + k, by: 'system', action: 'fire' }],
  }));
}

interface Timing {
  ms: number;
  /** Longest event-loop delay seen while the storm was being saved. */
  stallMs: number;
}

async function timed(save: () => Promise<void>): Promise<Timing> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  // The monitor records from its second sample on: let it take the first before the save starts.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  await save();
  const ms = performance.now() - started;
  // A synchronous save (SQLite) blocks before the monitor's timer can fire: let it sample once more.
  await new Promise((resolve) => setTimeout(resolve, 5));
  loop.disable();
  return { ms, stallMs: loop.max / 1e6 };
}

interface PathFigures {
  batched: Timing[];
  perAlert: Timing[];
}

/** Runs both paths `runs` times on one store, alternating which goes first, each on fresh alert ids. */
async function measure(store: StateStore, runs: number, log: (message: string) => void): Promise<PathFigures> {
  const result: PathFigures = { batched: [], perAlert: [] };
  const batched = async (run: number) => {
    const alerts = stormAlerts(`batch${run}`);
    result.batched.push(await timed(() => store.saveAlerts(alerts)));
  };
  const perAlert = async (run: number) => {
    const alerts = stormAlerts(`single${run}`);
    result.perAlert.push(await timed(async () => void (await Promise.all(alerts.map((a) => store.saveAlerts([a]))))));
  };
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      await batched(run);
      await perAlert(run);
    } else {
      await perAlert(run);
      await batched(run);
    }
  }
  const stored = (await store.loadAlerts()).length;
  if (stored !== 2 * runs * STORM_SIZE)
    throw new Error(`${store.kind}: ${stored} alerts stored, expected ${2 * runs * STORM_SIZE}`);
  const show = (list: Timing[]) => list.map((t) => formatNumber(t.ms)).join(', ');
  log(`${store.kind}: saveAlerts ${show(result.batched)} ms; per-alert ${show(result.perAlert)} ms`);
  return result;
}

function figuresFor(label: string, requests: string, f: PathFigures): Figure[] {
  const ms = (list: Timing[]) => median(list.map((t) => t.ms));
  const stall = (list: Timing[]) => median(list.map((t) => t.stallMs));
  return [
    {
      name: `storm of ${formatNumber(STORM_SIZE)} alerts persisted, ${label} (one saveAlerts)`,
      value: ms(f.batched),
      unit: 'ms',
      baseline: { name: `saveAlerts([alert]) per alert, ${requests}`, value: ms(f.perAlert) },
    },
    {
      name: `longest event-loop stall during the storm, ${label}`,
      value: stall(f.batched),
      unit: 'ms',
      baseline: { name: 'per-alert path', value: stall(f.perAlert) },
    },
  ];
}

/** Runs `measure` on a store opened by `open`, closing it whatever happens. */
async function measureOn(store: StateStore, runs: number, ctx: BenchContext): Promise<PathFigures> {
  await store.init();
  try {
    return await measure(store, runs, (message) => ctx.log(message));
  } finally {
    await store.close();
  }
}

/** Runs the alert storm benchmark on a fresh SQLite state file and a fresh PostgreSQL database. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const runs = ctx.quick ? 2 : 5;
  const dataDir = mkdtempSync(path.join(ctx.workDir('alerts-storm'), 'state-'));
  let sqliteFigures: PathFigures;
  try {
    sqliteFigures = await measureOn(new SqliteStateStore({ dataDir }), runs, ctx);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const url = await ctx.postgresDatabase('storm');
  const postgresFigures = await measureOn(new PostgresStateStore({ url }), runs, ctx);
  return {
    id: 'alerts-storm',
    title: '8. Alert storm persisted',
    figures: [
      ...figuresFor('SQLite state store', '1 000 commits', sqliteFigures),
      ...figuresFor('PostgreSQL state store', '1 000 transactions at once on a pool of 10', postgresFigures),
    ],
    notes: [
      `${formatNumber(STORM_SIZE)} firing alerts (one history entry each, ~${JSON.stringify(stormAlerts('x')[0]).length}-byte JSON), saved in process straight into the state store, timed until the save resolves; median of ${runs} runs per path, alternating which path goes first, fresh alert ids every run.`,
      'The baseline saves the same storm with one `saveAlerts([alert])` per alert, all at once: one transaction (SQLite commit, PostgreSQL BEGIN…COMMIT) each. The alert writer makes one `saveAlerts` call per batch: one transaction.',
      "SQLite: `state.db` in a temp dir under bench/.work (WAL, synchronous = NORMAL, as the product opens it). PostgreSQL: Debian's server started by the runner as the tests start it (test/support/postgres.ts: on 127.0.0.1, fsync, synchronous_commit and full_page_writes off), so a commit costs no disk flush here and the per-alert baseline is cheaper than on a durable server.",
      'The stall is the longest event-loop delay (perf_hooks, 1 ms resolution) while the storm was saved: how long an API request could have waited in the same process.',
    ],
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

export const alertsStormSuite: Suite = {
  id: 'alerts-storm',
  title: '8. Alert storm persisted',
  prepare: (ctx) => ctx.postgres(),
  run,
};

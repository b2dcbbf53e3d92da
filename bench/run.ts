// The benchmark runner: `npm run bench [-- --quick] [-- --only=ingest,latency] [-- --profile] [-- --write|--no-write]`.
// Runs each suite, prints its figures next to their ratio to a baseline measured in the same run,
// and rewrites the suite's section of BENCHMARKS.md (full runs; quick runs only with --write).
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { alertsSuite } from './alerts-external.js';
import { alertsStormSuite } from './alerts-storm.js';
import { browserSuite } from './browser.js';
import { clusterSuite } from './cluster.js';
import { healthzStallSuite } from './healthz-stall.js';
import { ingestSuite } from './ingest-throughput.js';
import { latencySuite } from './latency.js';
import { peerSuite } from './peer-node-red.js';
import { replaySuite } from './replay.js';
import { soakSuite } from './soak.js';
import { storeReadSuite } from './store-read.js';
import { storeWriteSuite } from './store-write.js';
import { createContext, ROOT, type Suite } from './support/context.js';
import { updateBenchmarksFile } from './support/markdown.js';
import { textTable, type SuiteResult } from './support/report.js';
import { Teardown } from './support/teardown.js';

/** A quick run must end within a minute: suites that would start after this are skipped, and say so. */
const QUICK_BUDGET_MS = 48_000;

const SUITES: Suite[] = [
  ingestSuite,
  latencySuite,
  storeWriteSuite,
  storeReadSuite,
  browserSuite,
  alertsSuite,
  alertsStormSuite,
  peerSuite,
  replaySuite,
  healthzStallSuite,
  soakSuite,
  clusterSuite,
];

interface Flags {
  quick: boolean;
  profile: boolean;
  write: boolean;
  only: string[] | undefined;
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = { quick: false, profile: false, write: true, only: undefined };
  let write: boolean | undefined;
  for (const arg of args) {
    if (arg === '--quick') flags.quick = true;
    else if (arg === '--profile') flags.profile = true;
    else if (arg === '--no-write') write = false;
    else if (arg === '--write') write = true;
    else if (arg.startsWith('--only=')) flags.only = arg.slice('--only='.length).split(',').filter(Boolean);
    else if (arg === '--help' || arg === '-h') {
      console.log(
        `usage: npm run bench -- [--quick] [--only=${SUITES.map((s) => s.id).join(',')}] [--profile] [--write|--no-write]`,
      );
      process.exit(0);
    } else {
      console.error(`unknown flag ${arg} (try --help)`);
      process.exit(2);
    }
  }
  // A quick run's figures are rough: they replace the recorded ones only when asked to.
  flags.write = write ?? !flags.quick;
  const unknown = flags.only?.filter((id) => !SUITES.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown suite ${unknown.join(', ')}; suites: ${SUITES.map((s) => s.id).join(', ')}`);
    process.exit(2);
  }
  return flags;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  const teardown = new Teardown();
  process.on('exit', () => teardown.killAllNow());
  // A stray error in a socket or timer callback must still stop every server before the runner dies.
  const die = (err: unknown) => {
    console.error('unexpected error:', err);
    void teardown.runAll().finally(() => process.exit(1));
  };
  process.once('uncaughtException', die);
  process.once('unhandledRejection', die);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping every server and child process`);
      void teardown.runAll().finally(() => process.exit(130));
    });
  }
  const ctx = createContext({ quick: flags.quick, profile: flags.profile, write: flags.write, teardown });
  // Long suites (the 30-minute soak) run only when named.
  const suites = SUITES.filter((s) => (flags.only ? flags.only.includes(s.id) : s.onlyWhenNamed !== true));
  const results: SuiteResult[] = [];
  const startedAll = Date.now();
  console.log(
    `benchmarks (${flags.quick ? 'quick' : 'full'} run) on ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  let failed = false;
  try {
    // Start-ups overlap here, before anything is measured (each product start alone takes seconds).
    const prepared = await Promise.allSettled(suites.map((s) => s.prepare?.(ctx) ?? Promise.resolve()));
    prepared.forEach((outcome, i) => {
      if (outcome.status === 'rejected')
        console.error(`  preparing ${suites[i]?.id} failed: ${String(outcome.reason)}`);
    });
    console.log(`servers and bundles ready in ${((Date.now() - startedAll) / 1000).toFixed(1)} s`);
    for (const suite of suites) {
      const load = loadavg()[0] ?? 0;
      const started = Date.now();
      console.log(`\n== ${suite.title} ==`);
      let result: SuiteResult;
      try {
        if (flags.quick && !flags.only && Date.now() - startedAll > QUICK_BUDGET_MS) {
          result = {
            id: suite.id,
            title: suite.title,
            figures: [],
            notes: [],
            skipped: `the quick run's ${QUICK_BUDGET_MS / 1000} s budget was spent (run it with --only=${suite.id})`,
            seconds: 0,
            quick: true,
          };
        } else result = await suite.run(ctx);
      } catch (err) {
        failed = true;
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        console.error(`  ${suite.id} failed: ${message}`);
        result = {
          id: suite.id,
          title: suite.title,
          figures: [],
          notes: [],
          error: message.split('\n')[0],
          seconds: (Date.now() - started) / 1000,
          quick: flags.quick,
        };
      }
      results.push(result);
      if (result.skipped) console.log(`  skipped: ${result.skipped}`);
      if (result.figures.length > 0) console.log(textTable(result).replace(/^/gm, '  '));
      console.log(`  (${result.seconds.toFixed(1)} s)`);
      if (flags.write) {
        updateBenchmarksFile(path.join(ROOT, 'BENCHMARKS.md'), [result], {
          date: new Date().toISOString().slice(0, 16).replace('T', ' '),
          quick: flags.quick,
          load,
          cores: cpus().length,
        });
      }
    }
  } finally {
    await teardown.runAll();
  }
  console.log(
    `\nall suites done in ${((Date.now() - startedAll) / 1000).toFixed(1)} s; ${flags.write ? 'BENCHMARKS.md updated' : 'BENCHMARKS.md left as it was (--write records these figures)'}`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, type RunningPostgres } from '../../test/support/postgres.js';
import { influxQuery, startInfluxd, startMosquitto, type RunningService } from '../../test/support/services.js';
import { startProduct, type ProductProcess } from './product.js';
import { startPublisher, type Publisher } from './publisher.js';
import type { SuiteResult } from './report.js';
import type { Teardown } from './teardown.js';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Scratch space of the benchmarks (gitignored): peer installs, bundles, profiles, data dirs. */
export const WORK = path.join(ROOT, 'bench', '.work');

/** What every suite receives from the runner. */
export interface BenchContext {
  quick: boolean;
  /** Profile the product (`--cpu-prof`) in the suites that support it. */
  profile: boolean;
  /** The run records its figures (BENCHMARKS.md and the files it links, such as charts). */
  write: boolean;
  teardown: Teardown;
  /** A shared Mosquitto (max_queued_messages 1 000 000, max_inflight_messages 0), started on first use. */
  mosquitto(): Promise<RunningService>;
  /** A shared influxd 1.x, started on first use. */
  influxd(): Promise<RunningService>;
  /** Creates a fresh database on the shared influxd and returns its name. */
  influxDatabase(prefix: string): Promise<string>;
  /** A shared PostgreSQL (Debian's, as the tests start it: fsync off), started on first use. */
  postgres(): Promise<RunningPostgres>;
  /** Creates a fresh database on the shared PostgreSQL and returns its URL. */
  postgresDatabase(prefix: string): Promise<string>;
  /**
   * The product on the shared broker (and, for 'influx', the shared influxd), started on first use
   * and shared by the suites of a run (each start costs seconds); suites must not stop it.
   */
  product(store: 'embedded' | 'influx'): Promise<SharedProduct>;
  /** A paced publisher in its own process, shared by the suites of a run. */
  publisher(): Promise<Publisher>;
  log(message: string): void;
  /** A fresh directory under bench/.work for this suite. */
  workDir(name: string): string;
}

/** The shared product of a run, with the MQTT identity it ingests under. */
export interface SharedProduct {
  process: ProductProcess;
  store: 'embedded' | 'influx';
  topicRoot: string;
  clientId: string;
  /** The InfluxDB database it writes to ('influx' only). */
  db?: string;
}

/** A benchmark suite: one file under bench/, run by bench/run.ts. */
export interface Suite {
  id: string;
  title: string;
  /** Starts what the suite needs (servers, bundles) before any suite measures, all suites at once. */
  prepare?(ctx: BenchContext): Promise<unknown>;
  /** Runs only when named with --only (a soak takes half an hour). */
  onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<SuiteResult>;
}

/** Builds the runner's context; services are started lazily and stopped by the teardown. */
export function createContext(options: { quick: boolean; profile: boolean; write: boolean; teardown: Teardown }): BenchContext {
  let mosquitto: Promise<RunningService> | undefined;
  let influxd: Promise<RunningService> | undefined;
  let postgres: Promise<RunningPostgres> | undefined;
  let databases = 0;
  const products = new Map<string, Promise<SharedProduct>>();
  let publisher: Promise<Publisher> | undefined;
  const t0 = performance.now();
  const ctx: BenchContext = {
    ...options,
    mosquitto() {
      mosquitto ??= startMosquitto({ maxQueuedMessages: 1_000_000, maxInflightMessages: 0 }).then((service) => {
        options.teardown.track(service.process);
        options.teardown.add('mosquitto', () => service.stop());
        return service;
      });
      return mosquitto;
    },
    influxd() {
      influxd ??= startInfluxd().then((service) => {
        options.teardown.track(service.process);
        options.teardown.add('influxd', () => service.stop());
        return service;
      });
      return influxd;
    },
    async influxDatabase(prefix) {
      const influx = await ctx.influxd();
      databases += 1;
      const name = `${prefix}_${databases}_${Date.now().toString(36)}`;
      await influxQuery(influx.url, `CREATE DATABASE "${name}"`);
      return name;
    },
    postgres() {
      // pg_ctl daemonises: no child to track; the stop step (and startPostgres' exit hook) stops it by PID.
      postgres ??= startPostgres().then((service) => {
        options.teardown.add('postgres', () => service.stop());
        return service;
      });
      return postgres;
    },
    async postgresDatabase(prefix) {
      const server = await ctx.postgres();
      databases += 1;
      return server.createDatabase(`${prefix}_${databases}_${Date.now().toString(36)}`);
    },
    product(store) {
      let shared = products.get(store);
      if (!shared) {
        shared = (async () => {
          const broker = await ctx.mosquitto();
          const topicRoot = `ioc${process.pid}${store === 'influx' ? 'i' : 'e'}`;
          const clientId = `bench-ioc-${topicRoot}`;
          const overrides: Record<string, unknown> = { mqtt: { url: broker.url, clientId, topicRoot } };
          let db: string | undefined;
          if (store === 'influx') {
            db = await ctx.influxDatabase('ioc');
            overrides.influx = { url: (await ctx.influxd()).url, db };
          }
          const running = await startProduct({
            overrides,
            teardown: options.teardown,
            workDir: ctx.workDir(`product-${store}`),
          });
          return { process: running, store, topicRoot, clientId, db };
        })();
        products.set(store, shared);
      }
      return shared;
    },
    publisher() {
      publisher ??= startPublisher(options.teardown);
      return publisher;
    },
    log: (message) => console.log(`  [${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${message}`),
    workDir(name) {
      const dir = path.join(WORK, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
  return ctx;
}

// Suite 3: the store write path. Points/s into a real InfluxDB through the product's writer vs raw
// line-protocol POSTs of the same 5 000-line batches and vs the official client's WriteApi; the
// embedded store vs a bare better-sqlite3 insert loop in one transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { InfluxDB, type Transport } from '@influxdata/influxdb-client';
import Database from 'better-sqlite3';
import { loadConfig } from '../config/load.js';
import type { Observation } from '../contract/index.js';
import { createStore } from '../server/store/index.js';
import { observationToLine } from '../server/store/influx-line.js';
import type { BenchContext, Suite } from './support/context.js';
import { profileHere, profileNotes } from './support/cpu-profile.js';
import { observationOf, type LoadSpec } from './support/payloads.js';
import { atLeast, type Figure, type SuiteResult } from './support/report.js';
import { formatNumber, median } from './support/stats.js';

const BATCH = 5000;

function observations(count: number, entities: number): Observation[] {
  const spec: LoadSpec = { shape: 'json', topicRoot: 'x', entities, startTs: Date.now() - 86_400_000 };
  return Array.from({ length: count }, (_, i) => observationOf(i, spec));
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Writes through a store the way the pipeline does (a batch per event-loop turn) and waits for flush. */
async function throughStore(store: ReturnType<typeof createStore>, data: Observation[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < data.length; i += BATCH) {
    store.write(data.slice(i, i + BATCH));
    await turn();
  }
  await store.flush();
  const seconds = (performance.now() - started) / 1000;
  const stats = store.stats();
  if (stats.dropped > 0 || stats.failedWrites > 0) throw new Error(`store lost data: ${JSON.stringify(stats)}`);
  return data.length / seconds;
}

async function influxWriter(ctx: BenchContext, data: Observation[]): Promise<number> {
  const influx = await ctx.influxd();
  const db = await ctx.influxDatabase('write');
  const config = loadConfig({
    noFile: true,
    env: {},
    overrides: { influx: { url: influx.url, db, batchSize: BATCH } },
  });
  const store = createStore(config);
  await store.init();
  try {
    return await throughStore(store, data);
  } finally {
    await store.close();
  }
}

/** Raw POSTs of pre-built 5 000-line bodies, `concurrency` in flight. */
async function rawPosts(ctx: BenchContext, bodies: string[], points: number, concurrency: number): Promise<number> {
  const influx = await ctx.influxd();
  const db = await ctx.influxDatabase('raw');
  const url = `${influx.url}/write?db=${db}&precision=ms`;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.timeout(120_000),
      });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`raw /write answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return points / ((performance.now() - started) / 1000);
}

/**
 * The official client's transport with its v2 write path (`/api/v2/write?org=&bucket=<db>&precision=`)
 * sent to the 1.x `/write?db=<db>&precision=` instead: InfluxDB 1.6 has no v2 compatibility
 * endpoint (1.8 added it). Batching, gzip, retries and the HTTP agent stay the client's own.
 */
function v1WritePaths(transport: Transport): Transport {
  const rewrite = (p: string): string => {
    if (!p.startsWith('/api/v2/write?')) return p;
    const params = new URLSearchParams(p.slice('/api/v2/write?'.length));
    return `/write?${new URLSearchParams({ db: params.get('bucket') ?? '', precision: params.get('precision') ?? 'ns' }).toString()}`;
  };
  return {
    send: (p, body, options, callbacks) => transport.send(rewrite(p), body, options, callbacks),
    request: (p, body, options, started) => transport.request(rewrite(p), body, options, started) as Promise<unknown>,
    iterate: (p, body, options) => transport.iterate(rewrite(p), body, options),
    chunkCombiner: transport.chunkCombiner,
  };
}

/**
 * The official client (@influxdata/influxdb-client) WriteApi fed like the product's writer: the
 * same observations encoded by the same encoder, batches of BATCH one event-loop turn apart, then
 * flush(). Its own defaults otherwise (gzip above 1 kB unless `gzip` is false; keep-alive agent;
 * every full batch is POSTed at once, with no limit on how many are in flight).
 */
async function officialWriteApi(ctx: BenchContext, data: Observation[], gzip: boolean): Promise<number> {
  const influx = await ctx.influxd();
  const db = await ctx.influxDatabase('official');
  // The raw POSTs' timeout: the client sends every full batch at once, and on a busy machine its default 10 s is too short.
  const plain = new InfluxDB({ url: influx.url, timeout: 120_000 });
  const client = new InfluxDB({ url: influx.url, transport: v1WritePaths(plain.transport) });
  let failed: Error | undefined;
  const writeApi = client.getWriteApi('', db, 'ms', {
    batchSize: BATCH,
    // Only flush() and full batches send: the same batching as the product's writer here.
    flushInterval: 0,
    maxRetries: 0,
    maxBufferLines: data.length,
    // A failed batch would otherwise only be logged and the rate would count lost points.
    writeFailed: (error) => {
      failed ??= error;
    },
    ...(gzip ? {} : { gzipThreshold: Number.MAX_SAFE_INTEGER }),
  });
  const started = performance.now();
  try {
    for (let i = 0; i < data.length; i += BATCH) {
      const lines: string[] = [];
      for (const o of data.slice(i, i + BATCH)) {
        const line = observationToLine(o);
        if (line !== undefined) lines.push(line);
      }
      writeApi.writeRecords(lines);
      await turn();
    }
    await writeApi.flush().catch((err: unknown) => {
      failed = err instanceof Error ? err : new Error(String(err));
    });
  } finally {
    await writeApi.close().catch(() => undefined);
  }
  if (failed) throw new Error(`official WriteApi failed: ${failed.message}`);
  return data.length / ((performance.now() - started) / 1000);
}

async function embeddedStore(ctx: BenchContext, data: Observation[]): Promise<number> {
  const dataDir = mkdtempSync(path.join(ctx.workDir('store-write'), 'embedded-'));
  const config = loadConfig({ noFile: true, env: {}, overrides: { dataDir } });
  const store = createStore(config);
  await store.init();
  try {
    return await throughStore(store, data);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A bare better-sqlite3 loop: same columns and indexes as the embedded store's table, one transaction, insert only. */
function bareSqlite(ctx: BenchContext, data: Observation[]): number {
  const dir = mkdtempSync(path.join(ctx.workDir('store-write'), 'bare-'));
  const db = new Database(path.join(dir, 'bare.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE observations (domain TEXT NOT NULL, id TEXT NOT NULL, ts INTEGER NOT NULL, lat REAL, lon REAL, fields TEXT NOT NULL, tags TEXT);
      CREATE INDEX observations_entity ON observations (domain, id, ts);
      CREATE INDEX observations_ts ON observations (ts);`);
    const insert = db.prepare(
      'INSERT INTO observations (domain, id, ts, lat, lon, fields, tags) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const started = performance.now();
    db.transaction(() => {
      for (const o of data)
        insert.run(
          o.domain,
          o.id,
          o.ts,
          o.lat ?? null,
          o.lon ?? null,
          JSON.stringify(o.fields),
          o.tags ? JSON.stringify(o.tags) : null,
        );
    })();
    return data.length / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function medianOf(
  repeats: number,
  run: () => Promise<number> | number,
): Promise<{ value: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < repeats; i++) runs.push(await run());
  return { value: median(runs), runs };
}

/** Runs the store write benchmarks. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const count = ctx.quick ? 30_000 : 500_000;
  const repeats = ctx.quick ? 1 : 3;
  const data = observations(count, 1000);
  const lines = data.map((o) => observationToLine(o) ?? '');
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += BATCH) bodies.push(lines.slice(i, i + BATCH).join('\n'));
  const show = (name: string, r: { value: number; runs: number[] }) =>
    ctx.log(`${name}: ${formatNumber(r.value)} points/s (${r.runs.map(formatNumber).join(', ')})`);

  // InfluxDB paths in rounds, each round measuring every path once: on a shared machine the load drifts
  // over minutes, and a path measured only at the start or the end of the suite would see another machine.
  const influxPaths = {
    raw1: () => rawPosts(ctx, bodies, count, 1),
    raw2: () => rawPosts(ctx, bodies, count, 2),
    writer: () => influxWriter(ctx, data),
    official: () => officialWriteApi(ctx, data, true),
    officialPlain: () => officialWriteApi(ctx, data, false),
  };
  const rounds: Record<keyof typeof influxPaths, number>[] = [];
  for (let round = 0; round < repeats; round++) {
    const measured = { raw1: 0, raw2: 0, writer: 0, official: 0, officialPlain: 0 };
    for (const key of Object.keys(influxPaths) as (keyof typeof influxPaths)[]) measured[key] = await influxPaths[key]();
    rounds.push(measured);
    ctx.log(
      `round ${round + 1}: writer / raw POST ×2 ${(measured.writer / measured.raw2).toFixed(2)}×, writer / official ${(measured.writer / measured.official).toFixed(2)}×`,
    );
  }
  const over = (key: keyof typeof influxPaths) => {
    const runs = rounds.map((r) => r[key]);
    return { value: median(runs), runs };
  };
  const [raw1, raw2, writer, official, officialPlain] = (
    ['raw1', 'raw2', 'writer', 'official', 'officialPlain'] as const
  ).map(over) as [ReturnType<typeof over>, ReturnType<typeof over>, ReturnType<typeof over>, ReturnType<typeof over>, ReturnType<typeof over>];
  show('raw POST, 1 in flight', raw1);
  show('raw POST, 2 in flight', raw2);
  show('product InfluxDB writer', writer);
  show('official WriteApi (gzip, its default)', official);
  show('official WriteApi without gzip', officialPlain);
  const ratioRuns = rounds.map((r) => (r.writer / r.raw2).toFixed(2)).join(', ');
  const bare = await medianOf(repeats, () => bareSqlite(ctx, data));
  show('bare better-sqlite3', bare);
  const embedded = await medianOf(repeats, () => embeddedStore(ctx, data));
  show('embedded store', embedded);
  const profiles: string[] = [];
  if (ctx.profile) {
    const dir = ctx.workDir('profiles');
    const writerFile = path.join(dir, `store-write-influx-${Date.now()}.cpuprofile`);
    await profileHere(writerFile, () => influxWriter(ctx, data));
    profiles.push(...profileNotes(writerFile, 'the InfluxDB writer path (in the benchmark process)', 10));
    const embeddedFile = path.join(dir, `store-write-embedded-${Date.now()}.cpuprofile`);
    await profileHere(embeddedFile, () => embeddedStore(ctx, data));
    profiles.push(...profileNotes(embeddedFile, 'the embedded store write path (in the benchmark process)', 10));
  }

  const figures: Figure[] = [
    {
      name: 'InfluxDB writer (encode + batch + POST, 2 in flight)',
      value: writer.value,
      unit: 'points/s',
      baseline: { name: 'raw POST ×2', value: raw2.value },
      target: atLeast(writer.value / raw2.value, 0.7, '≥ 70 % of raw POST'),
    },
    {
      name: 'InfluxDB writer vs the official client',
      value: writer.value,
      unit: 'points/s',
      baseline: { name: 'official WriteApi', value: official.value },
    },
    {
      name: 'InfluxDB writer vs the official client without gzip',
      value: writer.value,
      unit: 'points/s',
      baseline: { name: 'official WriteApi, no gzip', value: officialPlain.value },
    },
    {
      name: 'InfluxDB writer vs one raw POST at a time',
      value: writer.value,
      unit: 'points/s',
      baseline: { name: 'raw POST ×1', value: raw1.value },
    },
    { name: 'raw line-protocol POSTs, 5 000 lines, 1 in flight', value: raw1.value, unit: 'points/s' },
    { name: 'raw line-protocol POSTs, 5 000 lines, 2 in flight', value: raw2.value, unit: 'points/s' },
    {
      name: 'official @influxdata/influxdb-client WriteApi (encode + batch + POST, gzip)',
      value: official.value,
      unit: 'points/s',
    },
    { name: 'official WriteApi, gzip off', value: officialPlain.value, unit: 'points/s' },
    {
      name: 'embedded store (SQLite, WAL)',
      value: embedded.value,
      unit: 'points/s',
      baseline: { name: 'bare better-sqlite3', value: bare.value },
    },
    { name: 'bare better-sqlite3 insert loop, one transaction', value: bare.value, unit: 'points/s' },
  ];
  const notes = [
    `${formatNumber(count)} observations of 1 000 entities (4 fields, position, 1 tag; ${Math.round(lines.reduce((n, l) => n + l.length, 0) / lines.length)}-byte lines), handed to the store in batches of ${BATCH} one event-loop turn apart, timed until flush() resolves; median of ${repeats}. Every run writes into a fresh database. The InfluxDB paths run in ${repeats} rounds, each measuring every path once in turn; writer / raw POST ×2 per round: ${ratioRuns}.`,
    'The raw POSTs send the very lines the product encodes (encoding is outside their timing, inside the writer’s).',
    'The official client is @influxdata/influxdb-client’s WriteApi with batchSize 5 000, no timed flush and no retries, fed lines from the product’s encoder inside its timing (as the writer is), its own defaults otherwise: gzip above 1 kB (also measured with gzip off) and its keep-alive agent; its v2 write path is sent to 1.x `/write` (InfluxDB 1.6 has no `/api/v2/write`).',
    'The bare SQLite loop inserts into a table with the same columns and indexes, without the per-entity `latest` upsert the embedded store also maintains.',
    ...profiles,
  ];
  return {
    id: 'store-write',
    title: '3. Store write path',
    figures,
    notes,
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

export const storeWriteSuite: Suite = {
  id: 'store-write',
  title: '3. Store write path',
  prepare: (ctx) => ctx.influxd(),
  run,
};

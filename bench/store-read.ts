// Suite 4: reads for history and replay on both stores — latest state at a time t, a downsampled
// history of one entity, a full-range scan — each against the same question asked bare (one raw
// InfluxQL query over HTTP; one SQL statement through better-sqlite3).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../config/load.js';
import type { TelemetryStore } from '../server/store/types.js';
import { createStore } from '../server/store/index.js';
import { observationToLine } from '../server/store/influx-line.js';
import type { BenchContext, Suite } from './support/context.js';
import { profileHere, profileNotes } from './support/cpu-profile.js';
import { entityId, observationOf, type LoadSpec } from './support/payloads.js';
import type { Figure, SuiteResult } from './support/report.js';
import { formatNumber, median } from './support/stats.js';

interface Dataset {
  entities: number;
  seconds: number;
  spec: LoadSpec;
  from: number;
  to: number;
  points: number;
}

function dataset(quick: boolean): Dataset {
  const entities = quick ? 100 : 1000;
  const seconds = quick ? 300 : 3600;
  const from = Math.floor((Date.now() - 7 * 86_400_000) / 1000) * 1000;
  const spec: LoadSpec = { shape: 'json', topicRoot: 'x', entities, startTs: from };
  return { entities, seconds, spec, from, to: from + (seconds - 1) * 1000, points: entities * seconds };
}

const CHUNK = 50_000;

/** Loads the dataset, CHUNK observations at a time (never all in memory). */
async function load(ds: Dataset, write: (chunk: ReturnType<typeof observationOf>[]) => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < ds.points; i += CHUNK) {
    const chunk = [];
    for (let j = i; j < Math.min(ds.points, i + CHUNK); j++) chunk.push(observationOf(j, ds.spec));
    await write(chunk);
  }
  return ds.points / ((performance.now() - started) / 1000);
}

async function timed<T>(repeats: number, work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    result = await work();
    times.push(performance.now() - started);
  }
  return { ms: median(times), result: result as T };
}

async function countScan(store: TelemetryStore, ds: Dataset): Promise<number> {
  let n = 0;
  for await (const chunk of store.scan({ from: ds.from, to: ds.to })) n += chunk.length;
  return n;
}

interface Questions {
  latest: () => Promise<number>;
  history: () => Promise<number>;
  scan: () => Promise<number>;
}

async function measure(
  label: string,
  ours: Questions,
  bare: Questions,
  ds: Dataset,
  repeats: number,
  ctx: BenchContext,
): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [key, what] of [
    ['latest', `latest state of ${ds.entities} entities at t`],
    ['history', `history of one entity, ${ds.seconds / 60} min at every=1m`],
  ] as const) {
    const a = await timed(repeats, ours[key]);
    const b = await timed(repeats, bare[key]);
    ctx.log(
      `${label} ${key}: ${a.ms.toFixed(1)} ms (${a.result} rows) vs bare ${b.ms.toFixed(1)} ms (${b.result} rows)`,
    );
    figures.push({
      name: `${label}: ${what}`,
      value: a.ms,
      unit: 'ms',
      baseline: { name: 'bare query', value: b.ms },
      note: `${a.result} rows`,
    });
  }
  const cpu0 = process.cpuUsage();
  const a = await timed(1, ours.scan);
  const cpu1 = process.cpuUsage(cpu0);
  const b = await timed(1, bare.scan);
  const busy = (cpu1.user + cpu1.system) / 1000 / a.ms;
  ctx.log(`${label} scan: ${a.result} rows in ${a.ms.toFixed(0)} ms vs bare ${b.result} rows in ${b.ms.toFixed(0)} ms`);
  figures.push({
    name: `${label}: full-range scan of ${formatNumber(ds.points)} points`,
    value: a.result / (a.ms / 1000),
    unit: 'points/s',
    baseline: { name: 'bare scan', value: b.result / (b.ms / 1000) },
    note: `${a.result === ds.points ? '' : `${a.result} of ${ds.points} returned; `}this process busy ${Math.round(busy * 100)} % of the scan`,
  });
  return figures;
}

async function influxQuestions(
  ctx: BenchContext,
  ds: Dataset,
  repeats: number,
  profile: string[],
): Promise<{ figures: Figure[]; loadRate: number }> {
  const influx = await ctx.influxd();
  const db = await ctx.influxDatabase('read');
  const post = (body: string) =>
    fetch(`${influx.url}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(120_000),
    }).then(async (res) => {
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`/write answered ${res.status}`);
    });
  const loadRate = await load(ds, async (chunk) => {
    const lines = chunk.map((o) => observationToLine(o) ?? '');
    const posts: Promise<void>[] = [];
    for (let i = 0; i < lines.length; i += 5000) posts.push(post(lines.slice(i, i + 5000).join('\n')));
    await Promise.all(posts);
  });
  const store = createStore(loadConfig({ noFile: true, env: {}, overrides: { influx: { url: influx.url, db } } }));
  await store.init();
  const at = ds.from + Math.floor(ds.seconds / 2) * 1000;
  const id = entityId(Math.floor(ds.entities / 2));
  const query = async (q: string) => {
    const res = await fetch(`${influx.url}/query?${new URLSearchParams({ db, q, epoch: 'ms' }).toString()}`, {
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await res.json()) as { results: { series?: { values: unknown[][] }[] }[] };
    return body.results.reduce((n, r) => n + (r.series ?? []).reduce((m, s) => m + s.values.length, 0), 0);
  };
  const bareScan = async () => {
    const params = new URLSearchParams({
      db,
      epoch: 'ms',
      chunked: 'true',
      chunk_size: '10000',
      q: `SELECT * FROM "sensor" WHERE time >= ${ds.from}ms AND time <= ${ds.to}ms`,
    });
    // Bounded: a full scan of 3.6 M points takes about a minute here.
    const res = await fetch(`${influx.url}/query?${params.toString()}`, { signal: AbortSignal.timeout(900_000) });
    let rows = 0;
    let rest = '';
    const decoder = new TextDecoder();
    for await (const part of res.body ?? []) {
      const lines = (rest + decoder.decode(part as Uint8Array, { stream: true })).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines)
        if (line)
          rows +=
            (JSON.parse(line) as { results: { series?: { values: unknown[] }[] }[] }).results[0]?.series?.[0]?.values
              .length ?? 0;
    }
    return rows;
  };
  try {
    const figures = await measure(
      'InfluxDB',
      {
        latest: async () => (await store.latest({ at })).length,
        history: async () =>
          (await store.history({ domain: 'sensor', id, from: ds.from, to: ds.to, every: 60_000 })).length,
        scan: () => countScan(store, ds),
      },
      {
        latest: () => query(`SELECT last(*) FROM "sensor" WHERE time <= ${at}ms GROUP BY "id"`),
        history: () =>
          query(
            `SELECT mean(*) FROM "sensor" WHERE "id" = '${id}' AND time >= ${ds.from}ms AND time <= ${ds.to}ms GROUP BY time(1m)`,
          ),
        scan: bareScan,
      },
      ds,
      repeats,
      ctx,
    );
    if (ctx.profile) {
      // The first tenth of the range is enough to see where a scan spends its time.
      const file = path.join(ctx.workDir('profiles'), `store-read-influx-scan-${Date.now()}.cpuprofile`);
      const part: Dataset = { ...ds, to: ds.from + Math.floor(ds.seconds / 10) * 1000 };
      await profileHere(file, () => countScan(store, part));
      profile.push(
        ...profileNotes(file, 'an InfluxDB scan through the product’s store (in the benchmark process)', 10),
      );
    }
    return { figures, loadRate };
  } finally {
    await store.close();
  }
}

async function embeddedQuestions(
  ctx: BenchContext,
  ds: Dataset,
  repeats: number,
): Promise<{ figures: Figure[]; loadRate: number }> {
  const dataDir = mkdtempSync(path.join(ctx.workDir('store-read'), 'embedded-'));
  const store = createStore(loadConfig({ noFile: true, env: {}, overrides: { dataDir } }));
  let bare: Database.Database | undefined;
  try {
    await store.init();
    const loadRate = await load(ds, async (chunk) => {
      store.write(chunk);
      await store.flush();
    });
    const file = readdirSync(dataDir).find((f) => f.endsWith('.sqlite') || f.endsWith('.db'));
    if (!file) throw new Error(`no SQLite file in ${dataDir}`);
    const db = (bare = new Database(path.join(dataDir, file), { readonly: true }));
    const at = ds.from + Math.floor(ds.seconds / 2) * 1000;
    const id = entityId(Math.floor(ds.entities / 2));
    const latestSql = db.prepare(
      'SELECT domain, id, max(ts) AS ts, lat, lon, fields, tags FROM observations WHERE ts <= ? GROUP BY domain, id',
    );
    const historySql = db.prepare(
      `SELECT ts / 60000 AS bucket, avg(json_extract(fields, '$.pm25')), avg(json_extract(fields, '$.pm10')), avg(json_extract(fields, '$.noise')),
        avg(json_extract(fields, '$.rain')), avg(lat), avg(lon) FROM observations WHERE domain = 'sensor' AND id = ? AND ts >= ? AND ts <= ? GROUP BY bucket`,
    );
    const scanSql = db.prepare(
      'SELECT domain, id, ts, lat, lon, fields, tags FROM observations WHERE ts >= ? AND ts <= ? ORDER BY ts',
    );
    const figures = await measure(
      'embedded',
      {
        latest: async () => (await store.latest({ at })).length,
        history: async () =>
          (await store.history({ domain: 'sensor', id, from: ds.from, to: ds.to, every: 60_000 })).length,
        scan: () => countScan(store, ds),
      },
      {
        latest: () => Promise.resolve(latestSql.all(at).length),
        history: () => Promise.resolve(historySql.all(id, ds.from, ds.to).length),
        scan: () => {
          let rows = 0;
          for (const row of scanSql.iterate(ds.from, ds.to) as Iterable<{ fields: string }>) if (row.fields) rows += 1;
          return Promise.resolve(rows);
        },
      },
      ds,
      repeats,
      ctx,
    );
    return { figures, loadRate };
  } finally {
    bare?.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs the read benchmarks on both stores. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const ds = dataset(ctx.quick);
  const repeats = ctx.quick ? 2 : 5;
  const profile: string[] = [];
  const influx = await influxQuestions(ctx, ds, repeats, profile);
  const embedded = await embeddedQuestions(ctx, ds, repeats);
  const notes = [
    `${ds.seconds / 60} min of ${ds.entities} entities at 1 Hz = ${formatNumber(ds.points)} points (4 fields, position, 1 tag). Latest and history: median of ${repeats}; a scan: once. Lower ms is better, the ratio is ours / bare.`,
    `Loading took InfluxDB ${formatNumber(influx.loadRate)} points/s (raw 5 000-line POSTs) and the embedded store ${formatNumber(embedded.loadRate)} points/s (through its own write path, ${formatNumber(CHUNK)} per flush).`,
    'Bare queries answer the same question without the product’s shaping: InfluxDB `last(*) … GROUP BY id`, `mean(*) … GROUP BY time(1m)` and a chunked `SELECT *`; SQLite one `GROUP BY` statement and a plain row iteration (no JSON parsing).',
    ...profile,
  ];
  return {
    id: 'store-read',
    title: '4. Reads for history and replay',
    figures: [...influx.figures, ...embedded.figures],
    notes,
    seconds: (Date.now() - started) / 1000,
    quick: ctx.quick,
  };
}

export const storeReadSuite: Suite = {
  id: 'store-read',
  title: '4. Reads for history and replay',
  prepare: (ctx) => ctx.influxd(),
  run,
};

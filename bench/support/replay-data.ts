// The replay suite's data and baselines: the city loaded straight into each store in big batches
// (so loading is not the bulk of a full run), and the bare queries each figure is compared with.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Observation } from '../../contract/index.js';
import { createEmbeddedWriter } from '../../server/store/embedded-write.js';
import { queryChunked, type InfluxHttp } from '../../server/store/influx-http.js';
import { observationToLine } from '../../server/store/influx-line.js';
import type { ByteSink } from '../../server/export/format.js';
import { observationOf, type LoadSpec } from './payloads.js';

/** Called after each batch while loading: points handed to the store so far, of `total`. */
export type Progress = (done: number, total: number) => void;

/** Observations per embedded transaction / InfluxDB lines per POST while loading. */
const LOAD_BATCH = 100_000;
const LINES_PER_POST = 50_000;

function* batches(points: number, spec: LoadSpec, size: number): Generator<Observation[]> {
  for (let i = 0; i < points; i += size) {
    const batch: Observation[] = [];
    for (let j = i; j < Math.min(points, i + size); j++) batch.push(observationOf(j, spec));
    yield batch;
  }
}

/**
 * Writes the city into the SQLite file with the store's own writer code (rows, `latest`, field
 * catalogue), on this thread, one 100 000-row transaction at a time, before the store opens it.
 */
export function loadEmbedded(dataDir: string, points: number, spec: LoadSpec, progress?: Progress): number {
  const started = performance.now();
  const file = path.join(dataDir, 'ioc.sqlite');
  const writer = createEmbeddedWriter(file, 8192);
  // Rows of 1 000 interleaved entities land all over the (domain, id, ts) index: past the page cache
  // each insert costs a random read. Built once at the end (a sort) it costs a fraction of that.
  const indexes = new Database(file);
  indexes.exec('DROP INDEX IF EXISTS observations_entity; DROP INDEX IF EXISTS observations_ts;');
  let seq = 0;
  try {
    let loaded = 0;
    for (const batch of batches(points, spec, LOAD_BATCH)) {
      writer.commit(++seq, batch);
      loaded += batch.length;
      progress?.(loaded, points);
    }
    writer.checkpoint('TRUNCATE');
  } finally {
    writer.close();
  }
  try {
    // The same indexes as server/store/embedded-schema.ts (which would also make them at the store's first open).
    indexes.pragma('cache_size = -262144');
    indexes.exec(
      'CREATE INDEX IF NOT EXISTS observations_entity ON observations (domain, id, ts); ' +
        'CREATE INDEX IF NOT EXISTS observations_ts ON observations (ts);',
    );
  } finally {
    indexes.close();
  }
  return points / ((performance.now() - started) / 1000);
}

/** POSTs the city's lines to `/write`, 50 000 lines a POST, two POSTs in flight. */
export async function loadInflux(
  http: InfluxHttp,
  points: number,
  spec: LoadSpec,
  progress?: Progress,
): Promise<number> {
  const started = performance.now();
  const inflight = new Set<Promise<void>>();
  let loaded = 0;
  for (const batch of batches(points, spec, LINES_PER_POST)) {
    const body = batch.map((o) => observationToLine(o)).join('\n');
    const post = http.write(body).then((res) => {
      if (res.status >= 300) throw new Error(`InfluxDB /write answered ${res.status}: ${res.body.slice(0, 200)}`);
      loaded += batch.length;
      progress?.(loaded, points);
    });
    const tracked = post.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    if (inflight.size >= 2) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return points / ((performance.now() - started) / 1000);
}

/** The bare questions a figure is compared with, asked of the database directly. */
export interface BareQueries {
  /** Last row per entity at or before `at`, within the lookback: the number of entities found. */
  lastPerEntity(at: number, lookback: number): Promise<number>;
  /** Rows in [from, to], oldest first, each written as a CSV-ish line into `sink`: the rows written. */
  queryAndWrite(from: number, to: number, sink: ByteSink): Promise<number>;
  close(): void;
}

/** Embedded: one index seek per entity of the `latest` table; a plain ordered SELECT for rows. */
export function bareEmbedded(dataDir: string): BareQueries {
  const db = new Database(path.join(dataDir, 'ioc.sqlite'), { readonly: true });
  const entities = db.prepare<[], { domain: string; id: string }>('SELECT domain, id FROM latest').all();
  const last = db.prepare<[string, string, number, number], { ts: number }>(
    'SELECT ts, fields FROM observations WHERE domain = ? AND id = ? AND ts <= ? AND ts >= ? ORDER BY ts DESC LIMIT 1',
  );
  const rows = db.prepare<
    [number, number],
    { ts: number; domain: string; id: string; lat: number; lon: number; fields: string }
  >('SELECT ts, domain, id, lat, lon, fields FROM observations WHERE ts >= ? AND ts <= ? ORDER BY ts');
  return {
    lastPerEntity(at, lookback) {
      let found = 0;
      for (const e of entities) if (last.get(e.domain, e.id, at, at - lookback)) found += 1;
      return Promise.resolve(found);
    },
    async queryAndWrite(from, to, sink) {
      let n = 0;
      let text = '';
      for (const r of rows.iterate(from, to)) {
        text += `${r.ts},${r.domain},${r.id},${r.lat},${r.lon},${r.fields}\r\n`;
        if (++n % 5000 === 0) {
          await sink.write(text);
          text = '';
        }
      }
      await sink.write(text);
      return n;
    },
    close: () => db.close(),
  };
}

/** InfluxDB: last(*) grouped by id over the lookback; one chunked SELECT * for rows. */
export function bareInflux(http: InfluxHttp, domain: string): BareQueries {
  return {
    async lastPerEntity(at, lookback) {
      const [result] = await http.query(
        `SELECT last(*) FROM "${domain}" WHERE time <= ${at}ms AND time >= ${at - lookback}ms GROUP BY "id"`,
      );
      return result?.series?.length ?? 0;
    },
    async queryAndWrite(from, to, sink) {
      let n = 0;
      for await (const series of queryChunked(
        http,
        `SELECT * FROM "${domain}" WHERE time >= ${from}ms AND time <= ${to}ms`,
        5000,
      )) {
        await sink.write(series.values.map((v) => v.join(',')).join('\r\n') + '\r\n');
        n += series.values.length;
      }
      return n;
    },
    close: () => undefined,
  };
}

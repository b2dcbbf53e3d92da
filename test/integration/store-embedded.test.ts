import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { EmbeddedStore } from '../../server/store/embedded.js';
import { backpressureMarks, createStore } from '../../server/store/index.js';
import { describeStoreContract } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-store-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('embedded', async () => {
  const store = new EmbeddedStore({ dataDir: tempDir() });
  await store.init();
  return { store, cleanup: () => store.close() };
});

describe('embedded store', () => {
  it('is what createStore picks without an InfluxDB URL, in dataDir', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const store = createStore(ConfigSchema.parse({ dataDir }));
    expect(store.kind).toBe('embedded');
    await store.init();
    await store.ping();
    await store.close();
  });

  it('holds store.embedded.maxBuffered unwritten observations, and the pipeline slows ingest at half of that', async () => {
    const dataDir = tempDir();
    const config = ConfigSchema.parse({
      dataDir,
      store: { embedded: { maxBuffered: 40_000 } },
      influx: { maxBufferLines: 2_000_000 },
    });
    const store = createStore(config);
    // The InfluxDB key no longer leaks into the embedded store's marks.
    expect(store.maxBuffered).toBe(40_000);
    expect(backpressureMarks(store)).toEqual({ highWater: 20_000, lowWater: 10_000 });
    // Before init nothing is written: past the cap the oldest are dropped and counted.
    store.write(
      Array.from({ length: 50_000 }, (_, i) => ({
        domain: 'sensor',
        id: `S${i % 10}`,
        ts: Date.now() + i,
        fields: { v: i },
      })),
    );
    expect(store.stats()).toMatchObject({ buffered: 40_000, dropped: 10_000 });
    await store.init();
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 40_000, buffered: 0, dropped: 10_000 });
    await store.close();
  });

  it('builds the field catalogue once for a file written before it existed', async () => {
    const dataDir = tempDir();
    const T = Date.UTC(2026, 0, 5, 8);
    const first = new EmbeddedStore({ dataDir });
    await first.init();
    first.write([
      { domain: 'sensor', id: 'S1', ts: T, fields: { pm25: 10, note: 'a' } },
      { domain: 'sensor', id: 'S1', ts: T + 1000, fields: { pm25: 'high', ok: true } },
      { domain: 'traffic', id: 'T1', ts: T + 5000, fields: { speed: 40 } },
    ]);
    await first.flush();
    await first.close();
    // As an older version left it: rows, no catalogue.
    const db = new Database(path.join(dataDir, 'ioc.sqlite'));
    db.exec('DELETE FROM field_catalog; DELETE FROM store_meta;');
    db.close();
    const second = new EmbeddedStore({ dataDir });
    await second.init();
    expect(await second.fieldKeys({ from: T, to: T + 2000 })).toEqual([
      { domain: 'sensor', field: 'note', kind: 'string' },
      { domain: 'sensor', field: 'ok', kind: 'boolean' },
      // A number and a string: a string column.
      { domain: 'sensor', field: 'pm25', kind: 'string' },
    ]);
    expect(await second.fieldKeys({ from: T + 4000, to: T + 6000, domains: ['traffic'] })).toEqual([
      { domain: 'traffic', field: 'speed', kind: 'number' },
    ]);
    await second.close();
  });

  it('keeps observations across close and reopen', async () => {
    const dataDir = tempDir();
    const first = new EmbeddedStore({ dataDir });
    await first.init();
    const ts = Date.UTC(2026, 0, 5);
    first.write([
      { domain: 'health', id: 'H1', ts, fields: { beds: 12, er: 'open' } },
      { domain: 'health', id: 'H1', ts: ts + 1000, fields: { beds: 11 }, lat: 21.27, lon: 106.19 },
    ]);
    // close() must commit what is still buffered.
    await first.close();
    expect(first.stats()).toMatchObject({ written: 2, buffered: 0, dropped: 0 });

    const second = new EmbeddedStore({ dataDir });
    await second.init();
    try {
      expect(await second.latest()).toEqual([
        { domain: 'health', id: 'H1', ts: ts + 1000, lat: 21.27, lon: 106.19, fields: { beds: 11, er: 'open' } },
      ]);
      expect(await second.history({ domain: 'health', id: 'H1', from: ts, to: ts + 1000 })).toHaveLength(2);
      // New observations merge with the state kept in the file.
      second.write([{ domain: 'health', id: 'H1', ts: ts + 2000, fields: { beds: 10 } }]);
      await second.flush();
      expect((await second.latest())[0]).toMatchObject({ ts: ts + 2000, lat: 21.27, fields: { beds: 10, er: 'open' } });
    } finally {
      await second.close();
    }
  });

  it('opens a file from before rules and alerts moved to the state store, leaving their tables alone', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'ioc.sqlite');
    // The tables and rows an earlier version kept in the telemetry file.
    const old = new Database(file);
    old.exec(`
      CREATE TABLE rules (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      CREATE TABLE alerts (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE INDEX alerts_started ON alerts (started_at);
      INSERT INTO rules VALUES ('beds-low', '{"id":"beds-low"}');
      INSERT INTO alerts VALUES ('a1', 1, 2, '{"id":"a1"}');
    `);
    old.close();

    const store = new EmbeddedStore({ dataDir });
    await store.init();
    const ts = Date.UTC(2026, 0, 5);
    store.write([{ domain: 'health', id: 'H1', ts, fields: { beds: 12 } }]);
    await store.flush();
    expect(await store.latest()).toEqual([{ domain: 'health', id: 'H1', ts, fields: { beds: 12 } }]);
    await store.close();

    const after = new Database(file, { readonly: true });
    try {
      expect(after.prepare('SELECT id, json FROM rules').all()).toEqual([
        { id: 'beds-low', json: '{"id":"beds-low"}' },
      ]);
      expect(after.prepare('SELECT id FROM alerts').all()).toEqual([{ id: 'a1' }]);
    } finally {
      after.close();
    }
  });

  it('creates no rules or alerts tables in a new file', async () => {
    const dataDir = tempDir();
    const store = new EmbeddedStore({ dataDir });
    await store.init();
    await store.close();
    const db = new Database(path.join(dataDir, 'ioc.sqlite'), { readonly: true });
    try {
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name);
      expect(tables).toContain('observations');
      expect(tables).not.toContain('rules');
      expect(tables).not.toContain('alerts');
    } finally {
      db.close();
    }
  });

  it('never blocks or throws on write, and counts writes after close as dropped', async () => {
    const store = new EmbeddedStore({ dataDir: tempDir(), batchSize: 1000 });
    await store.init();
    const batch = Array.from({ length: 20_000 }, (_, k) => ({
      domain: 'traffic',
      id: `J${k % 100}`,
      ts: 1_767_000_000_000 + k,
      fields: { count: k },
    }));
    store.write(batch);
    // Nothing is committed on the caller's turn: write() only buffers.
    expect(store.stats()).toMatchObject({ written: 0, buffered: 20_000 });
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 20_000, buffered: 0, dropped: 0 });
    expect(await store.latest({ domains: ['traffic'] })).toHaveLength(100);
    await store.close();
    store.write(batch.slice(0, 5));
    expect(store.stats().dropped).toBe(5);
  });

  it('keeps the newest values when observations arrive out of order', async () => {
    const store = new EmbeddedStore({ dataDir: tempDir() });
    await store.init();
    const ts = Date.UTC(2026, 0, 5);
    store.write([{ domain: 'sensor', id: 'S1', ts: ts + 1000, fields: { pm25: 20 }, lat: 21.2, lon: 106.2 }]);
    await store.flush();
    store.write([{ domain: 'sensor', id: 'S1', ts, fields: { pm25: 99, rain: 1 }, lat: 21.9, lon: 106.9 }]);
    await store.flush();
    expect(await store.latest()).toEqual([
      { domain: 'sensor', id: 'S1', ts: ts + 1000, lat: 21.2, lon: 106.2, fields: { pm25: 20, rain: 1 } },
    ]);
    // The same inside one batch, with the older observation last.
    store.write([
      { domain: 'sensor', id: 'S2', ts: ts + 1000, fields: { pm25: 20 }, tags: { v: 'new' } },
      { domain: 'sensor', id: 'S2', ts: ts + 2000, fields: { pm10: 30 }, tags: { v: 'newest' } },
      { domain: 'sensor', id: 'S2', ts, fields: { pm25: 99, rain: 1 }, lat: 21.9, lon: 106.9, tags: { v: 'old' } },
    ]);
    await store.flush();
    expect((await store.latest())[1]).toEqual({
      domain: 'sensor',
      id: 'S2',
      ts: ts + 2000,
      lat: 21.9,
      lon: 106.9,
      fields: { pm25: 20, pm10: 30, rain: 1 },
      tags: { v: 'newest' },
    });
    await store.close();
  });
});

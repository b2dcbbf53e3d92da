import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../contract/index.js';
import { ConfigSchema } from '../../config/schema.js';
import { createStore } from '../../server/store/index.js';
import { InfluxStore, type InfluxStoreOptions } from '../../server/store/influx.js';
import { freePort, waitFor } from '../support/ports.js';
import { influxQuery, startInfluxd, uniqueName, type RunningService } from '../support/services.js';
import { describeStoreContract } from './store-contract.js';

let influxd: RunningService;
const extra: RunningService[] = [];

beforeAll(async () => {
  influxd = await startInfluxd();
});

afterAll(async () => {
  await Promise.all([influxd?.stop(), ...extra.map((s) => s.stop())]);
});

function options(url: string, overrides: Partial<InfluxStoreOptions> = {}): InfluxStoreOptions {
  return { url, db: uniqueName('ioc'), batchSize: 5000, flushInterval: 50, maxBufferLines: 500_000, ...overrides };
}

async function countPoints(url: string, db: string, measurement: string): Promise<number> {
  const body = (await influxQuery(url, `SELECT count("v") FROM "${measurement}"`, db)) as {
    results: { series?: { values: [number, number][] }[] }[];
  };
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

function readings(count: number, offset = 0) {
  const base = Date.UTC(2026, 0, 6);
  return Array.from({ length: count }, (_, k) => ({
    domain: 'sensor',
    id: `S${k % 100}`,
    ts: base + offset + k,
    fields: { v: k },
  }));
}

describeStoreContract('influx', async () => {
  const opts = options(influxd.url);
  const store = new InfluxStore(opts);
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await influxQuery(influxd.url, `DROP DATABASE "${opts.db}"`);
    },
  };
});

describe('influx store', () => {
  it('is what createStore picks when an InfluxDB URL is configured', async () => {
    const db = uniqueName('ioc');
    const store = createStore(ConfigSchema.parse({ influx: { url: influxd.url, db } }));
    expect(store.kind).toBe('influx');
    await store.init();
    await store.ping();
    await store.close();
    await influxQuery(influxd.url, `DROP DATABASE "${db}"`);
  });

  it('fails init with a clear message when InfluxDB is unreachable', async () => {
    const port = await freePort();
    const store = new InfluxStore(options(`http://127.0.0.1:${port}`));
    await expect(store.init()).rejects.toThrow(/unreachable/);
    await store.close();
  });

  it('keeps buffering through an outage and delivers everything when InfluxDB is back', async () => {
    const first = await startInfluxd();
    extra.push(first);
    const opts = options(first.url, { batchSize: 500, retryBaseMs: 20, retryMaxMs: 200 });
    const store = new InfluxStore(opts);
    await store.init();
    store.write(readings(1000));
    await store.flush();
    expect(await countPoints(first.url, opts.db, 'sensor')).toBe(1000);

    await first.stop();
    store.write(readings(3000, 1000));
    await waitFor(() => store.stats().failedWrites > 0, 'a failed write while InfluxDB is down');
    expect(store.stats().buffered).toBe(3000);

    // A new server on the same port, without the database yet: writes go on failing until init().
    const second = await startInfluxd({ port: first.port });
    extra.push(second);
    await store.init();
    await store.flush();
    expect(await countPoints(second.url, opts.db, 'sensor')).toBe(3000);
    expect(store.stats()).toMatchObject({ written: 4000, buffered: 0, dropped: 0 });
    await store.close();
  });

  it('drops the oldest lines beyond maxBufferLines and counts them', async () => {
    const port = await freePort();
    const store = new InfluxStore(
      options(`http://127.0.0.1:${port}`, { batchSize: 100, maxBufferLines: 1000, closeTimeoutMs: 200 }),
    );
    store.write(readings(3000));
    const stats = store.stats();
    expect(stats.buffered).toBeLessThanOrEqual(1000);
    expect(stats.dropped).toBeGreaterThanOrEqual(2000);
    expect(stats.buffered + stats.dropped).toBe(3000);
    await store.close();
    expect(store.stats()).toMatchObject({ written: 0, buffered: 0, dropped: 3000 });
  });

  it('counts points InfluxDB rejects and keeps the good ones of the same batch', async () => {
    const opts = options(influxd.url);
    const store = new InfluxStore(opts);
    await store.init();
    const good = readings(10);
    // A field type conflict inside one batch makes InfluxDB 1.x reject the whole batch. (Field types
    // are per shard, one shard per week from Monday: keep every point in the same week.)
    store.write([...good.slice(0, 5), { domain: 'sensor', id: 'S1', ts: good[0]!.ts + 20, fields: { v: 'text' } }]);
    store.write(good.slice(5));
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 10, dropped: 1, buffered: 0 });
    expect(store.stats().lastError).toMatch(/conflict/);
    // A conflict with a field type already stored is a partial write.
    store.write([{ domain: 'sensor', id: 'S2', ts: good[0]!.ts + 21, fields: { v: true } }]);
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 10, dropped: 2 });
    expect(await countPoints(influxd.url, opts.db, 'sensor')).toBe(10);
    await store.close();
    await influxQuery(influxd.url, `DROP DATABASE "${opts.db}"`);
  });

  it('leaves out fields InfluxDB cannot hold and counts observations with nothing to write', async () => {
    const opts = options(influxd.url);
    const store = new InfluxStore(opts);
    await store.init();
    const ts = Date.UTC(2026, 0, 6);
    store.write([
      { domain: 'sensor', id: 'S1', ts, fields: { id: 'other', time: 5, v: 1 } },
      { domain: 'sensor', id: 'S2', ts, fields: {} },
    ]);
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 1, dropped: 1, buffered: 0 });
    expect(await store.latest()).toEqual([{ domain: 'sensor', id: 'S1', ts, fields: { v: 1 } }]);
    await store.close();
    await influxQuery(influxd.url, `DROP DATABASE "${opts.db}"`);
  });

  it('never reads the rules and alerts measurements an earlier version left as domains', async () => {
    const opts = options(influxd.url);
    const store = new InfluxStore(opts);
    await store.init();
    const ts = Date.UTC(2026, 0, 6);
    // Lines as earlier versions wrote rules and alerts into the telemetry database.
    const legacy = [
      `ioc_rules,rule=pm25-high json="{}",deleted=false ${ts}`,
      `ioc_alerts,alert=a1 json="{}",startedAt=${ts} ${ts}`,
    ].join('\n');
    const res = await fetch(`${influxd.url}/write?db=${opts.db}&precision=ms`, { method: 'POST', body: legacy });
    expect(res.status).toBe(204);
    store.write([{ domain: 'sensor', id: 'S1', ts, fields: { v: 1 } }]);
    await store.flush();
    expect(await store.latest()).toEqual([{ domain: 'sensor', id: 'S1', ts, fields: { v: 1 } }]);
    const scanned: Observation[] = [];
    for await (const chunk of store.scan({ from: ts - 1000, to: ts + 1000 })) scanned.push(...chunk);
    expect(scanned.map((o) => o.domain)).toEqual(['sensor']);
    await store.close();
    await influxQuery(influxd.url, `DROP DATABASE "${opts.db}"`);
  });

  it('sends the token as an Authorization header on every request', async () => {
    // A pass-through proxy in front of influxd records what each request carried.
    const seen: { path: string; auth: string | undefined }[] = [];
    const proxy = createServer((req, res) => {
      seen.push({ path: (req.url ?? '').split('?')[0] ?? '', auth: req.headers.authorization });
      const upstream = httpRequest(new URL(req.url ?? '/', influxd.url), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const store = new InfluxStore({ ...options(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`), token: 's3cret' });
      await store.init();
      store.write(readings(1));
      await store.flush();
      await store.latest();
      await store.close();
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
    expect(new Set(seen.map((r) => r.path))).toEqual(new Set(['/ping', '/query', '/write']));
    expect(new Set(seen.map((r) => r.auth))).toEqual(new Set(['Token s3cret']));
  });
});

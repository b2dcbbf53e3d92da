import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMetrics, TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

const valueOf = (text: string, name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('/metrics', () => {
  let product: TestIoc;
  let live: LiveRecorder;

  beforeAll(async () => {
    product = await startTestIoc();
    live = await connectLive(product.baseUrl, product.api);
    await live.subscribe({ layers: ['sensor'] });
  });
  afterAll(async () => {
    live?.close();
    await product?.stop();
  });

  it('exposes process, GC and event-loop metrics the latency histograms and the write-ahead log sync times, fed by real traffic', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await product.api.fetch('/api/v1/ingest', {
        method: 'POST',
        json: [{ domain: 'sensor', id: `m-${i}`, ts: Date.now() - 2000, lat: 21.27, lon: 106.19, fields: { pm25: i } }],
      });
      expect(res.status).toBe(202);
      await waitFor(() => live.entities.get(`sensor/m-${i}`), `m-${i} on the socket`);
    }
    const text = await waitFor(async () => {
      const body = await fetchMetrics(product.baseUrl);
      return valueOf(body, 'ioc_ingest_to_store_seconds_count') > 0 ? body : undefined;
    }, 'an ingest-to-store sample', 15_000);

    // An observation stamped 2 s before it was sent is at least 2 s old when its delta leaves.
    expect(valueOf(text, 'ioc_publish_to_delta_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(valueOf(text, 'ioc_publish_to_delta_seconds_bucket\\{le="1"\\}')).toBe(0);
    expect(valueOf(text, 'ioc_publish_to_delta_seconds_sum')).toBeGreaterThanOrEqual(6);
    expect(valueOf(text, 'ioc_ingest_accepted_total')).toBe(3);
    // Each 202 waited for the write-ahead log's fdatasync (on by default): at least one timed sync, each under 5 s.
    expect(valueOf(text, 'ioc_wal_sync_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'ioc_wal_sync_seconds_bucket\\{le="5"\\}')).toBe(valueOf(text, 'ioc_wal_sync_seconds_count'));
    expect(valueOf(text, 'ioc_wal_sync_seconds_sum')).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE ioc_ingest_accepted_total counter$/m);
    expect(text).toMatch(/^ioc_store_written_total\{store="embedded"\} \d+$/m);
    for (const name of ['ioc_process_cpu_seconds_total', 'ioc_process_resident_memory_bytes', 'ioc_nodejs_eventloop_lag_p99_seconds', 'ioc_nodejs_heap_size_used_bytes']) {
      expect(text).toMatch(new RegExp(`^${name} `, 'm'));
    }
    // The GC histogram has buckets once a collection ran: make garbage in this (the product's) process until one has.
    const withGc = await waitFor(async () => {
      let junk: number[][] = [];
      for (let i = 0; i < 200; i++) junk.push(new Array<number>(10_000).fill(i));
      junk = [];
      const body = await fetchMetrics(product.baseUrl);
      return /^ioc_nodejs_gc_duration_seconds_bucket\{/m.test(body) && junk.length === 0 ? body : undefined;
    }, 'a garbage collection in the histogram', 15_000);
    expect(withGc).toMatch(/^ioc_nodejs_gc_duration_seconds_bucket\{/m);
    expect(text).not.toContain(TEST_ADMIN_PASSWORD);
  });
});

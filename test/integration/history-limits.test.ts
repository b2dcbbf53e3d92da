import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryResponse, Observation } from '../../contract/index.js';
import { EmbeddedStore } from '../../server/store/embedded.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';

// The embedded store reads synchronously, so the longest raw history allowed (limits.historyRange,
// 400 days by default) over one busy entity must be read in chunks: /healthz keeps answering while it runs.
describe('a long raw history on the embedded store does not hold the server', () => {
  const ROWS = 300_000;
  const RANGE = 400 * 86_400_000;
  const now = Date.now();
  // Spread over the whole range, oldest first, all raw (retention off, so nothing is compacted meanwhile).
  const step = Math.floor((RANGE - 60_000) / ROWS);
  const first = now - RANGE + 30_000;
  const tsOf = (i: number) => first + i * step;
  const valueOf = (i: number) => (i % 997) + 0.25;
  let dataDir: string;
  let product: TestIoc;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-history-'));
    // Loaded through the store's own API before the product starts on the same data dir: fast, and the same file it reads.
    const store = new EmbeddedStore({ dataDir });
    await store.init();
    for (let start = 0; start < ROWS; start += 5000) {
      const batch: Observation[] = [];
      for (let i = start; i < start + 5000; i++) batch.push({ domain: 'sensor', id: 'busy-1', ts: tsOf(i), fields: { pm25: valueOf(i) } });
      store.write(batch);
      await store.flush();
    }
    await store.close();
    product = await startTestIoc({ mqtt: { port: 0 }, store: { retention: { enabled: false } } }, dataDir);
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz again and again while the longest raw history is read, and the history is exact', async () => {
    const from = now - RANGE;
    let finished = false;
    let finishedAt = 0;
    const startedAt = performance.now();
    const running = product.api.fetch(`/api/v1/entities/sensor/busy-1/history?from=${from}&to=${now}`).then(async (res) => {
      const body = { status: res.status, json: (await res.json()) as HistoryResponse };
      finished = true;
      finishedAt = performance.now();
      return body;
    });
    const answers: number[] = [];
    while (!finished) {
      const sent = performance.now();
      const res = await fetch(`${product.baseUrl}/healthz`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      if (!finished) answers.push(performance.now() - sent);
    }
    const history = await running;
    const duration = finishedAt - startedAt;

    // The answer keeps the newest 50 000 points of the 300 000 rows, oldest first, each as written.
    expect(history.status).toBe(200);
    const points = history.json.points;
    expect(points).toHaveLength(50_000);
    const offset = ROWS - 50_000;
    expect(points[0]).toEqual({ ts: tsOf(offset), fields: { pm25: valueOf(offset) } });
    expect(points[points.length - 1]).toEqual({ ts: tsOf(ROWS - 1), fields: { pm25: valueOf(ROWS - 1) } });
    expect(points.every((p, k) => p.ts === tsOf(offset + k) && p.fields.pm25 === valueOf(offset + k))).toBe(true);

    // Relative, since the machine is shared: many answers meanwhile, and none waited for a large part of the read.
    const slowest = Math.max(...answers);
    console.log(`raw history of ${ROWS} rows: ${Math.round(duration)} ms; /healthz answered ${answers.length} times meanwhile, slowest ${Math.round(slowest)} ms`);
    expect(answers.length).toBeGreaterThanOrEqual(20);
    expect(slowest).toBeLessThan(duration / 4);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

// One request never holds the server: backtest and history ranges are bounded (limits.*), and the longest
// backtest allowed leaves /healthz answering while it runs.
describe('bounded, non-blocking backtest and history', () => {
  let product: TestIoc;
  const OBSERVATIONS = 60_000;
  const ENTITIES = 50;
  const now = Date.now();
  const base = now - 90 * 60_000;

  beforeAll(async () => {
    product = await startTestIoc({ mqtt: { port: 0 }, limits: { backtestRange: '2h', historyRange: '2h' } });
    // Line protocol in batches: 60 000 observations over the last 90 minutes.
    const perBatch = 5000;
    for (let start = 0; start < OBSERVATIONS; start += perBatch) {
      const lines: string[] = [];
      for (let i = start; i < start + perBatch; i++) {
        lines.push(`sensor,id=load-${i % ENTITIES} pm25=${(i % 200) + 0.5} ${base + Math.floor((i * 80 * 60_000) / OBSERVATIONS)}`);
      }
      const res = await fetch(`${product.baseUrl}/api/v1/ingest?precision=ms`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: lines.join('\n'),
      });
      expect(res.status).toBe(202);
    }
    const rule = { id: 'load-rule', name: 'Load', domain: 'sensor', condition: { field: 'pm25', op: '>', value: 150, clear: 100 }, severity: 'warning', enabled: false };
    expect((await product.api.fetch('/api/v1/rules', { method: 'POST', json: rule })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
  });

  const backtest = async (from: number, to: number) => {
    const res = await product.api.fetch(`/api/v1/rules/load-rule/backtest?from=${from}&to=${to}`, { method: 'POST' });
    return { status: res.status, body: (await res.json()) as { observations?: number; count?: number; error?: { code: string; message: string } } };
  };

  it('refuses a backtest or a history longer than the configured range, with the reason', async () => {
    const long = await backtest(now - 3 * 3_600_000, now);
    expect(long.status).toBe(400);
    expect(long.body.error?.code).toBe('bad_request');
    expect(long.body.error?.message).toMatch(/longer than the 120 min allowed \(limits\.backtestRange\)/);
    const history = await product.api.fetch(`/api/v1/entities/sensor/load-1/history?from=${now - 3 * 3_600_000}&to=${now}`);
    expect(history.status).toBe(400);
    expect(((await history.json()) as { error: { message: string } }).error.message).toMatch(/limits\.historyRange/);
    const within = await product.api.fetch(`/api/v1/entities/sensor/load-1/history?from=${base - 1}&to=${now}&every=1m`);
    expect(within.status, await within.clone().text()).toBe(200);
  });

  it('answers /healthz while the longest allowed backtest runs', async () => {
    // Everything stored first (the embedded store writes in the background).
    await waitFor(async () => (await backtest(now - 2 * 3_600_000, now)).body.observations === OBSERVATIONS, 'all observations stored', 30_000, 250);

    let finished = false;
    let finishedAt = 0;
    const startedAt = performance.now();
    const running = backtest(now - 2 * 3_600_000, now).then((result) => {
      finished = true;
      finishedAt = performance.now();
      return result;
    });
    const answers: { at: number; took: number }[] = [];
    while (!finished) {
      const sent = performance.now();
      const res = await fetch(`${product.baseUrl}/healthz`);
      expect(res.status).toBe(200);
      const at = performance.now();
      if (!finished) answers.push({ at, took: at - sent });
    }
    const result = await running;
    expect(result.status).toBe(200);
    expect(result.body.observations).toBe(OBSERVATIONS);
    const duration = finishedAt - startedAt;
    // Answered again and again before the backtest finished, and no answer waited for most of it.
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...answers.map((a) => a.took))).toBeLessThan(duration / 2);
    console.log(`backtest of ${OBSERVATIONS} observations: ${Math.round(duration)} ms; /healthz answered ${answers.length} times meanwhile, slowest ${Math.round(Math.max(...answers.map((a) => a.took)))} ms`);
  });
});

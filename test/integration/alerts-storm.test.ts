import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxStore } from '../../server/store/influx.js';
import { ALERTS_MEASUREMENT } from '../../server/store/influx-read.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { influxQuery, startInfluxd, uniqueName, type RunningService } from '../support/services.js';

const STORM_SIZE = 1000;
// Holding each alert write this long stands in for a loaded InfluxDB and keeps writes in flight while the API is probed.
const WRITE_HOLD_MS = 150;

const STORM_RULE = {
  id: 'storm-test',
  name: 'PM2.5 storm (test)',
  domain: 'sensor',
  match: { tags: { group: 'storm-test' } },
  condition: { field: 'pm25', op: '>', value: 100 },
  severity: 'warning',
};

/** An HTTP proxy in front of influxd that counts `/write` requests carrying alert lines. */
interface CountingProxy {
  url: string;
  alertWrites: number;
  alertLinesStored: number;
  inFlight: number;
  close(): Promise<void>;
}

async function startCountingProxy(target: string, holdMs: number): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const alertPrefix = `${ALERTS_MEASUREMENT},`;
  const state = { alertWrites: 0, alertLinesStored: 0, inFlight: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const alertLines =
        req.method === 'POST' && req.url?.startsWith('/write')
          ? body
              .toString('utf8')
              .split('\n')
              .filter((line) => line.startsWith(alertPrefix)).length
          : 0;
      if (alertLines > 0) {
        state.alertWrites += 1;
        state.inFlight += 1;
      }
      const forward = () => {
        const out = request(
          {
            agent,
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('end', () => {
              if (alertLines === 0) return;
              state.inFlight -= 1;
              if ((answer.statusCode ?? 0) < 300) state.alertLinesStored += alertLines;
            });
          },
        );
        out.on('error', () => {
          if (alertLines > 0) state.inFlight -= 1;
          res.destroy();
        });
        out.end(body);
      };
      if (alertLines > 0) setTimeout(forward, holdMs);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  });
}

interface Probe {
  path: string;
  status: number;
  ms: number;
  /** An alert write was in flight to InfluxDB when the probe was sent. */
  duringWrites: boolean;
}

// A storm of 1 000 alerts must reach InfluxDB in a handful of writes, and the API must keep answering meanwhile.
describe('an alert storm on InfluxDB', () => {
  let influxd: RunningService;
  let proxy: CountingProxy;
  let product: TestIoc;
  let dataDir: string;
  const db = uniqueName('storm');

  beforeAll(async () => {
    influxd = await startInfluxd();
    proxy = await startCountingProxy(influxd.url, WRITE_HOLD_MS);
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-storm-'));
    product = await startTestIoc(
      { mqtt: { port: 0 }, rules: [STORM_RULE], influx: { url: proxy.url, db, flushInterval: 100 } },
      dataDir,
    );
  });

  afterAll(async () => {
    await product?.stop();
    await proxy?.close();
    await influxd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('persists 1 000 alerts in a handful of /write requests while /healthz and the rules API answer', async () => {
    const probes: Probe[] = [];
    let stormOver = false;
    const probeLoop = (async () => {
      for (let k = 0; !stormOver; k++) {
        const route = k % 2 === 0 ? '/healthz' : '/api/v1/rules';
        const duringWrites = proxy.inFlight > 0;
        const started = performance.now();
        const res = await product.api.fetch(route, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        probes.push({ path: route, status: res.status, ms: performance.now() - started, duringWrites });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const base = Date.now() - 10_000;
    const storm = Array.from({ length: STORM_SIZE }, (_, i) => ({
      domain: 'sensor',
      id: `storm-${i}`,
      ts: base + i,
      tags: { group: 'storm-test' },
      fields: { pm25: 150 + (i % 50) },
    }));
    const started = performance.now();
    const accepted = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(storm),
    });
    expect(accepted.status).toBe(202);
    try {
      await waitFor(() => proxy.alertLinesStored >= STORM_SIZE, 'every alert stored in InfluxDB', 30_000);
    } finally {
      stormOver = true;
      await probeLoop;
    }
    const persistedMs = performance.now() - started;

    const reader = new InfluxStore({
      url: influxd.url,
      db,
      batchSize: 5000,
      flushInterval: 50,
      maxBufferLines: 10_000,
    });
    const stored = await reader.loadAlerts();
    await reader.close();
    const during = probes.filter((p) => p.duringWrites);
    const slowest = Math.max(...probes.map((p) => p.ms));
    console.log(
      `alert storm: ${STORM_SIZE} alerts in ${proxy.alertWrites} alert /write requests, stored after ${persistedMs.toFixed(0)} ms; ` +
        `${probes.length} API probes (${during.length} while alert writes were in flight), slowest ${slowest.toFixed(1)} ms`,
    );

    expect(stored.filter((a) => a.ruleId === STORM_RULE.id)).toHaveLength(STORM_SIZE);
    expect(new Set(stored.map((a) => a.entityId)).size).toBe(STORM_SIZE);
    expect(proxy.alertWrites).toBeLessThanOrEqual(5);
    expect(probes.every((p) => p.status === 200)).toBe(true);
    expect(during.length).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(1000);
    await influxQuery(influxd.url, `DROP DATABASE "${db}"`);
  });
});

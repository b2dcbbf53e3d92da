import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import type { Observation } from '../../contract/observation.js';
import { createIngestRouter } from '../../ingest/http/receiver.js';
import { createIngestCounters } from '../../ingest/sink.js';
import { errorHandler } from '../../server/http/errors.js';

// POST /api/v1/ingest with text/plain takes InfluxDB's /write precisions, its one-letter spellings included.

const accepted: Observation[] = [];
let server: ReturnType<express.Express['listen']>;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(
    createIngestRouter({
      maxPayloadBytes: 100_000,
      normalize: { maxFutureMs: 60_000, maxPastMs: 100 * 365 * 86_400_000, domains: new Set(['sensor']) },
      sink: { accept: (batch) => accepted.push(...batch), commit: () => undefined, saturated: () => false, drained: () => Promise.resolve() },
      counters: createIngestCounters(),
      logger: silentLogger,
    }),
  );
  app.use(errorHandler(silentLogger));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function post(line: string, precision: string) {
  const res = await fetch(`${base}/ingest?precision=${precision}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: line,
  });
  const body: unknown = await res.json();
  return { status: res.status, body };
}

describe('HTTP line protocol precision', () => {
  it.each([
    ['n', '1600000000123000000', 1_600_000_000_123],
    ['ns', '1600000000123000000', 1_600_000_000_123],
    ['u', '1600000000123000', 1_600_000_000_123],
    ['us', '1600000000123000', 1_600_000_000_123],
    ['ms', '1600000000123', 1_600_000_000_123],
    ['s', '1600000000', 1_600_000_000_000],
    ['m', '26666666', 1_599_999_960_000],
    ['h', '444444', 1_599_998_400_000],
  ])('precision=%s reads %s', async (precision, stamp, ms) => {
    accepted.length = 0;
    const res = await post(`sensor,id=S1 v=1 ${stamp}`, precision);
    expect(res).toEqual({ status: 202, body: { accepted: 1, rejected: [] } });
    expect(accepted.map((o) => o.ts)).toEqual([ms]);
  });

  it('refuses a precision InfluxDB does not know, naming the choices', async () => {
    const res = await post('sensor,id=S1 v=1 1', 'd');
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/precision/);
  });
});

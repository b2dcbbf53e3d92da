import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startMosquitto, uniqueName, type RunningService } from '../support/services.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { freePort, waitFor } from '../support/ports.js';

// A broker restart mid-stream at QoS 1 loses nothing: persistent sessions on both sides, broker persistence on.
describe('broker restart mid-stream', () => {
  const services: RunningService[] = [];
  let product: TestIoc | undefined;

  afterAll(async () => {
    await product?.stop();
    await Promise.all(services.map((s) => s.stop()));
  });

  it('delivers every QoS 1 message published before, during and after the restart', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'ioc-mosq-persist-'));
    const first = await startMosquitto({ port, dir, persistence: true });
    services.push(first);
    product = await startTestIoc({ mqtt: { url: first.url, clientId: uniqueName('ingest') } });
    const publisher = await mqtt.connectAsync(first.url, {
      clientId: uniqueName('pub'),
      clean: false,
      reconnectPeriod: 200,
    });

    const total = 3000;
    const base = Date.now() - 60_000;
    const acked: Promise<unknown>[] = [];
    let second: RunningService | undefined;
    for (let i = 0; i < total; i++) {
      acked.push(publisher.publishAsync('city/sensor/restart-1', JSON.stringify({ ts: base + i, seq: i }), { qos: 1 }));
      if (i === total / 2) {
        await Promise.all(acked.slice(0, total / 4));
        // Stop the broker with messages in flight, then bring it back on the same port and store.
        await first.stop();
        second = await startMosquitto({ port, dir, persistence: true });
        services.push(second);
      }
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(acked);
    await publisher.endAsync();

    const url = `/api/v1/entities/sensor/restart-1/history?from=${base}&to=${base + total}`;
    // Wait for every distinct message: QoS 1 redelivers across the restart, so duplicates can make the
    // row count reach the total before the last messages are stored.
    let seqs = new Set<number | undefined>();
    await waitFor(
      async () => {
        const body = (await (await (product as TestIoc).api.fetch(url)).json()) as {
          points: { fields: { seq?: number } }[];
        };
        seqs = new Set(body.points.map((p) => p.fields.seq));
        return seqs.size >= total ? true : undefined;
      },
      `${total} distinct stored observations`,
      30_000,
      200,
    ).catch(() => undefined);
    expect(seqs.size).toBe(total);
    expect(Math.min(...(seqs as Set<number>))).toBe(0);
    expect(Math.max(...(seqs as Set<number>))).toBe(total - 1);
    expect(second).toBeDefined();
  });
});

import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, startRedis, uniqueName, type RunningService } from '../support/services.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { fetchMetrics } from '../support/auth.js';

// Two nodes behind one broker: MQTT shared subscriptions split ingest, the Redis adapter fans deltas out.
describe('two nodes with shared subscriptions and the Redis adapter', () => {
  let mosquitto: RunningService;
  let redis: RunningService;
  let nodeA: TestIoc;
  let nodeB: TestIoc;
  let live: LiveRecorder;
  /** A socket on node A that takes its deltas as columns (a group and room of their own). */
  let columns: LiveRecorder;

  beforeAll(async () => {
    [mosquitto, redis] = await Promise.all([startMosquitto(), startRedis()]);
    const shared = { url: mosquitto.url, sharedGroup: 'ioc' };
    const pollFast = { clusterPollInterval: 100 };
    nodeA = await startTestIoc({ mqtt: { ...shared, clientId: uniqueName('a') }, redisUrl: redis.url, live: pollFast });
    nodeB = await startTestIoc({ mqtt: { ...shared, clientId: uniqueName('b') }, redisUrl: redis.url, live: pollFast });
    live = await connectLive(nodeA.baseUrl, nodeA.api);
    columns = await connectLive(nodeA.baseUrl, nodeA.api);
  });

  afterAll(async () => {
    live?.close();
    columns?.close();
    await nodeA?.stop();
    await nodeB?.stop();
    await Promise.all([mosquitto?.stop(), redis?.stop()]);
  });

  it('splits ingest between the nodes and delivers every entity to a socket on one of them', async () => {
    await live.subscribe({ layers: ['sensor'] });
    await columns.subscribe({ layers: ['sensor'], encoding: 'columns' });
    // Node B has no socket of its own: it sends deltas for node A's groups once it has learnt them from the adapter.
    await waitFor(
      async () => /ioc_live_groups 2\b/.test(await fetchMetrics(nodeB.baseUrl)),
      "node B following node A's two groups",
    );
    const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: uniqueName('pub') });
    const count = 60;
    for (let i = 0; i < count; i++) {
      await publisher.publishAsync(`city/sensor/c-${i}`, JSON.stringify({ pm25: i, lat: 21.27, lon: 106.19 }), {
        qos: 1,
      });
    }
    await publisher.endAsync();
    await waitFor(() => live.entities.size === count, `${count} entities on node A's socket`, 15_000);
    for (let i = 0; i < count; i++) expect(live.entities.get(`sensor/c-${i}`)?.fields.pm25).toBe(i);
    // Node B's share reached the columns socket too, its binary attachment carried through Redis.
    await waitFor(() => columns.entities.size === count, `${count} entities on node A's columns socket`, 15_000);
    for (let i = 0; i < count; i++)
      expect(columns.entities.get(`sensor/c-${i}`)).toEqual(live.entities.get(`sensor/c-${i}`));

    const accepted = async (node: TestIoc) => {
      const text = await fetchMetrics(node.baseUrl);
      return Number(/ioc_ingest_accepted_total (\d+)/.exec(text)?.[1] ?? 0);
    };
    const [a, b] = await Promise.all([accepted(nodeA), accepted(nodeB)]);
    expect(a + b).toBe(count);
    // Each message went to exactly one node, and both nodes took a share.
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);

    // REST answers with the whole city from either node, though each node ingested only its share.
    for (const node of [nodeA, nodeB]) {
      const body = (await (await node.api.fetch(`/api/v1/entities?domain=sensor`)).json()) as {
        entities: { id: string; fields: { pm25: number } }[];
        partial?: unknown;
      };
      expect(body.partial).toBeUndefined();
      expect(body.entities).toHaveLength(count);
      const byId = new Map(body.entities.map((e) => [e.id, e.fields.pm25]));
      for (let i = 0; i < count; i++) expect(byId.get(`c-${i}`)).toBe(i);
    }
  });

  it('keeps ingesting without crashing when Redis goes away, and still shuts down', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      await redis.stop();
      // Every delta now fans out through a Redis connection that is gone: each failed publish is logged, not thrown.
      const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: uniqueName('pub') });
      for (let i = 0; i < 20; i++) {
        await publisher.publishAsync(`city/sensor/after-${i}`, JSON.stringify({ pm25: i, lat: 21.27, lon: 106.19 }), {
          qos: 1,
        });
      }
      await publisher.endAsync();
      const acceptedTotal = async () => {
        let total = 0;
        for (const node of [nodeA, nodeB])
          total += Number(/ioc_ingest_accepted_total (\d+)/.exec(await fetchMetrics(node.baseUrl))?.[1] ?? 0);
        return total;
      };
      await waitFor(
        async () => (await acceptedTotal()) === 80,
        'the 20 messages sent after Redis stopped accepted',
        10_000,
      );
      await waitFor(
        () => [...live.entities.keys()].some((id) => id.startsWith('sensor/after-')),
        'node A still delivering its own share',
        10_000,
      );
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
    live.close();
    const started = Date.now();
    await nodeB.stop();
    // Bounded by the product's Redis close timeout (3 s), not by Redis coming back.
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

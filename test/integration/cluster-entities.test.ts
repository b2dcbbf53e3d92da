import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bbox, Observation } from '../../contract/index.js';
import { silentLogger } from '../../config/logger.js';
import { CLUSTER_REQUEST_TIMEOUT_MS } from '../../server/live/cluster-snapshot.js';
import { createLiveServer, type LiveIo, type LiveServer } from '../../server/live/live-server.js';
import { createLiveState, type LiveState } from '../../server/live/live-state.js';
import { startRedis, type RunningService } from '../support/services.js';

interface LiveNode {
  live: LiveState;
  server: LiveServer;
  close(): Promise<void>;
}

/** The live module alone (no HTTP, no ingest), on a Redis adapter when `redisUrl` is given. */
async function startLiveNode(redisUrl?: string): Promise<LiveNode> {
  // Attached to an HTTP server that never listens: only so io.close() has an engine to close.
  const io: LiveIo = new Server(createServer());
  const clients: ReturnType<typeof createClient>[] = [];
  if (redisUrl) {
    const pub = createClient({ url: redisUrl });
    const sub = pub.duplicate();
    clients.push(pub, sub);
    // Redis is stopped in the last test: the clients then retry, and say so here.
    for (const client of clients) client.on('error', () => undefined);
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub, { requestsTimeout: CLUSTER_REQUEST_TIMEOUT_MS }));
  }
  const live = createLiveState(() => 120_000);
  const server = createLiveServer({ io, live, deltaInterval: 100, staleCheckInterval: 1000, logger: silentLogger, clustered: redisUrl !== undefined });
  return {
    live,
    server,
    async close() {
      server.stop();
      // destroy, not quit: quit waits for a Redis that the last test stopped.
      for (const client of clients) client.destroy();
      await io.close();
    },
  };
}

const observe = (domain: string, id: string, ts: number, lon: number, value: number): Observation => ({
  domain,
  id,
  ts,
  lat: 21.3,
  lon,
  fields: { probe: value },
});

const ids = (entities: { domain: string; id: string }[]) => entities.map((e) => `${e.domain}/${e.id}`).sort();

// What GET /api/v1/entities can call for a cluster-wide answer: LiveServer.entities(query).
describe('LiveServer.entities across nodes', () => {
  let redis: RunningService;
  let nodeA: LiveNode;
  let nodeB: LiveNode;
  let alone: LiveNode;

  beforeAll(async () => {
    redis = await startRedis();
    [nodeA, nodeB, alone] = await Promise.all([startLiveNode(redis.url), startLiveNode(redis.url), startLiveNode()]);
  });

  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close(), alone?.close()]);
    await redis?.stop();
  });

  it('merges every node by domain and bbox, newest copy first, without creating delta groups', async () => {
    const onA = [observe('sensor', 's1', 10, 106.2, 1), observe('sensor', 'both', 10, 106.2, 1), observe('traffic', 't1', 10, 106.2, 1)];
    const onB = [observe('sensor', 's2', 10, 106.4, 2), observe('sensor', 'both', 20, 106.4, 2)];
    nodeA.live.apply(onA);
    nodeB.live.apply(onB);
    alone.live.apply([...onA, ...onB]);
    const bbox: Bbox = [106.1, 21.2, 106.3, 21.4];

    for (const query of [{}, { layers: ['sensor'] }, { bbox }, { layers: ['sensor'], bbox }]) {
      const [fromA, fromB, single] = await Promise.all([nodeA.server.entities(query), nodeB.server.entities(query), alone.server.entities(query)]);
      expect(fromA.partial).toBeUndefined();
      expect(ids(fromA.entities)).toEqual(ids(single.entities));
      expect(ids(fromB.entities)).toEqual(ids(single.entities));
    }
    const everything = await nodeA.server.entities({});
    expect(ids(everything.entities)).toEqual(['sensor/both', 'sensor/s1', 'sensor/s2', 'traffic/t1']);
    expect(everything.entities.find((e) => e.id === 'both')?.fields.probe).toBe(2);
    // 'both' moved out of the bbox on node B after node A last saw it inside.
    expect(ids((await nodeA.server.entities({ bbox })).entities)).toEqual(['sensor/s1', 'traffic/t1']);
    // A one-off query is no subscription: no node starts sending deltas for it.
    expect(nodeA.server.stats().groups).toBe(0);
    expect(nodeB.server.stats().groups).toBe(0);
  });

  it("answers with this node's entities, marked partial, when Redis itself is gone", async () => {
    await redis.stop();
    const started = performance.now();
    const answer = await nodeA.server.entities({ layers: ['sensor'] });
    const ms = performance.now() - started;
    expect(answer.partial?.code).toBe('cluster_timeout');
    expect(ids(answer.entities)).toEqual(['sensor/both', 'sensor/s1']);
    expect(ms).toBeLessThan(CLUSTER_REQUEST_TIMEOUT_MS + 1500);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inBbox, type Bbox, type Entity, type Observation, type Snapshot, type SubscribeRequest } from '../../contract/index.js';
import { CLUSTER_REQUEST_TIMEOUT_MS } from '../../server/live/cluster-snapshot.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { freePort, waitFor } from '../support/ports.js';
import { startMosquitto, startRedis, uniqueName, type RunningService } from '../support/services.js';
import { fetchMetrics, TEST_ADMIN_PASSWORD } from '../support/auth.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOMAINS = { sensor: { staleAfter: 120_000 }, traffic: { staleAfter: 2000 }, health: { staleAfter: 120_000 } };
const LIVE = { staleCheckInterval: 200 };
const BBOX: Bbox = [106.15, 21.25, 106.25, 21.33];

async function ingest(node: { baseUrl: string }, observations: Observation[]): Promise<void> {
  const res = await fetch(`${node.baseUrl}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(observations),
  });
  expect(res.status).toBe(202);
}

/** Entities of `domain` in one node's own live state, from its metrics (status → count). */
async function localEntities(baseUrl: string, domain: string): Promise<Record<string, number>> {
  const text = await fetchMetrics(baseUrl);
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(new RegExp(`^ioc_entities\\{domain="${domain}",status="(\\w+)"\\} (\\d+)$`, 'gm'))) {
    counts[match[1] as string] = Number(match[2]);
  }
  return counts;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** What a snapshot says of each entity, keyed by "<domain>/<id>". */
function byKey(snapshot: Snapshot): Map<string, Omit<Entity, 'domain' | 'id'>> {
  return new Map(snapshot.entities.map(({ domain, id, ...rest }) => [`${domain}/${id}`, rest]));
}

async function timedSubscribe(live: LiveRecorder, request: SubscribeRequest): Promise<{ snapshot: Snapshot; ms: number }> {
  const started = performance.now();
  const snapshot = await live.subscribe(request);
  return { snapshot, ms: performance.now() - started };
}

/** A product node as its own process (it can be paused with SIGSTOP, unlike one in the test's event loop). */
async function startNodeProcess(env: Record<string, string>, clientId: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-node-'));
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ mqtt: { clientId }, domains: DOMAINS, live: LIVE }));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, IOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, IOC_CONFIG: configFile, IOC_PORT: String(port), IOC_HOST: '127.0.0.1', IOC_DATA_DIR: dir, IOC_SIMULATE: '0', IOC_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${baseUrl}/readyz`)).status === 200, `node process ready (output: ${output})`, 30_000, 100);
  return {
    baseUrl,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Each node keeps live state only for what it ingested; a snapshot on any node must hold the whole cluster's.
describe('cluster-wide snapshot', () => {
  let mosquitto: RunningService;
  let redis: RunningService;
  let nodeA: TestIoc;
  let nodeB: TestIoc;
  /** One node without Redis fed the same observations: what the cluster must look like. */
  let single: TestIoc;
  let liveA: LiveRecorder;
  let liveB: LiveRecorder;
  let liveSingle: LiveRecorder;
  const t0 = Date.now() - 60_000;

  beforeAll(async () => {
    [mosquitto, redis] = await Promise.all([startMosquitto(), startRedis()]);
    const shared = { url: mosquitto.url, sharedGroup: 'ioc' };
    const common = { domains: DOMAINS, live: LIVE, redisUrl: redis.url };
    nodeA = await startTestIoc({ ...common, mqtt: { ...shared, clientId: uniqueName('a') } });
    nodeB = await startTestIoc({ ...common, mqtt: { ...shared, clientId: uniqueName('b') } });
    single = await startTestIoc({ domains: DOMAINS, live: LIVE, mqtt: { port: 0 } });
    [liveA, liveB, liveSingle] = await Promise.all([connectLive(nodeA.baseUrl, nodeA.api), connectLive(nodeB.baseUrl, nodeB.api), connectLive(single.baseUrl, single.api)]);
  });

  afterAll(async () => {
    for (const live of [liveA, liveB, liveSingle]) live?.close();
    await Promise.all([nodeA?.stop(), nodeB?.stop(), single?.stop()]);
    await Promise.all([mosquitto?.stop(), redis?.stop()]);
  });

  it("holds both nodes' entities after shared subscriptions split ingest, with or without a bbox", async () => {
    const count = 60;
    const observations: Observation[] = Array.from({ length: count }, (_, i) => ({
      domain: 'sensor',
      id: `m-${i}`,
      ts: t0 + i,
      lat: 21.2 + (i % 10) * 0.02,
      lon: 106.1 + Math.floor(i / 10) * 0.04,
      fields: { probe: i },
      tags: { batch: 'mqtt' },
    }));
    const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: uniqueName('pub') });
    for (const { id, ts, lat, lon, fields, tags } of observations) {
      await publisher.publishAsync(`city/sensor/${id}`, JSON.stringify({ ts, lat, lon, tags, ...fields }), { qos: 1 });
    }
    await publisher.endAsync();
    await ingest(single, observations);

    const [heldByA, heldByB] = await waitFor(async () => {
      const held = await Promise.all([localEntities(nodeA.baseUrl, 'sensor'), localEntities(nodeB.baseUrl, 'sensor')]);
      return total(held[0]) + total(held[1]) === count ? held : undefined;
    }, `${count} sensor entities across both nodes' live state`);
    // Each node holds only its share: a local snapshot could not be whole.
    expect(total(heldByA)).toBeGreaterThan(0);
    expect(total(heldByB)).toBeGreaterThan(0);
    await waitFor(async () => total(await localEntities(single.baseUrl, 'sensor')) === count, 'the single node has every entity');

    const expected = byKey(await liveSingle.subscribe({ layers: ['sensor'] }));
    expect(expected.size).toBe(count);
    for (const live of [liveA, liveB]) {
      const snapshot = await live.subscribe({ layers: ['sensor'] });
      expect(snapshot.partial).toBeUndefined();
      expect(byKey(snapshot)).toEqual(expected);
      for (const { id, fields } of observations) expect(live.entities.get(`sensor/${id}`)?.fields).toEqual(fields);
    }

    const insideBbox = observations.filter((o) => inBbox(BBOX, o.lat ?? null, o.lon ?? null)).map((o) => `sensor/${o.id}`);
    expect(insideBbox.length).toBeGreaterThan(0);
    expect(insideBbox.length).toBeLessThan(count);
    const expectedInBbox = byKey(await liveSingle.subscribe({ layers: ['sensor'], bbox: BBOX }));
    expect([...expectedInBbox.keys()].sort()).toEqual(insideBbox.sort());
    for (const live of [liveA, liveB]) expect(byKey(await live.subscribe({ layers: ['sensor'], bbox: BBOX }))).toEqual(expectedInBbox);
  });

  it("keeps the newer copy when both nodes hold an entity, wherever it is and whichever node answers", async () => {
    const inside = { lat: 21.3, lon: 106.2 };
    const outside = { lat: 21.4, lon: 106.4 };
    const at = (id: string, dt: number, where: { lat: number; lon: number }, value: number): Observation => ({
      domain: 'sensor',
      id,
      ts: t0 + 10_000 + dt,
      ...where,
      fields: { probe: value },
    });
    // On A the older copy, on B the newer one, and the other way round; movers cross the bbox edge.
    const onA = [at('dup-newer-on-b', 0, inside, 1), at('dup-newer-on-a', 10, inside, 1), at('mover-out', 0, inside, 1), at('mover-in', 0, outside, 1)];
    const onB = [at('dup-newer-on-b', 10, inside, 2), at('dup-newer-on-a', 0, inside, 2), at('mover-out', 10, outside, 2), at('mover-in', 10, inside, 2)];
    await Promise.all([ingest(nodeA, onA), ingest(nodeB, onB)]);
    await ingest(single, [...onA, ...onB]);
    const ids = onA.map((o) => `sensor/${o.id}`);
    const holdsAll = async (live: LiveRecorder) => {
      const snapshot = byKey(await live.subscribe({ layers: ['sensor'] }));
      return ids.every((key) => snapshot.get(key)?.ts === t0 + 10_010) ? snapshot : undefined;
    };
    const expected = await waitFor(() => holdsAll(liveSingle), 'the single node has the newer copies');
    for (const live of [liveA, liveB]) {
      const snapshot = await waitFor(() => holdsAll(live), 'both copies of each entity ingested');
      for (const key of ids) expect(snapshot.get(key)).toEqual(expected.get(key));
      expect(snapshot.get('sensor/dup-newer-on-b')?.fields.probe).toBe(2);
      expect(snapshot.get('sensor/dup-newer-on-a')?.fields.probe).toBe(1);

      const inBboxSnapshot = byKey(await live.subscribe({ layers: ['sensor'], bbox: BBOX }));
      expect(inBboxSnapshot.has('sensor/mover-out')).toBe(false);
      expect(inBboxSnapshot.get('sensor/mover-in')).toMatchObject({ ...inside, fields: { probe: 2 } });
      expect(inBboxSnapshot.get('sensor/dup-newer-on-b')?.fields.probe).toBe(2);
    }
  });

  it('shows stale entities as stale, as one node would', async () => {
    const silent: Observation = { domain: 'traffic', id: 'silent', ts: Date.now(), lat: 21.3, lon: 106.2, fields: { flow: 10 } };
    await Promise.all([ingest(nodeB, [silent]), ingest(single, [silent])]);
    await waitFor(async () => (await localEntities(nodeB.baseUrl, 'traffic')).stale === 1, 'node B marks it stale');
    await waitFor(async () => (await localEntities(single.baseUrl, 'traffic')).stale === 1, 'the single node marks it stale');
    const fresh: Observation = { ...silent, id: 'fresh', ts: Date.now() };
    await Promise.all([ingest(nodeA, [fresh]), ingest(single, [fresh])]);
    await waitFor(async () => (await localEntities(nodeA.baseUrl, 'traffic')).ok === 1, 'node A holds the fresh one');

    const expected = byKey(await liveSingle.subscribe({ layers: ['traffic'] }));
    const fromA = byKey(await liveA.subscribe({ layers: ['traffic'] }));
    expect([...fromA.keys()].sort()).toEqual(['traffic/fresh', 'traffic/silent']);
    for (const [key, entity] of fromA) expect(entity.status).toBe(expected.get(key)?.status);
    expect(fromA.get('traffic/silent')?.status).toBe('stale');
    expect(fromA.get('traffic/fresh')?.status).toBe('ok');
  });

  it('gathers 10 000 entities from two nodes well within the timeout', async () => {
    const count = 10_000;
    const observations: Observation[] = Array.from({ length: count }, (_, i) => ({
      domain: 'health',
      id: `h-${i}`,
      ts: t0 + i,
      lat: 21.2 + (i % 100) * 0.002,
      lon: 106.1 + Math.floor(i / 100) * 0.002,
      fields: { beds: i, erWait: 10 },
    }));
    const half = count / 2;
    await Promise.all([ingest(nodeA, observations.slice(0, half)), ingest(nodeB, observations.slice(half))]);
    await waitFor(
      async () => total(await localEntities(nodeA.baseUrl, 'health')) === half && total(await localEntities(nodeB.baseUrl, 'health')) === half,
      'each node holds half',
    );
    const { snapshot, ms } = await timedSubscribe(liveA, { layers: ['health'] });
    expect(snapshot.partial).toBeUndefined();
    expect(snapshot.entities).toHaveLength(count);
    expect(liveA.entities.get(`health/h-${count - 1}`)?.fields.beds).toBe(count - 1);
    expect(ms).toBeLessThan(CLUSTER_REQUEST_TIMEOUT_MS);
  });

  it('answers within the timeout, marked partial, while a node is paused; whole again once it resumes or stops', async () => {
    const nodeC = await startNodeProcess(
      { IOC_MQTT_URL: mosquitto.url, IOC_MQTT_SHARED_GROUP: 'ioc', IOC_REDIS_URL: redis.url },
      uniqueName('c'),
    );
    try {
      const onC: Observation[] = [{ domain: 'sensor', id: 'only-on-c', ts: Date.now(), lat: 21.3, lon: 106.2, fields: { probe: 3 } }];
      await ingest(nodeC, onC);
      await waitFor(async () => (await liveA.subscribe({ layers: ['sensor'] })).entities.some((e) => e.id === 'only-on-c'), "node C's entity in A's snapshot");
      const whole = liveA.entities.size;

      nodeC.child.kill('SIGSTOP');
      const paused = await timedSubscribe(liveA, { layers: ['sensor'] });
      expect(paused.ms).toBeGreaterThanOrEqual(CLUSTER_REQUEST_TIMEOUT_MS - 50);
      expect(paused.ms).toBeLessThan(CLUSTER_REQUEST_TIMEOUT_MS + 1500);
      expect(paused.snapshot.partial?.code).toBe('cluster_timeout');
      expect(paused.snapshot.error).toBeUndefined();
      // Node B did answer: everything but C's entity is there.
      expect(paused.snapshot.entities).toHaveLength(whole - 1);
      expect(paused.snapshot.entities.some((e) => e.id === 'dup-newer-on-b' && e.fields.probe === 2)).toBe(true);

      nodeC.child.kill('SIGCONT');
      const resumed = await waitFor(async () => {
        const { snapshot, ms } = await timedSubscribe(liveA, { layers: ['sensor'] });
        return snapshot.partial === undefined ? { snapshot, ms } : undefined;
      }, 'a whole snapshot once node C resumes');
      expect(resumed.snapshot.entities).toHaveLength(whole);

      await nodeC.stop();
      const afterStop = await timedSubscribe(liveA, { layers: ['sensor'] });
      expect(afterStop.snapshot.partial).toBeUndefined();
      expect(afterStop.ms).toBeLessThan(CLUSTER_REQUEST_TIMEOUT_MS / 2);
      expect(afterStop.snapshot.entities).toHaveLength(whole - 1);
    } finally {
      await nodeC.stop();
    }
  });
});

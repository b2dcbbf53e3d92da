import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnDelta } from '../../contract/index.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

// The default set-up: in-process broker and embedded store, as `npm start` runs it.
describe('pipeline on the embedded broker and store', () => {
  let product: TestIoc;
  let publisher: MqttClient;
  let live: LiveRecorder;

  beforeAll(async () => {
    product = await startTestIoc({
      mqtt: { port: 0 },
      // Small enough that one message can exceed it (the default is 10 000).
      live: { staleCheckInterval: 100, maxEntitiesPerDelta: 100 },
      domains: {
        sensor: { staleAfter: 120_000 },
        traffic: { staleAfter: 600 },
        health: { staleAfter: 120_000 },
        queue: { staleAfter: 120_000 },
      },
    });
    publisher = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: 'embedded-test-pub' });
    live = await connectLive(product.baseUrl, product.api);
  });

  afterAll(async () => {
    live?.close();
    await publisher?.endAsync();
    await product?.stop();
  });

  it('runs the in-process broker and answers ready', async () => {
    expect(product.ioc.mqttPort).toBeGreaterThan(0);
    const res = await waitFor(
      async () => ((await fetch(`${product.baseUrl}/readyz`)).status === 200 ? true : undefined),
      'ready',
    );
    expect(res).toBe(true);
  });

  it('delivers MQTT observations to the store and to sockets, merging fields per entity', async () => {
    const snapshot = await live.subscribe({ layers: ['health', 'traffic'] });
    expect(snapshot.entities).toEqual([]);
    const ts = Date.now() - 2000;
    await publisher.publishAsync('city/health/h-1', JSON.stringify({ ts, lat: 21.28, lon: 106.2, bedsFree: 12 }), {
      qos: 1,
    });
    await publisher.publishAsync('city/health/h-1', JSON.stringify({ ts: ts + 1, erWait: 35 }), { qos: 1 });
    await waitFor(() => live.entities.get('health/h-1')?.fields.erWait === 35, 'merged entity');
    expect(live.entities.get('health/h-1')).toMatchObject({
      lat: 21.28,
      lon: 106.2,
      fields: { bedsFree: 12, erWait: 35 },
    });

    // An out-of-order reading is stored but never overwrites the newer live value.
    await publisher.publishAsync('city/health/h-1', JSON.stringify({ ts: ts - 10_000, erWait: 99 }), { qos: 1 });
    const history = await waitFor(async () => {
      const body = (await (
        await product.api.fetch(`/api/v1/entities/health/h-1/history?from=${ts - 20_000}&to=${ts + 10}`)
      ).json()) as { points: { ts: number; fields: Record<string, unknown> }[] };
      return body.points.length === 3 ? body.points : undefined;
    }, 'three stored points');
    expect(history.map((p) => p.ts)).toEqual([ts - 10_000, ts, ts + 1]);
    expect(live.entities.get('health/h-1')?.fields.erWait).toBe(35);
  });

  it('turns silent entities stale and tells the console', async () => {
    await live.subscribe({ layers: ['traffic'] });
    await publisher.publishAsync('city/traffic/j-9', JSON.stringify({ flow: 20, lat: 21.27, lon: 106.19 }), { qos: 1 });
    await waitFor(() => live.entities.get('traffic/j-9')?.status === 'ok', 'live junction');
    await waitFor(() => live.entities.get('traffic/j-9')?.status === 'stale', 'stale junction', 5000);
    await publisher.publishAsync('city/traffic/j-9', JSON.stringify({ flow: 21 }), { qos: 1 });
    await waitFor(() => live.entities.get('traffic/j-9')?.status === 'ok', 'live again');
  });

  it('sends removes when an entity leaves a bbox subscription', async () => {
    const bbox: [number, number, number, number] = [106.0, 21.0, 106.3, 21.4];
    const snap = await live.subscribe({ layers: ['traffic'], bbox });
    expect(snap.entities.every((e) => e.lon !== null && e.lon >= 106.0 && e.lon <= 106.3)).toBe(true);
    await publisher.publishAsync('city/traffic/bus-1', JSON.stringify({ lat: 21.27, lon: 106.19, speed: 30 }), {
      qos: 1,
    });
    await waitFor(() => live.entities.has('traffic/bus-1'), 'bus inside bbox');
    await publisher.publishAsync('city/traffic/bus-1', JSON.stringify({ lat: 21.27, lon: 106.5, speed: 30 }), {
      qos: 1,
    });
    await waitFor(() => !live.entities.has('traffic/bus-1'), 'bus removed after leaving the bbox');
    expect(live.deltas.some((d) => d.removes.includes('traffic/bus-1'))).toBe(true);
  });

  it('sends the same state as columns to sockets that ask for them, numbers as one binary attachment', async () => {
    const columns = await connectLive(product.baseUrl, product.api);
    const raw: ColumnDelta[] = [];
    columns.socket.on('deltaColumns', (delta) => raw.push(delta));
    try {
      const layers = ['traffic', 'sensor', 'health'];
      await live.subscribe({ layers });
      await columns.subscribe({ layers, encoding: 'columns' });
      const ts = Date.now() - 1000;
      await publisher.publishAsync(
        'city/traffic/bus-col',
        JSON.stringify({
          ts,
          lat: 21.2712345678,
          lon: 106.1987654321,
          speed: 31.5,
          heading: 270,
          route: 'R12',
          tags: { name: 'Xe buýt 12' },
        }),
        { qos: 1 },
      );
      await publisher.publishAsync(
        'city/sensor/aq-col',
        JSON.stringify({ ts, lat: 21.3, lon: 106.2, pm25: 88, calibrated: false }),
        { qos: 1 },
      );
      await publisher.publishAsync('city/health/h-col', JSON.stringify({ ts, erWait: 12 }), { qos: 1 });
      await publisher.publishAsync(
        'city/traffic/bus-col',
        JSON.stringify({ ts: ts + 500, lat: 21.28, lon: 106.2, speed: 12 }),
        { qos: 1 },
      );
      const keys = ['traffic/bus-col', 'sensor/aq-col', 'health/h-col'];
      const settled = () =>
        keys.every((key) => columns.entities.has(key) && live.entities.has(key)) &&
        columns.entities.get('traffic/bus-col')?.fields.speed === 12 &&
        live.entities.get('traffic/bus-col')?.fields.speed === 12;
      await waitFor(settled, 'both sockets hold the three entities');
      for (const key of keys) expect(columns.entities.get(key)).toEqual(live.entities.get(key));
      expect(columns.entities.get('traffic/bus-col')).toMatchObject({
        lat: 21.28,
        fields: { speed: 12, heading: 270, route: 'R12' },
        tags: { name: 'Xe buýt 12' },
      });
      expect(columns.entities.get('health/h-col')).toMatchObject({ lat: null, lon: null, fields: { erWait: 12 } });
      expect(columns.deltas.length).toBeGreaterThan(0);
      // Binary on the wire: socket.io hands a Node client the attachment as a Buffer, never as JSON numbers.
      expect(raw.every((delta) => Buffer.isBuffer(delta.numbers))).toBe(true);
      expect(
        raw.some((delta) =>
          delta.blocks.some((block) => block.domain === 'traffic' && block.numeric.includes('speed')),
        ),
      ).toBe(true);

      const bad = await columns.subscribe({ layers, encoding: 'protobuf' } as never);
      expect(bad.error?.code).toBe('bad_request');
      expect(bad.error?.message).toMatch(/encoding/);
    } finally {
      columns.close();
    }
  });

  it('serves clients on HTTP long-polling (a proxy without websockets) in both encodings, one answer per request', async () => {
    for (const encoding of ['json', 'columns'] as const) {
      const polling = await connectLive(product.baseUrl, product.api, { transport: 'polling' });
      try {
        await polling.subscribe({ layers: ['sensor'], encoding });
        expect(polling.socket.io.engine.transport.name).toBe('polling');
        const ts = Date.now() - 500;
        const id = `aq-poll-${encoding}`;
        await publisher.publishAsync(
          `city/sensor/${id}`,
          JSON.stringify({ ts, lat: 21.31, lon: 106.22, pm25: 17.25 }),
          { qos: 1 },
        );
        await waitFor(
          () => polling.entities.get(`sensor/${id}`)?.fields.pm25 === 17.25,
          `the reading over long-polling (${encoding})`,
        );
        expect(polling.entities.get(`sensor/${id}`)).toMatchObject({ ts, lat: 21.31, lon: 106.22, status: 'ok' });
        // Several polls later the connection still carries deltas: no poll was answered twice.
        await publisher.publishAsync(`city/sensor/${id}`, JSON.stringify({ ts: ts + 1, pm25: 18.5 }), { qos: 1 });
        await waitFor(
          () => polling.entities.get(`sensor/${id}`)?.fields.pm25 === 18.5,
          `a second reading over long-polling (${encoding})`,
        );
        expect(polling.socket.connected).toBe(true);
      } finally {
        polling.close();
      }
    }
    expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
  });

  it('answers an invalid subscribe with the reason', async () => {
    const snap = await live.subscribe({ layers: ['Not A Domain'], bbox: [10, 10, 5, 5] } as never);
    expect(snap.error?.code).toBe('bad_request');
    expect(snap.error?.message).toMatch(/layers\.0/);
    expect(snap.error?.message).toMatch(/bbox/);
  });

  it('spreads a burst larger than live.maxEntitiesPerDelta over several deltas, losing none', async () => {
    await live.subscribe({ layers: ['queue'] });
    const before = live.deltas.length;
    const ts = Date.now() - 1000;
    const burst = Array.from({ length: 250 }, (_, n) => ({ id: `counter-${n}`, ts, fields: { waiting: n } }));
    await publisher.publishAsync('city/queue', JSON.stringify(burst), { qos: 1 });
    await waitFor(
      () => burst.every((obs) => live.entities.get(`queue/${obs.id}`)?.fields.waiting === obs.fields.waiting),
      'every counter of the burst',
    );
    const deltas = live.deltas.slice(before).filter((d) => d.upserts.length > 0);
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    for (const d of deltas) expect(d.upserts.length).toBeLessThanOrEqual(100);
    // Each entity once: what waited for a later delta was not sent twice.
    const sent = deltas.flatMap((d) => d.upserts.map((e) => e.id));
    expect(sent).toHaveLength(250);
    expect(new Set(sent).size).toBe(250);
  });

  it('keeps deltas at or under 10 per second per socket however fast data arrives', async () => {
    await live.subscribe({ layers: ['sensor'] });
    const before = live.deltas.length;
    const started = Date.now();
    for (let i = 0; i < 2000; i++) {
      publisher.publish('city/sensor/burst-1', JSON.stringify({ pm25: i % 300 }), { qos: 0 });
    }
    await waitFor(() => live.entities.get('sensor/burst-1')?.fields.pm25 === 1999 % 300, 'last burst value');
    const elapsed = (Date.now() - started) / 1000;
    const deltas = live.deltas.slice(before);
    expect(deltas.length).toBeLessThanOrEqual(Math.ceil(elapsed * 10) + 1);
    // Coalesced: at most one upsert per entity per delta.
    for (const d of deltas) expect(d.upserts.filter((e) => e.id === 'burst-1').length).toBeLessThanOrEqual(1);
  });
});

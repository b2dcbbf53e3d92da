import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxQuery, startInfluxd, startMosquitto, uniqueName, type RunningService } from '../support/services.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { fetchMetrics } from '../support/auth.js';

// MQTT → store → socket delta, end to end on real Mosquitto and real InfluxDB.
describe('pipeline on Mosquitto + InfluxDB', () => {
  let mosquitto: RunningService;
  let influxd: RunningService;
  let product: TestIoc;
  let publisher: MqttClient;
  let live: LiveRecorder;
  let rejected: { topic: string; body: { errors: { index: number; error: string }[] } }[];
  const db = uniqueName('pipeline');

  beforeAll(async () => {
    [mosquitto, influxd] = await Promise.all([startMosquitto(), startInfluxd()]);
    product = await startTestIoc({
      mqtt: { url: mosquitto.url, clientId: uniqueName('ingest') },
      influx: { url: influxd.url, db, flushInterval: 100 },
    });
    publisher = await mqtt.connectAsync(mosquitto.url, { clientId: uniqueName('pub') });
    rejected = [];
    await publisher.subscribeAsync('ioc/rejected/#', { qos: 1 });
    publisher.on('message', (topic, payload) => {
      if (topic.startsWith('ioc/rejected/')) rejected.push({ topic, body: JSON.parse(payload.toString()) as never });
    });
    live = await connectLive(product.baseUrl, product.api);
  });

  afterAll(async () => {
    live?.close();
    await publisher?.endAsync();
    await product?.stop();
    await Promise.all([mosquitto?.stop(), influxd?.stop()]);
  });

  it('is ready when broker and store are reachable', async () => {
    const res = await waitFor(async () => {
      const r = await fetch(`${product.baseUrl}/readyz`);
      return r.status === 200 ? r : undefined;
    }, 'readyz 200');
    const body = (await res.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.store?.ok).toBe(true);
    expect(body.checks.broker?.ok).toBe(true);
  });

  it('stores each format and pushes live deltas to subscribed sockets only', async () => {
    const snapshot = await live.subscribe({ layers: ['sensor'] });
    expect(snapshot.error).toBeUndefined();
    const ts = Date.now() - 5000;
    await publisher.publishAsync('city/sensor/aq-1', JSON.stringify({ ts, lat: 21.27, lon: 106.19, pm25: 42.5, tags: { district: 'north' } }), { qos: 1 });
    await publisher.publishAsync('city/sensor/aq-2', JSON.stringify([{ bn: 'aq-2:', bt: (ts + 1) / 1000, n: 'pm25', v: 7 }]), { qos: 1 });
    await publisher.publishAsync('city/sensor', `sensor,id=aq-3,district=south pm25=99.5,lat=21.25,lon=106.2 ${(ts + 2) * 1_000_000}`, { qos: 1 });
    await publisher.publishAsync('city/traffic/j-1', JSON.stringify({ ts, flow: 30 }), { qos: 1 });

    await waitFor(() => live.entities.size >= 3, 'three sensor entities over /live');
    expect(live.entities.get('sensor/aq-1')).toMatchObject({ lat: 21.27, lon: 106.19, fields: { pm25: 42.5 }, status: 'ok' });
    expect(live.entities.get('sensor/aq-2')?.fields.pm25).toBe(7);
    expect(live.entities.get('sensor/aq-3')).toMatchObject({ lat: 21.25, lon: 106.2, fields: { pm25: 99.5 } });
    // Subscribed to sensor only: the traffic entity is not pushed to this socket.
    expect([...live.entities.keys()].some((k) => k.startsWith('traffic/'))).toBe(false);

    const stored = await waitFor(async () => {
      const result = (await influxQuery(influxd.url, 'SELECT count(pm25) FROM sensor', db)) as {
        results: { series?: { values: [string, number][] }[] }[];
      };
      const count = result.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
      return count >= 3 ? count : undefined;
    }, 'three sensor points in InfluxDB');
    expect(stored).toBe(3);

    const entities = (await (await product.api.fetch(`/api/v1/entities?domain=traffic`)).json()) as { entities: { id: string }[] };
    expect(entities.entities.map((e) => e.id)).toEqual(['j-1']);

    const history = (await (
      await product.api.fetch(`/api/v1/entities/sensor/aq-1/history?from=${ts - 1000}&to=${ts + 1000}`)
    ).json()) as { points: { ts: number; fields: Record<string, unknown> }[] };
    expect(history.points).toEqual([{ ts, fields: expect.objectContaining({ pm25: 42.5 }) as unknown }]);
  });

  it('rejects bad messages with a reason and keeps the good ones beside them', async () => {
    const ts = Date.now() - 3000;
    const lines = [
      `sensor,id=aq-10 pm25=10 ${ts * 1_000_000}`,
      'sensor,id=aq-11 pm25=oops',
      `sensor,id=aq-12 pm25=12 ${(ts + 1) * 1_000_000}`,
    ].join('\n');
    await publisher.publishAsync('city/sensor', lines, { qos: 1 });
    await publisher.publishAsync('city/sensor/aq-13', '{"pm25": ', { qos: 1 });
    await publisher.publishAsync('city/sensor/aq-14', JSON.stringify({ ts: Date.now() + 86_400_000, pm25: 1 }), { qos: 1 });
    await publisher.publishAsync('city/weather/w-1', JSON.stringify({ temp: 30 }), { qos: 1 });
    await waitFor(() => live.entities.has('sensor/aq-10') && live.entities.has('sensor/aq-12'), 'good lines delivered');
    await waitFor(() => rejected.length >= 4, 'four rejection reports');
    const reasons = rejected.map((r) => `${r.topic}: ${r.body.errors.map((e) => e.error).join(' | ')}`).join('\n');
    expect(reasons).toMatch(/ioc\/rejected\/sensor: field 'pm25': 'oops' is not a valid value/);
    expect(rejected.find((r) => /oops/.test(JSON.stringify(r.body)))?.body.errors).toEqual([
      expect.objectContaining({ index: 1 }),
    ]);
    expect(reasons).toMatch(/ioc\/rejected\/sensor: malformed JSON/);
    expect(reasons).toMatch(/ioc\/rejected\/weather: unknown domain 'weather'/);
    expect(reasons).toMatch(/ahead of server time/);
    expect(live.entities.has('sensor/aq-11')).toBe(false);
    expect(live.entities.has('sensor/aq-14')).toBe(false);
    const metrics = await fetchMetrics(product.baseUrl);
    expect(metrics).toMatch(/ioc_ingest_rejected_total\{transport="mqtt"\} [4-9]/);
  });
});

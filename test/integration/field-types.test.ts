import { rmSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, uniqueName, type RunningService } from '../support/services.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

// One device sending "n/a" for a numeric field must not make that field unstorable for every other device:
// the odd value is refused at the door with the reason, the numbers around it are stored. Same on both stores.

interface Refusal {
  accepted: number;
  rejected?: { index: number; error: string }[];
}
interface RejectedReport {
  topic: string;
  errors: { index: number; error: string }[];
}

type StoreOverrides = () => Record<string, unknown>;

function fieldTypeSuite(name: string, storeOverrides: StoreOverrides) {
  describe(`field kinds per domain (${name})`, () => {
    let product: TestIoc;
    let client: MqttClient;
    const reports: RejectedReport[] = [];
    const base = Date.now() - 60_000;

    const start = async (keepDataDir?: string, declared: Record<string, string> = { pm10: 'number', count: 'integer' }) => {
      product = await startTestIoc(
        { mqtt: { port: 0 }, ingest: { fieldTypes: { sensor: declared } }, ...storeOverrides() },
        keepDataDir,
      );
      client = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: uniqueName('dev') });
      await client.subscribeAsync('ioc/rejected/#', { qos: 1 });
      client.on('message', (_topic, payload) => reports.push(JSON.parse(payload.toString()) as RejectedReport));
    };
    const stop = async () => {
      await client?.endAsync();
      await product?.ioc.close();
    };
    const post = async (items: unknown[]): Promise<{ status: number; body: Refusal }> => {
      const res = await fetch(`${product.baseUrl}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(items),
      });
      return { status: res.status, body: (await res.json()) as Refusal };
    };
    const postLines = async (lines: string): Promise<{ status: number; body: Refusal }> => {
      const res = await fetch(`${product.baseUrl}/api/v1/ingest?precision=ms`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: lines,
      });
      return { status: res.status, body: (await res.json()) as Refusal };
    };
    /** An integer field's raw points: the double in `fields`, the exact text in `integers`. */
    const exactHistory = async (id: string, field: string) => {
      const res = await product.api.fetch(`/api/v1/entities/sensor/${id}/history?from=${base - 1000}&to=${base + 60_000}`);
      const body = (await res.json()) as {
        points: { ts: number; fields: Record<string, unknown>; integers?: Record<string, string> }[];
      };
      return body.points
        .filter((p) => p.fields[field] !== undefined)
        .map((p) => ({ value: p.fields[field], exact: p.integers?.[field] }));
    };
    const history = async (id: string, field: string) => {
      const res = await product.api.fetch(`/api/v1/entities/sensor/${id}/history?from=${base - 1000}&to=${base + 60_000}`);
      const body = (await res.json()) as { points: { ts: number; fields: Record<string, unknown> }[] };
      return body.points.filter((p) => p.fields[field] !== undefined).map((p) => p.fields[field]);
    };

    let dataDir: string;
    beforeAll(async () => {
      await start();
      dataDir = product.dataDir;
    });
    afterAll(async () => {
      await stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('refuses a string for a numeric field over HTTP with the reason, keeping the item’s other fields', async () => {
      const first = await post([{ domain: 'sensor', id: 'good-1', ts: base, fields: { temp: 21.5 } }]);
      expect(first.status).toBe(202);
      const mixed = await post([
        { domain: 'sensor', id: 'bad-1', ts: base + 1, fields: { temp: 'n/a', humidity: 60 } },
        { domain: 'sensor', id: 'bad-2', ts: base + 2, fields: { temp: 'n/a' } },
        { domain: 'sensor', id: 'good-2', ts: base + 3, fields: { temp: 19 } },
      ]);
      expect(mixed.status).toBe(202);
      expect(mixed.body.accepted).toBe(2);
      expect(mixed.body.rejected).toEqual([
        { index: 0, error: `fields.temp: "n/a" is a string, but field 'temp' of domain 'sensor' holds numbers` },
        { index: 1, error: `fields.temp: "n/a" is a string, but field 'temp' of domain 'sensor' holds numbers` },
      ]);
    });

    it('refuses it over MQTT on ioc/rejected/<domain>, and the next device’s number is still stored', async () => {
      await client.publishAsync('city/sensor/bad-3', JSON.stringify({ ts: base + 4, temp: 'n/a' }), { qos: 1 });
      await client.publishAsync('city/sensor/good-3', JSON.stringify({ ts: base + 5, temp: 22.25 }), { qos: 1 });
      const report = await waitFor(() => reports.find((r) => r.topic === 'city/sensor/bad-3'), 'the refusal of bad-3');
      expect(report.errors).toEqual([
        { index: 0, error: `fields.temp: "n/a" is a string, but field 'temp' of domain 'sensor' holds numbers` },
      ]);
      await waitFor(async () => (await history('good-3', 'temp')).length === 1, 'good-3 stored');
      expect(await history('good-3', 'temp')).toEqual([22.25]);
      expect(await history('good-2', 'temp')).toEqual([19]);
      expect(await history('good-1', 'temp')).toEqual([21.5]);
      expect(await history('bad-1', 'humidity')).toEqual([60]);
      expect(await history('bad-1', 'temp')).toEqual([]);
    });

    it('holds a declared kind from the first value on (ingest.fieldTypes)', async () => {
      const refused = await post([{ domain: 'sensor', id: 'bad-4', ts: base + 6, fields: { pm10: 'offline' } }]);
      expect(refused.status).toBe(400);
      expect(refused.body.rejected?.[0]?.error).toBe(
        `fields.pm10: "offline" is a string, but field 'pm10' of domain 'sensor' holds numbers`,
      );
      expect((await post([{ domain: 'sensor', id: 'good-4', ts: base + 7, fields: { pm10: 33 } }])).status).toBe(202);
      await waitFor(async () => (await history('good-4', 'pm10')).length === 1, 'good-4 stored');
    });

    it('keeps a declared integer field exact: int64 extremes from line protocol, whole JSON numbers; refuses a decimal', async () => {
      const lines = [
        `sensor,id=int-1 count=9223372036854775807i ${base + 10}`,
        `sensor,id=int-1 count=-9223372036854775808i ${base + 11}`,
        `sensor,id=int-1 count=12345678901234567u ${base + 12}`,
      ].join('\n');
      expect((await postLines(lines)).status).toBe(202);
      const json = await post([
        { domain: 'sensor', id: 'int-1', ts: base + 13, fields: { count: 42 } },
        { domain: 'sensor', id: 'int-1', ts: base + 14, fields: { count: 1.5, temp: 20 } },
      ]);
      expect(json.body.accepted).toBe(2);
      expect(json.body.rejected).toEqual([
        { index: 1, error: `fields.count: 1.5 is not an exact integer, but field 'count' of domain 'sensor' holds integers` },
      ]);
      await waitFor(async () => (await exactHistory('int-1', 'count')).length === 4, 'int-1 stored');
      expect(await exactHistory('int-1', 'count')).toEqual([
        { value: 2 ** 63, exact: '9223372036854775807' },
        { value: -(2 ** 63), exact: '-9223372036854775808' },
        { value: 12345678901234568, exact: '12345678901234567' },
        { value: 42, exact: '42' },
      ]);
      // A float field keeps `7i` as the float it also is, with no exact text.
      expect((await postLines(`sensor,id=int-2 temp=7i ${base + 15}`)).status).toBe(202);
      await waitFor(async () => (await exactHistory('int-2', 'temp')).length === 1, 'int-2 stored');
      expect(await exactHistory('int-2', 'temp')).toEqual([{ value: 7, exact: undefined }]);
    });

    it('learns the kinds the store holds at the next start', async () => {
      await stop();
      // `count` no longer declared: the store says it holds integers.
      await start(dataDir, { pm10: 'number' });
      const decimal = await post([{ domain: 'sensor', id: 'int-3', ts: base + 16, fields: { count: 2.5 } }]);
      expect(decimal.body.rejected?.[0]?.error).toBe(
        `fields.count: 2.5 is not an exact integer, but field 'count' of domain 'sensor' holds integers`,
      );
      expect((await post([{ domain: 'sensor', id: 'int-3', ts: base + 17, fields: { count: 7 } }])).status).toBe(202);
      await waitFor(async () => (await exactHistory('int-3', 'count')).length === 1, 'int-3 stored');
      expect(await exactHistory('int-3', 'count')).toEqual([{ value: 7, exact: '7' }]);
      const refused = await post([{ domain: 'sensor', id: 'bad-5', ts: base + 8, fields: { humidity: true } }]);
      expect(refused.status).toBe(400);
      expect(refused.body.rejected?.[0]?.error).toBe(
        `fields.humidity: true is a boolean, but field 'humidity' of domain 'sensor' holds numbers`,
      );
      expect((await post([{ domain: 'sensor', id: 'good-5', ts: base + 9, fields: { temp: 18.5 } }])).status).toBe(202);
      await waitFor(async () => (await history('good-5', 'temp')).length === 1, 'good-5 stored');
    });
  });
}

let influxd: RunningService | undefined;
const db = uniqueName('fieldtypes');
fieldTypeSuite('embedded', () => ({}));
describe('with InfluxDB', () => {
  beforeAll(async () => {
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
  });
  fieldTypeSuite('InfluxDB', () => ({ influx: { url: influxd!.url, db, flushInterval: 50 } }));

  it('brings a second node that guessed a field’s kind otherwise in line with the store', async () => {
    const shared = uniqueName('fieldtypes-nodes');
    const overrides = {
      mqtt: { port: 0 },
      influx: { url: influxd!.url, db: shared, flushInterval: 50 },
      ingest: { fieldTypesRefresh: 1_000 },
    };
    const [a, b] = [await startTestIoc(overrides), await startTestIoc(overrides)];
    try {
      const post = async (node: TestIoc, fields: Record<string, unknown>) => {
        const res = await fetch(`${node.baseUrl}/api/v1/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ domain: 'sensor', id: 'n1', fields }),
        });
        return (await res.json()) as Refusal;
      };
      // Node A's device writes first: InfluxDB makes `temp` a float field.
      expect((await post(a, { temp: 21 })).accepted).toBe(1);
      await waitFor(async () => {
        const res = await fetch(`${influxd!.url}/query?db=${shared}&q=${encodeURIComponent('SHOW FIELD KEYS FROM sensor')}`);
        return JSON.stringify(await res.json()).includes('"temp","float"');
      }, 'temp stored as a float field');
      // Node B has seen nothing yet and takes "n/a" as the field's first value (its write then fails in InfluxDB) ...
      expect((await post(b, { temp: 'n/a' })).accepted).toBe(1);
      // ... until it reads the kinds again from the store, and refuses it at the door like node A.
      const refusal = await waitFor(async () => {
        const answer = await post(b, { temp: 'n/a' });
        return answer.accepted === 0 ? answer : undefined;
      }, 'node B refusing "n/a" for temp');
      expect(refusal.rejected?.[0]?.error).toBe(`fields.temp: "n/a" is a string, but field 'temp' of domain 'sensor' holds numbers`);
      expect((await post(b, { temp: 22 })).accepted).toBe(1);
    } finally {
      await Promise.all([a.ioc.close(), b.ioc.close()]);
      rmSync(a.dataDir, { recursive: true, force: true });
      rmSync(b.dataDir, { recursive: true, force: true });
    }
  });
});

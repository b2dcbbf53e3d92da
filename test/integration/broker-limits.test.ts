import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { uniqueName } from '../support/services.js';

// The in-process broker's own limits: a packet over mqtt.maxPacketSize closes the connection before the
// broker buffers it, and nobody may connect with the product's ingest client id.
describe('in-process broker limits', () => {
  let product: TestIoc;
  const maxPacketSize = 4096;

  beforeAll(async () => {
    product = await startTestIoc({ mqtt: { port: 0, maxPacketSize, clientId: 'ioc-ingest-limits' } });
  });
  afterAll(async () => {
    await product?.stop();
  });

  const entity = async (id: string) => {
    const res = await product.api.fetch('/api/v1/entities?domain=sensor');
    return ((await res.json()) as { entities: { id: string; fields: Record<string, unknown> }[] }).entities.find((e) => e.id === id);
  };

  it('closes the connection of a client sending a packet over mqtt.maxPacketSize, and stores nothing of it', async () => {
    const client = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: uniqueName('big'), reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const big = JSON.stringify({ ts: Date.now() - 1000, note: 'x'.repeat(maxPacketSize * 2) });
    client.publish('city/sensor/too-big', big, { qos: 1 });
    await closed;
    expect(client.connected).toBe(false);
    client.end(true);

    const small = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: uniqueName('small') });
    await small.publishAsync('city/sensor/small-1', JSON.stringify({ ts: Date.now() - 1000, a: 'y'.repeat(900), b: 'y'.repeat(900), c: 'y'.repeat(900) }), { qos: 1 });
    await waitFor(() => entity('small-1'), 'the small message stored');
    expect(await entity('too-big')).toBeUndefined();
    await small.endAsync();
  });

  it('refuses a client taking the ingest client id (CONNACK: identifier rejected), and ingest goes on', async () => {
    const intruder = mqtt.connect(product.ioc.mqttUrl, { clientId: 'ioc-ingest-limits', reconnectPeriod: 0 });
    const refusal = await new Promise<Error & { code?: number }>((resolve) => intruder.once('error', resolve));
    intruder.end(true);
    expect(refusal.code).toBe(2);
    expect(refusal.message).toMatch(/identifier rejected/i);

    const device = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: uniqueName('device') });
    await device.publishAsync('city/sensor/after-intruder', JSON.stringify({ ts: Date.now() - 1000, pm25: 12 }), { qos: 1 });
    const stored = await waitFor(() => entity('after-intruder'), 'the device’s message stored');
    expect(stored.fields.pm25).toBe(12);
    await device.endAsync();
  });
});

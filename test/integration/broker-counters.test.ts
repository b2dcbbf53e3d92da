import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMetrics } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { startMosquitto, uniqueName, type RunningService } from '../support/services.js';

const valueOf = (text: string, name: string) =>
  Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

// Messages an external broker throws away never reach ingest: only the broker's $SYS counters tell,
// and the product passes them on in /metrics.
describe('an external broker that drops messages', () => {
  let broker: RunningService;
  let product: TestIoc;

  beforeAll(async () => {
    // A queue of 5 per offline session, and counters published every second.
    broker = await startMosquitto({ maxQueuedMessages: 5, extra: ['sys_interval 1'] });
    product = await startTestIoc({ mqtt: { url: broker.url, clientId: uniqueName('ingest') } });
  });

  afterAll(async () => {
    await product?.stop();
    await broker?.stop();
  });

  it('reports what the broker dropped and holds, while ingest goes on', async () => {
    // A persistent session that goes away: the broker queues 5 messages for it and drops the rest.
    const offline = await mqtt.connectAsync(broker.url, { clientId: uniqueName('offline'), clean: false });
    await offline.subscribeAsync('other/queue-test', { qos: 1 });
    await offline.endAsync();
    const publisher = await mqtt.connectAsync(broker.url, { clientId: uniqueName('pub') });
    try {
      for (let i = 0; i < 30; i++) await publisher.publishAsync('other/queue-test', `m${i}`, { qos: 1 });
      await publisher.publishAsync('city/sensor/still-here', JSON.stringify({ pm25: 7 }), { qos: 1 });
    } finally {
      await publisher.endAsync();
    }

    const text = await waitFor(
      async () => {
        const body = await fetchMetrics(product.baseUrl);
        return valueOf(body, 'ioc_mqtt_broker_dropped_messages_total') >= 25 ? body : undefined;
      },
      'the broker counters in /metrics',
      15_000,
    );
    expect(valueOf(text, 'ioc_mqtt_broker_dropped_messages_total')).toBe(25);
    expect(valueOf(text, 'ioc_mqtt_broker_held_messages')).toBeGreaterThanOrEqual(5);
    expect(text).toMatch(/^# TYPE ioc_mqtt_broker_dropped_messages_total counter$/m);
    // The broker's own traffic is no observation: only the one city message was ingested.
    await waitFor(async () => {
      const body = await fetchMetrics(product.baseUrl);
      return valueOf(body, 'ioc_ingest_accepted_total') === 1 ? true : undefined;
    }, 'the city message ingested');
    const entities = (await (await product.api.fetch('/api/v1/entities?domain=sensor')).json()) as {
      entities: { id: string }[];
    };
    expect(entities.entities.map((e) => e.id)).toEqual(['still-here']);
  });
});

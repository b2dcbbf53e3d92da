import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import type { DeviceCreated } from '../../contract/index.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../ingest/mqtt/embedded-broker.js';
import { createBrokerAuth, createInternalCredential, type BrokerAuth } from '../../server/devices/broker-auth.js';
import { createDeviceService, type DeviceService } from '../../server/devices/device-service.js';
import { SqliteStateStore } from '../../server/state/index.js';
import { waitFor } from '../support/ports.js';

const ROOT = 'devtest';

interface Received {
  topic: string;
  payload: string;
}

/** Connects once (no reconnect), so a refused CONNECT rejects with the CONNACK's reason. */
function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** The CONNACK refusal of a connect attempt: its return code and mqtt.js's message. */
async function refusal(url: string, options: IClientOptions): Promise<{ code: unknown; message: string }> {
  try {
    const client = await connect(url, options);
    await client.endAsync();
  } catch (err) {
    return { code: (err as { code?: unknown }).code, message: (err as Error).message };
  }
  throw new Error('the broker accepted the connection');
}

describe.each([false, true])('device credentials on the embedded broker (allowLoopback=%s)', (allowLoopback) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-devices-embedded-'));
  const state = new SqliteStateStore({ dataDir: dir });
  const internal = createInternalCredential();
  const clients: MqttClient[] = [];
  const received: Received[] = [];
  let service: DeviceService;
  let auth: BrokerAuth;
  let broker: EmbeddedBroker | undefined;
  let a: DeviceCreated;
  let b: DeviceCreated;

  const track = (client: MqttClient) => {
    clients.push(client);
    return client;
  };
  const arrived = (payload: string) => waitFor(() => received.find((m) => m.payload === payload), `message ${payload}`);

  beforeAll(async () => {
    await state.init();
    service = createDeviceService({ state, topicRoot: ROOT });
    a = await service.create({ id: 'P-1', domain: 'parking' }, 'admin');
    b = await service.create({ id: 'P-2', domain: 'parking' }, 'admin');
    auth = createBrokerAuth({ state, topicRoot: ROOT, allowLoopback, internal, logger: silentLogger });
    broker = await startEmbeddedBroker(0, '127.0.0.1', silentLogger, auth);
    const subscriber = track(await connect(broker.url, { username: internal.username, password: internal.password }));
    subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await subscriber.subscribeAsync(`${ROOT}/#`, { qos: 1 });
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    await broker?.close();
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets a device with its password publish to its own topic', async () => {
    expect(a.topic).toBe(`${ROOT}/parking/P-1`);
    expect(a.username).toBe('dev-parking.P-1');
    const device = track(await connect(broker!.url, { username: a.username, password: a.password }));
    await device.publishAsync(a.topic, `own-${allowLoopback}`, { qos: 1 });
    const message = await arrived(`own-${allowLoopback}`);
    expect(message.topic).toBe(`${ROOT}/parking/P-1`);
  });

  it('refuses a wrong password at CONNECT, from loopback too', async () => {
    const before = auth.stats().refusedConnects;
    const refused = await refusal(broker!.url, { username: a.username, password: `${a.password}x` });
    expect(refused.code).toBe(4);
    expect(refused.message).toMatch(/bad username or password/i);
    const unknown = await refusal(broker!.url, { username: 'dev-parking.nobody', password: 'whatever-password' });
    expect(unknown.code).toBe(4);
    const internalWrong = await refusal(broker!.url, { username: internal.username, password: 'not-the-internal-one' });
    expect(internalWrong.code).toBe(4);
    expect(auth.stats().refusedConnects).toBe(before + 3);
  });

  it('drops and counts a publish to another device topic, keeping the device connected', async () => {
    const device = track(await connect(broker!.url, { username: a.username, password: a.password }));
    const before = auth.stats().droppedPublishes;
    await device.publishAsync(b.topic, `forged-${allowLoopback}`, { qos: 1 });
    await device.publishAsync(`${ROOT}/parking`, `batch-${allowLoopback}`, { qos: 0 });
    await device.publishAsync(a.topic, `after-${allowLoopback}`, { qos: 1 });
    // Messages of one publisher arrive in order: once the last one is here, the others would be too.
    await arrived(`after-${allowLoopback}`);
    expect(received.map((m) => m.payload)).not.toContain(`forged-${allowLoopback}`);
    expect(received.map((m) => m.payload)).not.toContain(`batch-${allowLoopback}`);
    expect(auth.stats().droppedPublishes).toBe(before + 2);
    expect(device.connected).toBe(true);
  });

  it('refuses every subscription of a device', async () => {
    const device = track(await connect(broker!.url, { username: a.username, password: a.password }));
    // SUBACK 0x80 (failure); mqtt.js turns it into a rejection.
    await expect(device.subscribeAsync(a.topic, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(device.subscribeAsync(`${ROOT}/#`, { qos: 0 })).rejects.toThrow(/Subscribe error/);
    expect(device.connected).toBe(true);
  });

  it(`${allowLoopback ? 'lets in' : 'refuses'} a client without credentials from loopback`, async () => {
    if (!allowLoopback) {
      const refused = await refusal(broker!.url, {});
      expect(refused.code).toBe(5);
      expect(refused.message).toMatch(/not authorized/i);
      return;
    }
    const anonymous = track(await connect(broker!.url));
    await anonymous.publishAsync(`${ROOT}/parking/anything`, 'anonymous-loopback', { qos: 1 });
    expect((await arrived('anonymous-loopback')).topic).toBe(`${ROOT}/parking/anything`);
  });

  it('refuses the credentials of a deleted device', async () => {
    const c = await service.create({ id: 'P-3', domain: 'parking' }, 'admin');
    const device = await connect(broker!.url, { username: c.username, password: c.password });
    await device.endAsync();
    expect((await service.remove('P-3'))?.id).toBe('P-3');
    const refused = await refusal(broker!.url, { username: c.username, password: c.password });
    expect(refused.code).toBe(4);
  });
});

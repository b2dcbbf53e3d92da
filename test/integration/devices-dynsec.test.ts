import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { createDeviceService, type DeviceService } from '../../server/devices/device-service.js';
import { DynsecError, connectDynsec, type DynsecClient } from '../../server/devices/dynsec.js';
import { SqliteStateStore } from '../../server/state/index.js';
import { waitFor } from '../support/ports.js';
import { startMosquittoDynsec, type MosquittoDynsecService } from '../support/services.js';

const ROOT = 'city';

/** Connects once (no reconnect), so a refused CONNECT rejects with the CONNACK's reason. */
function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

async function refusal(url: string, options: IClientOptions): Promise<{ code: unknown; message: string }> {
  try {
    const client = await connect(url, options);
    await client.endAsync();
  } catch (err) {
    return { code: (err as { code?: unknown }).code, message: (err as Error).message };
  }
  throw new Error('the broker accepted the connection');
}

/** Publishes one message with Debian's mosquitto_pub (an independent client); resolves with its exit code and stderr. */
function mosquittoPub(port: number, username: string, password: string, topic: string, message: string) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', username, '-P', password, '-q', '1', '-t', topic, '-m', message]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Runs `mosquitto_ctrl dynsec <args>` as the plugin admin (an independent client); resolves with its output. */
function mosquittoCtrl(service: MosquittoDynsecService, args: string[]) {
  const connection = ['-h', '127.0.0.1', '-p', String(service.port), '-u', service.admin.username, '-P', service.admin.password];
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('mosquitto_ctrl', [...connection, 'dynsec', ...args]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('device credentials on Mosquitto through the dynamic-security plugin', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-devices-dynsec-'));
  const state = new SqliteStateStore({ dataDir: dir });
  const received: { topic: string; payload: string }[] = [];
  let mosquitto: MosquittoDynsecService | undefined;
  let dynsec: DynsecClient | undefined;
  let subscriber: MqttClient | undefined;
  let service: DeviceService;

  const arrived = (payload: string) => waitFor(() => received.find((m) => m.payload === payload), `message ${payload}`);

  beforeAll(async () => {
    mosquitto = await startMosquittoDynsec();
    await state.init();
    const admin = mosquitto.admin;
    dynsec = await connectDynsec({ url: mosquitto.url, ...admin, controlTopic: mosquitto.controlTopic, logger: silentLogger });
    service = createDeviceService({ state, topicRoot: ROOT, dynsec });
    subscriber = await connect(mosquitto.url, { ...admin, clientId: 'test-admin-subscriber' });
    subscriber.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    await subscriber.subscribeAsync(`${ROOT}/#`, { qos: 1 });
  });

  afterAll(async () => {
    await subscriber?.endAsync(true);
    await dynsec?.close();
    await mosquitto?.stop();
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates credentials that publish to the device topic only, and refuses them once deleted', async () => {
    const device = await service.create({ id: 'L-7', domain: 'lighting' }, 'admin');
    expect(device).toMatchObject({ id: 'L-7', domain: 'lighting', username: 'dev-lighting.L-7', topic: 'city/lighting/L-7', createdBy: 'admin' });
    expect(device.password.length).toBeGreaterThanOrEqual(24);
    expect(await service.list()).toEqual([{ id: 'L-7', domain: 'lighting', username: 'dev-lighting.L-7', topic: 'city/lighting/L-7', createdAt: device.createdAt, createdBy: 'admin' }]);

    // An independent client (mosquitto_pub) with the new credentials reaches the admin's subscription.
    const pub = await mosquittoPub(mosquitto!.port, device.username, device.password, device.topic, 'via-mosquitto_pub');
    expect(pub).toEqual({ code: 0, stderr: '' });
    expect((await arrived('via-mosquitto_pub')).topic).toBe('city/lighting/L-7');

    // Outside its topic: Mosquitto drops the message (and keeps the device connected, as for MQTT 3.1.1).
    const client = await connect(mosquitto!.url, { username: device.username, password: device.password });
    await client.publishAsync('city/lighting/L-8', 'forged', { qos: 1 });
    await client.publishAsync('city/lighting', 'batch', { qos: 1 });
    await client.publishAsync(device.topic, 'after-forged', { qos: 1 });
    await arrived('after-forged');
    expect(received.map((m) => m.payload)).not.toContain('forged');
    expect(received.map((m) => m.payload)).not.toContain('batch');
    await expect(client.subscribeAsync(device.topic, { qos: 0 })).rejects.toThrow(/Subscribe error/);
    await client.endAsync();

    const wrong = await refusal(mosquitto!.url, { username: device.username, password: `${device.password}x` });
    expect(wrong.code).toBe(5);
    expect(wrong.message).toMatch(/not authorized/i);

    expect((await service.remove('L-7'))?.username).toBe('dev-lighting.L-7');
    expect(await service.list()).toEqual([]);
    const deleted = await refusal(mosquitto!.url, { username: device.username, password: device.password });
    expect(deleted.code).toBe(5);
    expect(await service.remove('L-7')).toBeUndefined();
  });

  it('stores nothing when Mosquitto refuses, and says what it refused', async () => {
    // A client made behind the service's back takes the username the service would use.
    const taken = await connectDynsec({ url: mosquitto!.url, ...mosquitto!.admin, controlTopic: mosquitto!.controlTopic, logger: silentLogger });
    try {
      await taken.createDevice('dev-water.W-1', 'some-password-123', 'city/water/W-1');
      const attempt = service.create({ id: 'W-1', domain: 'water' }, 'admin');
      await expect(attempt).rejects.toThrow(DynsecError);
      await expect(attempt).rejects.toThrow(/refused createRole role-dev-water\.W-1: Role already exists|refused createClient dev-water\.W-1: Client already exists/);
      expect(await state.getDevice('W-1')).toBeUndefined();
    } finally {
      await taken.deleteDevice('dev-water.W-1');
      await taken.close();
    }
    // With the stray credentials gone, the same device can be made.
    const device = await service.create({ id: 'W-1', domain: 'water' }, 'admin');
    expect(device.username).toBe('dev-water.W-1');
    await service.remove('W-1');
  });

  it('undoes the client it made when the role is left over, so nothing half-made remains', async () => {
    expect((await mosquittoCtrl(mosquitto!, ['createRole', 'role-dev-water.W-2'])).code).toBe(0);
    try {
      await expect(service.create({ id: 'W-2', domain: 'water' }, 'admin')).rejects.toThrow(
        "Mosquitto's dynamic-security plugin refused createRole role-dev-water.W-2: Role already exists",
      );
      expect(await state.getDevice('W-2')).toBeUndefined();
      const client = await mosquittoCtrl(mosquitto!, ['getClient', 'dev-water.W-2']);
      expect(client.output).toMatch(/not found/i);
    } finally {
      await mosquittoCtrl(mosquitto!, ['deleteRole', 'role-dev-water.W-2']);
    }
  });

  it('fails with what to check when the plugin does not answer', async () => {
    const wrongTopic = await connectDynsec({
      url: mosquitto!.url,
      ...mosquitto!.admin,
      controlTopic: '$CONTROL/dynamic-security/v9',
      logger: silentLogger,
      timeoutMs: 500,
    });
    try {
      await expect(wrongTopic.deleteDevice('dev-x.y')).rejects.toThrow(/no answer from Mosquitto's dynamic-security plugin .* within 500 ms/);
    } finally {
      await wrongTopic.close();
    }
    await expect(
      connectDynsec({ url: mosquitto!.url, username: 'admin', password: 'wrong', controlTopic: mosquitto!.controlTopic, logger: silentLogger }),
    ).rejects.toThrow(/cannot connect .* as the dynamic-security admin "admin".*Check mqtt.url and mqtt.dynsec.username\/password/);
  });
});

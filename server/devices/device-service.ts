import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import type { DeviceCreate, DeviceCreated, DeviceInfo } from '../../contract/index.js';
import { StateConflictError, type StateStore, type StoredDevice } from '../state/types.js';
import type { DynsecClient } from './dynsec.js';
import { deviceTopic, deviceUsername } from './names.js';

/** Creates, lists and deletes device MQTT credentials; the password leaves only once, on creation. */
export interface DeviceService {
  /** Throws StateConflictError when the id (or its username) exists; DynsecError when Mosquitto refuses. */
  create(input: DeviceCreate, by: string): Promise<DeviceCreated>;
  list(): Promise<DeviceInfo[]>;
  /** The removed device, or undefined when there is none with that id. */
  remove(id: string): Promise<DeviceInfo | undefined>;
}

export interface DeviceServiceOptions {
  state: StateStore;
  topicRoot: string;
  /** Set when an external Mosquitto holds the credentials (mqtt.dynsec). */
  dynsec?: DynsecClient;
  clock?: () => number;
}

/** 24 random bytes: 32 base64url characters. */
const PASSWORD_BYTES = 24;

export function createDeviceService(options: DeviceServiceOptions): DeviceService {
  const { state, topicRoot, dynsec } = options;
  const clock = options.clock ?? Date.now;

  const info = (device: StoredDevice): DeviceInfo => ({
    id: device.id,
    domain: device.domain,
    username: device.username,
    topic: deviceTopic(topicRoot, device.domain, device.id),
    createdAt: device.createdAt,
    createdBy: device.createdBy,
  });

  return {
    async create(input, by) {
      if (await state.getDevice(input.id)) throw new StateConflictError(`device ${input.id} exists; delete it first to issue new credentials`);
      const username = deviceUsername(input.domain, input.id);
      const topic = deviceTopic(topicRoot, input.domain, input.id);
      const password = randomBytes(PASSWORD_BYTES).toString('base64url');
      const device: StoredDevice = {
        id: input.id,
        domain: input.domain,
        username,
        passwordHash: await argon2.hash(password, { type: argon2.argon2id }),
        createdAt: clock(),
        createdBy: by,
      };
      // Mosquitto first: when it refuses, nothing is stored; when storing fails, Mosquitto is undone.
      if (dynsec) await dynsec.createDevice(username, password, topic);
      try {
        await state.createDevice(device);
      } catch (err) {
        if (dynsec) await dynsec.deleteDevice(username).catch(() => undefined);
        throw err;
      }
      return { ...info(device), password };
    },

    async list() {
      return (await state.listDevices()).map(info);
    },

    async remove(id) {
      const device = await state.getDevice(id);
      if (device === undefined) return undefined;
      // Mosquitto first: if it refuses, the device stays listed and the delete can be retried.
      if (dynsec) await dynsec.deleteDevice(device.username);
      await state.deleteDevice(id);
      return info(device);
    },
  };
}

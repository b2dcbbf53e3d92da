import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from '../../config/logger.js';
import type { StateStore } from '../state/types.js';
import { isLoopbackAddress } from '../net/loopback.js';
import { deviceTopic } from './names.js';

/** The login the product's own MQTT clients (ingest subscriber, simulator) use on the embedded broker. */
export interface InternalCredential {
  username: string;
  password: string;
}

export interface BrokerAuthOptions {
  state: Pick<StateStore, 'getDeviceByUsername'>;
  topicRoot: string;
  /** Clients without credentials connecting from a loopback address are let in (demo, mosquitto_pub). */
  allowLoopback: boolean;
  internal: InternalCredential;
  logger: Logger;
  /** Successful password verifications remembered (reconnect storms then cost a hash, not argon2). */
  cacheSize?: number;
}

/** The aedes hooks that enforce device credentials, plus what they refused. */
export interface BrokerAuth {
  authenticate: NonNullable<AedesOptions['authenticate']>;
  authorizePublish: NonNullable<AedesOptions['authorizePublish']>;
  authorizeSubscribe: NonNullable<AedesOptions['authorizeSubscribe']>;
  stats: () => { refusedConnects: number; droppedPublishes: number };
}

/** Who a connected client is, decided once at CONNECT. */
type Principal = { kind: 'internal' } | { kind: 'loopback' } | { kind: 'device'; username: string; topic: string };

/**
 * Where forbidden publishes go: aedes 1.2 can refuse a PUBLISH only by closing the connection
 * (an error from authorizePublish ends the client), so a forbidden message is redirected here
 * instead. `$` topics never match wildcard subscriptions (MQTT-4.7.2-1) and nobody may
 * subscribe to this one, so it reaches no one; the device gets its normal ack (MQTT-3.3.5-2).
 */
export const DROPPED_TOPIC = '$ioc/dropped';
const SYS_PREFIX = '$SYS/';
const CONNACK_BAD_CREDENTIALS = 4;
const CONNACK_NOT_AUTHORIZED = 5;

/** A fresh internal credential; made at every start, never stored. */
export function createInternalCredential(): InternalCredential {
  return { username: 'ioc-internal', password: randomBytes(32).toString('base64url') };
}

export { isLoopbackAddress };

function refusal(message: string, returnCode: number): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  err.returnCode = returnCode;
  return err;
}

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Remembers the digests of (hash, password) pairs argon2 accepted; oldest forgotten first. */
function createVerifyCache(size: number) {
  const ok = new Set<string>();
  return {
    async verify(hash: string, password: Buffer): Promise<boolean> {
      const key = createHash('sha256').update(hash).update('\0').update(password).digest('base64');
      if (ok.has(key)) return true;
      const valid = await argon2.verify(hash, password).catch(() => false);
      if (valid) {
        const oldest = ok.values().next();
        if (ok.size >= size && !oldest.done) ok.delete(oldest.value);
        ok.add(key);
      }
      return valid;
    },
  };
}

/** Device credentials on the embedded broker: devices publish to their own topic only. */
export function createBrokerAuth(options: BrokerAuthOptions): BrokerAuth {
  const { state, topicRoot, allowLoopback, logger } = options;
  const internalUser = options.internal.username;
  const internalPassword = Buffer.from(options.internal.password);
  const cache = createVerifyCache(options.cacheSize ?? 1024);
  const principals = new WeakMap<Client, Principal>();
  let refusedConnects = 0;
  let droppedPublishes = 0;

  async function identify(client: Client, username: string | undefined, password: Buffer | undefined): Promise<Principal> {
    const address = client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined;
    if (username === undefined || username === '') {
      if (allowLoopback && isLoopbackAddress(address)) return { kind: 'loopback' };
      throw refusal('device credentials required', CONNACK_NOT_AUTHORIZED);
    }
    if (password === undefined) throw refusal('bad username or password', CONNACK_BAD_CREDENTIALS);
    if (username === internalUser) {
      if (sameSecret(password, internalPassword)) return { kind: 'internal' };
      throw refusal('bad username or password', CONNACK_BAD_CREDENTIALS);
    }
    const device = await state.getDeviceByUsername(username);
    if (device === undefined || !(await cache.verify(device.passwordHash, password))) {
      throw refusal('bad username or password', CONNACK_BAD_CREDENTIALS);
    }
    return { kind: 'device', username, topic: deviceTopic(topicRoot, device.domain, device.id) };
  }

  return {
    authenticate(client, username, password, done) {
      identify(client, username, password).then(
        (principal) => {
          principals.set(client, principal);
          done(null, true);
        },
        (err: Error & Partial<AuthenticateError>) => {
          refusedConnects += 1;
          const address = client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined;
          if (err.returnCode === undefined) {
            // The state store failed: say "server unavailable" rather than blaming the device.
            logger.error('mqtt credentials could not be checked', { client: client.id, username, error: err.message });
            done(refusal('server unavailable', 3), false);
            return;
          }
          logger.info('mqtt connect refused', { client: client.id, username, address, reason: err.message });
          done(err as AuthenticateError, false);
        },
      );
    },

    authorizePublish(client, packet, done) {
      if (packet.topic.startsWith(SYS_PREFIX)) return done(new Error(`${SYS_PREFIX} topic is reserved`));
      // An obsolete will of a client gone before this broker started: nobody to vouch for it.
      const principal = client === null ? undefined : principals.get(client);
      if (principal === undefined) return done(new Error('publish from an unknown client'));
      if (principal.kind !== 'device' || packet.topic === principal.topic) return done(null);
      droppedPublishes += 1;
      logger.debug('mqtt publish outside the device topic dropped', { username: principal.username, topic: packet.topic });
      packet.topic = DROPPED_TOPIC;
      packet.retain = false;
      packet.payload = Buffer.alloc(0);
      done(null);
    },

    authorizeSubscribe(client, subscription, done) {
      const principal = principals.get(client);
      // Devices only publish (as with the Mosquitto role): every subscription of a device is refused.
      const allowed = principal !== undefined && principal.kind !== 'device' && !subscription.topic.startsWith('$ioc/');
      done(null, allowed ? subscription : null);
    },

    stats: () => ({ refusedConnects, droppedPublishes }),
  };
}

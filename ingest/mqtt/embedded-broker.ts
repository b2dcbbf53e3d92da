import net from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import type { Logger } from '../../config/logger.js';
import type { BrokerIngest } from './broker-ingest.js';

export interface EmbeddedBroker {
  port: number;
  url: string;
  /** Publishes from the broker itself (QoS 0), e.g. refusal reports. */
  publish(topic: string, payload: string): void;
  close(): Promise<void>;
}

/** Thrown when the in-process broker cannot listen; the message says what to do instead. */
export class BrokerPortInUseError extends Error {
  override readonly name = 'BrokerPortInUseError';
}

/** Access-control hooks installed on the broker (device credentials); absent: anyone may connect and publish. */
export type BrokerHooks = Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;

/** What the in-process broker enforces besides the device hooks, and where it hands city messages. */
export interface EmbeddedBrokerOptions {
  /** Largest MQTT packet (fixed header included) a client may send; a larger one closes its connection. */
  maxPacketSize?: number;
  /** A client id only the product may use (its ingest client id): anyone else connecting with it is refused. */
  reservedClientId?: string;
  /** Ingest inside the broker: the messages it takes are acknowledged only once durable. */
  ingest?: BrokerIngest;
}

/** MQTT 3.1.1 section 2.2.3: the Remaining Length is at most four bytes of seven bits each. */
const MAX_LENGTH_BYTES = 4;

/**
 * Follows the MQTT framing of what the broker reads from a connection and destroys it as soon as a fixed
 * header announces a packet larger than `max`, before the broker buffers the body (aedes has no such limit).
 */
function capPacketSize(conn: net.Socket, max: number, logger: Logger): void {
  let state: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let shift = 0;
  let lengthBytes = 0;
  let remaining = 0;
  const read = conn.read.bind(conn);
  conn.read = (size?: number) => {
    const chunk = read(size) as Buffer | string | null;
    if (chunk === null || typeof chunk === 'string') return chunk;
    let i = 0;
    while (i < chunk.length) {
      if (state === 'type') {
        state = 'length';
        length = 0;
        shift = 0;
        lengthBytes = 0;
        i += 1;
      } else if (state === 'length') {
        const byte = chunk[i]!;
        i += 1;
        length += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        lengthBytes += 1;
        if (byte & 0x80 && lengthBytes < MAX_LENGTH_BYTES) continue;
        if (1 + lengthBytes + length > max) {
          logger.warn('MQTT packet over the size limit; connection closed', { bytes: 1 + lengthBytes + length, limit: max });
          conn.destroy();
          return null;
        }
        remaining = length;
        state = remaining === 0 ? 'type' : 'body';
      } else {
        const take = Math.min(remaining, chunk.length - i);
        i += take;
        remaining -= take;
        if (remaining === 0) state = 'type';
      }
    }
    return chunk;
  };
}

/** Starts the in-process MQTT broker (aedes) on `port` (0 picks a free one). */
export async function startEmbeddedBroker(
  port: number,
  host: string,
  logger: Logger,
  hooks?: BrokerHooks,
  options: EmbeddedBrokerOptions = {},
): Promise<EmbeddedBroker> {
  const { ingest, reservedClientId, maxPacketSize } = options;
  const authorizePublish: NonNullable<AedesOptions['authorizePublish']> = (client, packet, callback) => {
    const next = (err?: Error | null) => {
      if (err || !ingest?.takes(packet.topic)) {
        callback(err ?? null);
        return;
      }
      ingest.onPublish(packet.topic, packet.payload as Buffer, callback);
    };
    if (hooks?.authorizePublish) hooks.authorizePublish(client, packet, next);
    else next(null);
  };
  const authenticate: NonNullable<AedesOptions['authenticate']> = (client, username, password, done) => {
    if (reservedClientId !== undefined && client.id === reservedClientId) {
      logger.warn('refused a client taking the ingest client id', { client: client.id });
      done(Object.assign(new Error(`client id ${client.id} is reserved for the product's ingest`), { returnCode: 2 as const }), false);
      return;
    }
    if (hooks?.authenticate) hooks.authenticate(client, username, password, done);
    else done(null, true);
  };
  const broker = await Aedes.createBroker({
    authenticate,
    authorizePublish,
    ...(hooks?.authorizeSubscribe && { authorizeSubscribe: hooks.authorizeSubscribe }),
  });
  const server = net.createServer((conn) => {
    if (maxPacketSize !== undefined) capPacketSize(conn, maxPacketSize, logger);
    broker.handle(conn);
  });
  broker.on('clientError', (client, err) => logger.debug('mqtt client error', { client: client.id, error: err.message }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      broker.close();
      if (err.code === 'EADDRINUSE') {
        reject(
          new BrokerPortInUseError(
            `MQTT port ${port} is already in use, so the in-process broker cannot start. ` +
              `If a broker already runs there, use it: IOC_MQTT_URL=mqtt://localhost:${port} npm start. ` +
              `Otherwise pick another port: IOC_MQTT_PORT=1884 npm start.`,
          ),
        );
      } else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  logger.info('in-process MQTT broker listening', { port: boundPort });
  return {
    port: boundPort,
    url: `mqtt://127.0.0.1:${boundPort}`,
    publish: (topic, payload) =>
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, (err) => {
        if (err) logger.debug('could not publish from the broker', { topic, error: err.message });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
        // Connected clients keep the server open; closing the broker ends them.
      }),
  };
}

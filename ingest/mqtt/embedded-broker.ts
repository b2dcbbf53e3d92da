import net from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import type { Logger } from '../../config/logger.js';

export interface EmbeddedBroker {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Thrown when the in-process broker cannot listen; the message says what to do instead. */
export class BrokerPortInUseError extends Error {
  override readonly name = 'BrokerPortInUseError';
}

/** Access-control hooks installed on the broker (device credentials); absent: anyone may connect and publish. */
export type BrokerHooks = Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>;

/** Starts the in-process MQTT broker (aedes) on `port` (0 picks a free one). */
export async function startEmbeddedBroker(port: number, host: string, logger: Logger, hooks?: BrokerHooks): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker(
    hooks && {
      ...(hooks.authenticate && { authenticate: hooks.authenticate }),
      ...(hooks.authorizePublish && { authorizePublish: hooks.authorizePublish }),
      ...(hooks.authorizeSubscribe && { authorizeSubscribe: hooks.authorizeSubscribe }),
    },
  );
  const server = net.createServer(broker.handle);
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
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
        // Connected clients keep the server open; closing the broker ends them.
      }),
  };
}

import { setTimeout as delay } from 'node:timers/promises';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Logger } from '../../config/logger.js';
import { CLUSTER_REQUEST_TIMEOUT_MS } from './cluster-snapshot.js';
import type { LiveIo } from './live-server.js';

/** How long shutdown waits for Redis to acknowledge closing the fan-out connections. */
const REDIS_CLOSE_TIMEOUT_MS = 3000;

/**
 * Commands the socket.io Redis adapter sends without awaiting. When Redis drops the connection,
 * node-redis rejects the ones in flight (ECONNRESET) or queued (client closed); unguarded, each
 * would become an unhandled rejection and could take the process down.
 */
const FIRE_AND_FORGET = new Set(['publish', 'subscribe', 'unsubscribe', 'pSubscribe', 'pUnsubscribe', 'sSubscribe', 'sUnsubscribe']);

type RedisClient = ReturnType<typeof createClient>;

/** The client as the adapter sees it: its unawaited commands log their failure instead of rejecting. */
function guarded(client: RedisClient, logger: Logger): RedisClient {
  return new Proxy(client, {
    get(target, prop) {
      // Getters too read private fields, so the real client is the receiver.
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      // node-redis keeps its state in private fields, which only work with the real client as `this`.
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (typeof prop !== 'string' || !FIRE_AND_FORGET.has(prop)) return method;
      return (...args: unknown[]) => {
        const result = method(...args);
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            logger.warn('redis command failed', { command: prop, error: err instanceof Error ? err.message : String(err) });
            return undefined;
          });
        }
        return result;
      };
    },
  });
}

/**
 * Connects the two Redis clients the socket.io adapter needs and installs the adapter on `io`.
 * Returns the shutdown step: a clean close, or dropping the connections when Redis does not answer.
 */
export async function installRedisFanout(io: LiveIo, url: string, logger: Logger): Promise<() => Promise<void>> {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  pub.on('error', (err: Error) => logger.warn('redis error', { error: err.message }));
  sub.on('error', (err: Error) => logger.warn('redis error', { error: err.message }));
  await Promise.all([pub.connect(), sub.connect()]);
  // Cluster requests (rooms, snapshot parts) give up on a silent node after this, keeping what arrived.
  io.adapter(createAdapter(guarded(pub, logger), guarded(sub, logger), { requestsTimeout: CLUSTER_REQUEST_TIMEOUT_MS }));
  return async () => {
    // A clean close waits for Redis to answer; with Redis gone it would wait forever, so give up after a while.
    const closed = Promise.allSettled([pub.close(), sub.close()]);
    const gaveUp = await Promise.race([closed.then(() => false), delay(REDIS_CLOSE_TIMEOUT_MS, true, { ref: false })]);
    if (gaveUp) {
      logger.warn('redis did not answer on shutdown; dropping the connections', { waitedMs: REDIS_CLOSE_TIMEOUT_MS });
      pub.destroy();
      sub.destroy();
    }
  };
}

import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, Delta, ServerToClientEvents, Snapshot } from '../../contract/index.js';
import { BUILT_IN_DOMAINS, columnDeltaEntities } from '../../contract/index.js';
import { tokenFor } from './product.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A console-like socket.io client on /live, subscribed to every built-in layer. */
export interface LiveClient {
  deltas: number;
  upserts: number;
  close(): void;
}

/**
 * Connects its own websocket to `/live`, subscribes to all layers with the columns encoding the console
 * uses, and calls `onDelta` for each delta (decoded into entities, as the console's store would hold them).
 */
export async function connectLiveClient(
  baseUrl: string,
  onDelta: (delta: Delta, receivedAt: number) => void = () => undefined,
  timeoutMs = 10_000,
): Promise<LiveClient> {
  const socket: LiveSocket = io(`${baseUrl}/live`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    auth: { token: tokenFor(baseUrl) },
  });
  const client: LiveClient = { deltas: 0, upserts: 0, close: () => socket.disconnect() };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    socket.on('deltaColumns', (columns) => {
      const receivedAt = performance.timeOrigin + performance.now();
      const upserts = columnDeltaEntities(columns);
      client.deltas += 1;
      client.upserts += upserts.length;
      onDelta({ ts: columns.ts, seq: columns.seq, upserts, removes: columns.removes }, receivedAt);
    });
    const snapshot = (await socket
      .timeout(timeoutMs)
      .emitWithAck('subscribe', { layers: [...BUILT_IN_DOMAINS], encoding: 'columns' })) as Snapshot;
    if (snapshot.error) throw new Error(`subscribe failed: ${snapshot.error.message}`);
  } catch (err) {
    socket.disconnect();
    throw err;
  }
  return client;
}

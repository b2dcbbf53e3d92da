import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import type { Snapshot, SubscribeRequest } from '../../../contract/live-events.js';
import { encodeColumnDelta } from '../../../contract/live-columns.js';
import { connectLive, type LiveClient } from '../../../client/live/live-client.js';
import { EntityStore } from '../../../client/state/entity-store.js';
import { waitFor } from '../../support/ports.js';

// The console's socket client against a real socket.io server that answers like a cluster node.

const T0 = 1_800_000_000_000;
const entity = (id: string, pm25: number): Entity => ({
  domain: 'sensor',
  id,
  ts: T0,
  lat: 21.27,
  lon: 106.19,
  fields: { pm25 },
  status: 'ok',
});

describe('live client', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  let client: LiveClient | undefined;
  const answers: Snapshot[] = [];
  const requests: SubscribeRequest[] = [];
  let serverSocket: Socket | undefined;
  let subscribes = 0;

  beforeEach(async () => {
    subscribes = 0;
    answers.length = 0;
    requests.length = 0;
    http = createServer();
    io = new Server(http);
    io.of('/live').on('connection', (socket) => {
      serverSocket = socket;
      socket.on('subscribe', (request: SubscribeRequest, ack: (snapshot: Snapshot) => void) => {
        requests.push(request);
        subscribes++;
        ack(answers.shift() ?? { ts: T0, entities: [] });
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/live`;
  });

  afterEach(async () => {
    client?.close();
    await io.close();
  });

  it('shows a partial snapshot as live but incomplete, and asks again until it is whole', async () => {
    answers.push(
      { ts: T0, entities: [entity('a', 1)], partial: { code: 'cluster_timeout', message: '1 node did not answer' } },
      { ts: T0, entities: [entity('a', 1), entity('b', 2)] },
    );
    const store = new EntityStore({ staleAfter: () => 120_000 });
    client = connectLive(store, ['sensor'], { url, now: () => T0, partialRetryMs: 200 });
    await waitFor(() => client?.status.get().partial === true, 'a partial live status');
    expect(client.status.get()).toEqual({ state: 'live', partial: true });
    expect(store.size).toBe(1);
    await waitFor(() => store.size === 2, 'the whole snapshot after the retry');
    expect(client.status.get()).toEqual({ state: 'live' });
    expect(store.get('sensor/b')?.fields.pm25).toBe(2);
    expect(subscribes).toBe(2);
  });

  it('takes deltas as columns, and answers malformed ones with one fresh snapshot, not one per delta', async () => {
    answers.push({ ts: T0, entities: [entity('a', 1)] }, { ts: T0, entities: [entity('a', 7), entity('b', 8)] });
    const store = new EntityStore({ staleAfter: () => 120_000 });
    client = connectLive(store, ['sensor'], { url, now: () => T0 });
    await waitFor(() => store.ready, 'the snapshot');
    expect(requests[0]).toEqual({ layers: ['sensor'], encoding: 'columns' });
    const columns = (seq: number, pm25: number) => {
      const delta = encodeColumnDelta({ ts: T0, seq, upserts: [{ ...entity('a', pm25), ts: T0 + seq }], removes: [] });
      const bytes = delta.numbers as Uint8Array;
      return { ...delta, numbers: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    };
    serverSocket?.emit('deltaColumns', columns(1, 3));
    await waitFor(() => store.get('sensor/a')?.fields.pm25 === 3, 'the columns delta applied');
    const broken = { ...columns(2, 4), numbers: Buffer.alloc(8) };
    serverSocket?.emit('deltaColumns', broken);
    serverSocket?.emit('deltaColumns', broken);
    serverSocket?.emit('deltaColumns', broken);
    await waitFor(() => store.size === 2, 'the fresh snapshot');
    expect(store.get('sensor/a')?.fields.pm25).toBe(7);
    // A good delta sent after them arrives after them: by then the other two were dropped, with no more snapshots.
    serverSocket?.emit('deltaColumns', columns(5, 9));
    await waitFor(() => store.get('sensor/a')?.fields.pm25 === 9, 'a later delta applied');
    expect(subscribes).toBe(2);
  });

  it('shows a refused subscription as offline with the reason', async () => {
    answers.push({ ts: T0, entities: [], error: { code: 'bad_request', message: 'unknown layer "x"' } });
    const store = new EntityStore({ staleAfter: () => 120_000 });
    client = connectLive(store, ['x'], { url, now: () => T0 });
    await waitFor(() => client?.status.get().state === 'offline', 'offline');
    expect(client.status.get()).toEqual({ state: 'offline', error: 'unknown layer "x"' });
    expect(store.ready).toBe(false);
  });
});

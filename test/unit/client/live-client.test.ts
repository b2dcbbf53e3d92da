import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import type { Snapshot, SubscribeRequest } from '../../../contract/live-events.js';
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
  let subscribes = 0;

  beforeEach(async () => {
    subscribes = 0;
    answers.length = 0;
    http = createServer();
    io = new Server(http);
    io.of('/live').on('connection', (socket) => {
      socket.on('subscribe', (_request: SubscribeRequest, ack: (snapshot: Snapshot) => void) => {
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

  it('shows a refused subscription as offline with the reason', async () => {
    answers.push({ ts: T0, entities: [], error: { code: 'bad_request', message: 'unknown layer "x"' } });
    const store = new EntityStore({ staleAfter: () => 120_000 });
    client = connectLive(store, ['x'], { url, now: () => T0 });
    await waitFor(() => client?.status.get().state === 'offline', 'offline');
    expect(client.status.get()).toEqual({ state: 'offline', error: 'unknown layer "x"' });
    expect(store.ready).toBe(false);
  });
});

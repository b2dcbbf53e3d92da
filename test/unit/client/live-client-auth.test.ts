import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLive, type LiveClient } from '../../../client/live/live-client.js';
import { EntityStore } from '../../../client/state/entity-store.js';
import { waitFor } from '../../support/ports.js';

// A socket refused with `unauthorized` (no session, or it expired) tells the console to show the login page.

describe('live client without a session', () => {
  let http: HttpServer;
  let io: Server;
  let client: LiveClient | undefined;

  afterEach(async () => {
    client?.close();
    await io.close();
  });

  it('reports `unauthorized` from connect_error once per refusal', async () => {
    http = createServer();
    io = new Server(http);
    io.of('/live').use((_socket, next) => next(new Error('unauthorized')));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/live`;
    let refusals = 0;
    client = connectLive(new EntityStore({ staleAfter: () => 60_000 }), ['sensor'], {
      url,
      onUnauthorized: () => refusals++,
    });
    await waitFor(() => refusals > 0, 'an unauthorized refusal');
    expect(client.status.get().state).toBe('reconnecting');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  Delta,
  Entity,
  ServerToClientEvents,
  Snapshot,
  SubscribeRequest,
} from '../../contract/index.js';
import { columnDeltaEntities } from '../../contract/index.js';
import { loadConfig } from '../../config/load.js';
import { silentLogger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import { startIoc, type RunningIoc } from '../../server/start-ioc.js';
import { signIn, TEST_ADMIN_PASSWORD, type ApiSession } from './auth.js';

export interface TestIoc {
  ioc: RunningIoc;
  config: Config;
  baseUrl: string;
  dataDir: string;
  /** Signed in as admin (password TEST_ADMIN_PASSWORD). */
  api: ApiSession;
  /** Stops the product and removes its data dir. */
  stop(): Promise<void>;
}

/** Starts the real product on port 0 with a temp data dir; `overrides` as in the config file. */
export async function startTestIoc(overrides: Record<string, unknown> = {}, keepDataDir?: string): Promise<TestIoc> {
  const dataDir = keepDataDir ?? mkdtempSync(path.join(tmpdir(), 'ioc-data-'));
  const auth = { adminPassword: TEST_ADMIN_PASSWORD, ...(overrides.auth as Record<string, unknown> | undefined) };
  const config = loadConfig({
    noFile: true,
    env: {},
    // The in-process broker on a free port too (its default, 1883, may be held by another test or a real broker).
    overrides: {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      simulate: false,
      logLevel: 'silent',
      mqtt: { port: 0 },
      ...overrides,
      auth,
    },
  });
  const ioc = await startIoc(config, { logger: silentLogger });
  const baseUrl = `http://127.0.0.1:${ioc.port}`;
  let api: ApiSession;
  try {
    api = await signIn(baseUrl);
  } catch (err) {
    await ioc.close();
    throw err;
  }
  return {
    ioc,
    config,
    baseUrl,
    dataDir,
    api,
    stop: async () => {
      await ioc.close();
      if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type LiveClient = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A socket.io client on /live that records every delta into an entity map. */
export interface LiveRecorder {
  socket: LiveClient;
  entities: Map<string, Entity>;
  deltas: Delta[];
  subscribe(request: SubscribeRequest): Promise<Snapshot>;
  close(): void;
}

/** Who the socket is: a session (its cookie) or an API token. */
export type LiveCredentials = { cookie: string } | { token: string };

/** Connects to `/live` (own connection) and keeps the latest entity state from snapshot + deltas. */
export async function connectLive(
  baseUrl: string,
  credentials: LiveCredentials,
  options: { transport?: 'websocket' | 'polling' } = {},
): Promise<LiveRecorder> {
  const socket: LiveClient = connect(`${baseUrl}/live`, {
    // Long-polling only: what a client behind a proxy that refuses websockets gets.
    transports: [options.transport ?? 'websocket'],
    upgrade: false,
    forceNew: true,
    reconnection: false,
    ...('cookie' in credentials
      ? { extraHeaders: { cookie: credentials.cookie } }
      : { auth: { token: credentials.token } }),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  const entities = new Map<string, Entity>();
  const deltas: Delta[] = [];
  const record = (delta: Delta) => {
    deltas.push(delta);
    for (const e of delta.upserts) entities.set(`${e.domain}/${e.id}`, e);
    for (const key of delta.removes) entities.delete(key);
  };
  socket.on('delta', record);
  // Sockets that subscribed with `encoding: 'columns'`: the same content, recorded as a plain delta.
  socket.on('deltaColumns', (columns) => {
    record({ ts: columns.ts, seq: columns.seq, upserts: columnDeltaEntities(columns), removes: columns.removes });
  });
  return {
    socket,
    entities,
    deltas,
    subscribe: async (request) => {
      const snapshot: Snapshot = (await socket.timeout(10_000).emitWithAck('subscribe', request)) as Snapshot;
      if (!snapshot.error) {
        entities.clear();
        for (const e of snapshot.entities) entities.set(`${e.domain}/${e.id}`, e);
      }
      return snapshot;
    },
    close: () => socket.disconnect(),
  };
}

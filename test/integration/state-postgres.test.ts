import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../contract/index.js';
import { ConfigSchema } from '../../config/schema.js';
import { createStateStore } from '../../server/state/index.js';
import { PostgresStateStore } from '../../server/state/postgres-state.js';
import { alertVersion } from '../../server/state/types.js';
import { freePort } from '../support/ports.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';
import { stateStoreContract } from './state-contract.js';

let server: RunningPostgres;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

/** A fresh database on the test server. */
async function freshDatabase(): Promise<string> {
  databases += 1;
  return server.createDatabase(`state_${databases}`);
}

stateStoreContract('postgres', async () => {
  const store = new PostgresStateStore({ url: await freshDatabase() });
  await store.init();
  return store;
});

function alertAt(id: string, version: number, by: string): Alert {
  const T0 = Date.UTC(2026, 0, 5, 8);
  return {
    id,
    ruleId: 'flood',
    domain: 'water',
    entityId: 'W1',
    severity: 'critical',
    state: version > 1 ? 'acknowledged' : 'firing',
    startedAt: T0,
    updatedAt: T0 + version,
    value: 2.4,
    message: `moved by ${by}`,
    history: Array.from({ length: version }, (_, k) => ({ at: T0 + k, by: k === version - 1 ? by : 'engine', action: k === 0 ? 'fire' : 'ack' })),
  };
}

describe('postgres state store across two nodes', () => {
  let nodeA: PostgresStateStore;
  let nodeB: PostgresStateStore;

  beforeAll(async () => {
    const url = await freshDatabase();
    nodeA = new PostgresStateStore({ url });
    nodeB = new PostgresStateStore({ url });
    // Both nodes create the tables at once on an empty database.
    await Promise.all([nodeA.init(), nodeB.init()]);
  });

  afterAll(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
  });

  it('lets exactly one of two concurrent casAlert calls from the same version win, 20 rounds', async () => {
    for (let round = 0; round < 20; round++) {
      const id = `race-${round}`;
      // Even rounds race on a stored version 1; odd rounds race to create the alert (no row, basedOn 0).
      const basedOn = round % 2 === 0 ? 1 : 0;
      if (basedOn === 1) await nodeA.saveAlerts([alertAt(id, 1, 'engine')]);
      const fromA = alertAt(id, basedOn + 1, 'node-a');
      const fromB = alertAt(id, basedOn + 1, 'node-b');
      const [wonA, wonB] = await Promise.all([nodeA.casAlert(fromA, basedOn), nodeB.casAlert(fromB, basedOn)]);
      expect([wonA, wonB].filter(Boolean)).toHaveLength(1);
      const stored = await nodeB.getAlert(id);
      expect(stored).toStrictEqual(wonA ? fromA : fromB);
      expect(alertVersion(stored!)).toBe(basedOn + 1);
    }
  });

  it('settles putSettingIfAbsent on the first writer for both nodes', async () => {
    for (let round = 0; round < 10; round++) {
      const key = `key-${round}`;
      const [a, b] = await Promise.all([nodeA.putSettingIfAbsent(key, 'from-a'), nodeB.putSettingIfAbsent(key, 'from-b')]);
      expect(a).toBe(b);
      expect(await nodeA.getSetting(key)).toBe(a);
    }
  });

  it('saves overlapping alert batches from both nodes at once, keeping the newest of each', async () => {
    const ids = Array.from({ length: 300 }, (_, k) => `batch-${k}`);
    // Node A holds the newer version of the even alerts, node B of the odd ones; A sends them in reverse order.
    const fromA = ids.map((id, k) => alertAt(id, k % 2 === 0 ? 3 : 2, 'node-a')).reverse();
    const fromB = ids.map((id, k) => alertAt(id, k % 2 === 0 ? 2 : 3, 'node-b'));
    await Promise.all([nodeA.saveAlerts(fromA), nodeB.saveAlerts(fromB), nodeA.saveAlerts(fromB), nodeB.saveAlerts(fromA)]);
    const stored = new Map((await nodeA.loadAlerts()).filter((a) => a.id.startsWith('batch-')).map((a) => [a.id, a]));
    expect(stored.size).toBe(300);
    ids.forEach((id, k) => {
      const alert = stored.get(id)!;
      expect(alertVersion(alert)).toBe(3);
      expect(alert.message).toBe(k % 2 === 0 ? 'moved by node-a' : 'moved by node-b');
    });
  });
});

describe('postgres state store configuration and failures', () => {
  it('is what createStateStore picks when postgresUrl is set', async () => {
    const url = await freshDatabase();
    const store = createStateStore(ConfigSchema.parse({ postgresUrl: url }));
    expect(store.kind).toBe('postgres');
    await store.init();
    await store.ping();
    expect(await store.countUsers()).toBe(0);
    await store.close();
    await store.close();
  });

  it('fails init() and ping() on an unreachable server, naming IOC_POSTGRES_URL and the host but not the password', async () => {
    const port = await freePort();
    const store = new PostgresStateStore({ url: `postgres://ioc:Sup3r-s3cret@127.0.0.1:${port}/state`, connectionTimeoutMillis: 2000 });
    try {
      const error = await store.init().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain('IOC_POSTGRES_URL');
      expect(message).toContain(`127.0.0.1:${port}`);
      expect(message).not.toContain('Sup3r-s3cret');
      await expect(store.ping()).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});

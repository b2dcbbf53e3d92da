import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { createStateStore } from '../../server/state/index.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import { stateStoreContract } from './state-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-state-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

stateStoreContract('sqlite file', async () => {
  const store = new SqliteStateStore({ dataDir: tempDir() });
  await store.init();
  return store;
});

stateStoreContract('sqlite :memory:', async () => {
  const store = new SqliteStateStore({ file: ':memory:' });
  await store.init();
  return store;
});

describe('sqlite state store', () => {
  it('is what createStateStore picks without a PostgreSQL URL, in <dataDir>/state.db', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const store = createStateStore(ConfigSchema.parse({ dataDir }));
    expect(store.kind).toBe('sqlite');
    expect(store).toBeInstanceOf(SqliteStateStore);
    expect((store as SqliteStateStore).file).toBe(path.join(dataDir, 'state.db'));
    await store.init();
    await store.ping();
    await store.close();
  });

  it('keeps its state across close and reopen', async () => {
    const dataDir = tempDir();
    const first = new SqliteStateStore({ dataDir });
    await first.init();
    await first.putSettingIfAbsent('signing-key', 'k1');
    await first.appendAudit({ at: 1, actor: 'admin', action: 'login', target: 'admin', ip: '127.0.0.1', details: {} });
    await first.close();

    const second = new SqliteStateStore({ dataDir });
    await second.init();
    try {
      expect(await second.putSettingIfAbsent('signing-key', 'k2')).toBe('k1');
      await second.appendAudit({ at: 2, actor: 'admin', action: 'logout', target: 'admin', ip: '127.0.0.1', details: {} });
      const entries = await second.queryAudit({ limit: 10 });
      expect(entries.map((e) => [e.id, e.action])).toEqual([
        [2, 'logout'],
        [1, 'login'],
      ]);
    } finally {
      await second.close();
    }
  });

  it('rejects (never throws synchronously) when used before init or after close', async () => {
    const store = new SqliteStateStore({ file: ':memory:' });
    const pending = store.getUser('x');
    await expect(pending).rejects.toThrow(/init\(\)/);
    await store.init();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

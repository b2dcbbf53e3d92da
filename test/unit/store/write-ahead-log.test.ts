import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../../contract/index.js';
import { quietLogger } from '../../../server/store/types-logger.js';
import type { TelemetryStore } from '../../../server/store/types.js';
import { openWriteAheadLog, replayWriteAheadLog } from '../../../server/store/write-ahead-log.js';

/** The part of a store the log uses: what was written, and a flush the test settles by hand. */
function fakeStore(held: Observation[] = []) {
  const written: Observation[] = [];
  const flushes: (() => void)[] = [];
  const store = {
    write: (batch: readonly Observation[]) => void written.push(...batch),
    flush: () => new Promise<void>((resolve) => flushes.push(resolve)),
    unstored: (batch: readonly Observation[]) => batch.filter((o) => !held.some((h) => h.id === o.id && h.ts === o.ts)),
  } as unknown as TelemetryStore;
  return { store, written, flushes };
}

const obs = (id: string, ts: number): Observation => ({ domain: 'sensor', id, ts, fields: { v: ts } });

describe('write-ahead log', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'ioc-wal-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('times every fdatasync, synchronous and on the thread pool, and none when syncing is off', async () => {
    const synced: number[] = [];
    const wal = openWriteAheadLog(
      fakeStore().store,
      { dir: dir(), fsync: true, onSync: (s) => synced.push(s) },
      quietLogger,
    );
    wal.append([obs('a', 1)]);
    wal.commit();
    expect(synced).toHaveLength(1);
    wal.append([obs('b', 2)]);
    await new Promise<void>((resolve, reject) => wal.sync((err) => (err ? reject(err) : resolve())));
    expect(synced).toHaveLength(2);
    for (const seconds of synced) {
      expect(seconds).toBeGreaterThanOrEqual(0);
      expect(seconds).toBeLessThan(10);
    }

    const unsynced: number[] = [];
    const loose = openWriteAheadLog(
      fakeStore().store,
      { dir: dir(), fsync: false, onSync: (s) => unsynced.push(s) },
      quietLogger,
    );
    loose.append([obs('c', 3)]);
    loose.commit();
    await new Promise<void>((resolve) => loose.sync(() => resolve()));
    expect(unsynced).toEqual([]);
  });

  it('replays what a killed process committed, skipping what the store holds and a torn last line', async () => {
    const d = dir();
    const first = fakeStore();
    const wal = openWriteAheadLog(first.store, { dir: d, fsync: false }, quietLogger);
    wal.append([obs('a', 1), obs('b', 2)]);
    wal.append([obs('c', 3)]);
    wal.commit();
    wal.append([obs('never-committed', 4)]);
    // A power cut in the middle of a later write leaves half a line.
    const [segment] = readdirSync(d);
    appendFileSync(path.join(d, segment!), '{"domain":"sensor","id":"tor');

    const second = fakeStore([obs('b', 2)]);
    const replaying = replayWriteAheadLog(d, second.store, quietLogger);
    await Promise.resolve();
    expect(second.written.map((o) => o.id)).toEqual(['a', 'c']);
    // Segments stay until the store has flushed what was replayed.
    expect(readdirSync(d)).toHaveLength(1);
    second.flushes.forEach((resolve) => resolve());
    expect(await replaying).toBe(2);
    expect(readdirSync(d)).toEqual([]);
  });

  it('keeps text outside ASCII byte for byte (Vietnamese names and readings)', async () => {
    const d = dir();
    const wal = openWriteAheadLog(fakeStore().store, { dir: d, fsync: true }, quietLogger);
    const named: Observation = {
      domain: 'traffic',
      id: 'jn-7',
      ts: 5,
      fields: { state: 'Ùn tắc', speed: 4 },
      tags: { name: 'Ngã tư Trần Phú – Hoàng Văn Thụ' },
    };
    wal.append([named, obs('plain', 6)]);
    wal.commit();
    const replayed = fakeStore();
    const replaying = replayWriteAheadLog(d, replayed.store, quietLogger);
    await Promise.resolve();
    expect(replayed.written).toEqual([named, obs('plain', 6)]);
    replayed.flushes.forEach((resolve) => resolve());
    expect(await replaying).toBe(2);
  });

  it('replays logs of one observation per line, as earlier versions wrote them, beside commit lines', async () => {
    const d = dir();
    mkdirSync(d, { recursive: true });
    const lines = [obs('old-a', 1), obs('old-b', 2)].map((o) => `${JSON.stringify(o)}\n`).join('');
    writeFileSync(path.join(d, '000000000001.wal'), `${lines}${JSON.stringify([obs('new-c', 3), obs('new-d', 4)])}\n`);
    const store = fakeStore();
    const replaying = replayWriteAheadLog(d, store.store, quietLogger);
    await Promise.resolve();
    expect(store.written.map((o) => o.id)).toEqual(['old-a', 'old-b', 'new-c', 'new-d']);
    store.flushes.forEach((resolve) => resolve());
    expect(await replaying).toBe(4);
  });

  it('deletes a closed segment only once the store flushed what came before it', async () => {
    const d = dir();
    let now = 0;
    const { store, flushes } = fakeStore();
    const wal = openWriteAheadLog(store, { dir: d, fsync: true, segmentMs: 1000, clock: () => now }, quietLogger);
    wal.append([obs('a', 1)]);
    wal.commit();
    wal.afterDeliver();
    expect(readdirSync(d)).toHaveLength(1);
    now = 1500;
    wal.afterDeliver();
    expect(flushes).toHaveLength(1);
    expect(readdirSync(d)).toHaveLength(1);
    wal.append([obs('b', 2)]);
    wal.commit();
    expect(readdirSync(d)).toHaveLength(2);
    flushes[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(readdirSync(d)).toHaveLength(1);
    expect(wal.stats()).toMatchObject({ commits: 2, segments: 1 });
  });

  it('syncs off the event loop: callbacks in call order, once the data is in the segment, across a segment change', async () => {
    const d = dir();
    let now = 0;
    const { store } = fakeStore();
    const wal = openWriteAheadLog(store, { dir: d, fsync: true, segmentMs: 1000, clock: () => now }, quietLogger);
    const order: number[] = [];
    const synced = (n: number) =>
      new Promise<void>((resolve, reject) =>
        wal.sync((err) => {
          if (err) reject(err);
          order.push(n);
          resolve();
        }),
      );
    wal.append([obs('a', 1)]);
    const first = synced(1);
    // Callbacks never run inside the call: the caller's turn goes on.
    expect(order).toEqual([]);
    wal.append([obs('b', 2)]);
    const second = synced(2);
    // The segment closes while the first fdatasync may still run: it must wait for it, not break it.
    now = 1500;
    wal.afterDeliver();
    wal.append([obs('c', 3)]);
    const third = synced(3);
    await Promise.all([first, second, third]);
    expect(order).toEqual([1, 2, 3]);
    expect(wal.stats()).toMatchObject({ commits: 3 });

    // Everything synced replays from the segments as a killed process would leave them.
    const replay = fakeStore();
    const replaying = replayWriteAheadLog(d, replay.store, quietLogger);
    await Promise.resolve();
    expect(replay.written.map((o) => o.id)).toEqual(['a', 'b', 'c']);
    replay.flushes.forEach((resolve) => resolve());
    expect(await replaying).toBe(3);
  });

  it('leaves nothing behind after a clean close', async () => {
    const d = dir();
    const { store, flushes } = fakeStore();
    const wal = openWriteAheadLog(store, { dir: d, fsync: false }, quietLogger);
    wal.append([obs('a', 1)]);
    const closing = wal.close();
    await Promise.resolve();
    flushes.forEach((resolve) => resolve());
    await closing;
    expect(readdirSync(d)).toEqual([]);
  });
});

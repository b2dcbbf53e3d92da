import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { quietLogger } from '../../../server/store/types-logger.js';
import { WriteQueue, type WriteQueueOptions } from '../../../server/store/write-queue.js';

const OPTIONS: WriteQueueOptions = {
  batchSize: 100,
  flushInterval: 1000,
  maxBuffered: 10_000,
  maxInFlight: 2,
  retry: { baseMs: 10, maxMs: 10 },
};

/** A queue whose batches are recorded with the fake time they were sent at. */
function recordingQueue(options: Partial<WriteQueueOptions>) {
  const sent: { at: number; size: number }[] = [];
  const queue = new WriteQueue<number>(
    (items) => {
      sent.push({ at: Date.now(), size: items.length });
      return Promise.resolve({ kind: 'written' });
    },
    { ...OPTIONS, ...options },
    quietLogger,
    'test store',
  );
  return { queue, sent };
}

describe('WriteQueue: a partly filled batch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes once nothing has come for idleFlush, not after the whole flushInterval', async () => {
    const { queue, sent } = recordingQueue({ idleFlush: 100 });
    for (let i = 0; i < 10; i++) queue.add(i);
    // Checked by counting, not by a clock per item: the first look (100 ms) sees items came since the
    // batch opened, the second (200 ms) that none did.
    await vi.advanceTimersByTimeAsync(199);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([{ at: 200, size: 10 }]);
  });

  it('keeps filling while items keep coming, and goes at flushInterval at the latest', async () => {
    const { queue, sent } = recordingQueue({ idleFlush: 100 });
    // One item every 40 ms: never 100 ms of silence.
    for (let t = 0; t < 1400; t += 40) {
      queue.add(t);
      await vi.advanceTimersByTimeAsync(40);
    }
    expect(sent[0]).toEqual({ at: 1000, size: 25 });
    expect(sent.every((batch) => batch.size > 1)).toBe(true);
  });

  it('still goes at once when full, and waits the whole flushInterval without idleFlush', async () => {
    const idle = recordingQueue({ idleFlush: 100 });
    for (let i = 0; i < 100; i++) idle.queue.add(i);
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.sent).toEqual([{ at: 0, size: 100 }]);

    const plain = recordingQueue({});
    for (let i = 0; i < 10; i++) plain.queue.add(i);
    await vi.advanceTimersByTimeAsync(999);
    expect(plain.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(plain.sent).toEqual([{ at: 1000, size: 10 }]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../contract/index.js';
import { createAlertWriter, type AlertWriterOptions } from '../../../server/alerts/alert-writer.js';
import { waitFor } from '../../support/ports.js';
import { memoryLogger } from './fake-store.js';

const T0 = 1_700_000_000_000;

function alert(n: number, updatedAt = T0): Alert {
  return {
    id: `a${n}`,
    ruleId: 'pm25-high',
    domain: 'sensor',
    entityId: `S${n}`,
    severity: 'warning',
    state: 'firing',
    startedAt: T0,
    updatedAt,
    value: 150,
    message: 'PM2.5 high',
  };
}

/** A writer whose saveAlerts calls are recorded and answered by `answer` (success by default). */
function writerWith(options: Partial<AlertWriterOptions> & { answer?: (call: number) => Promise<void> } = {}) {
  const calls: Alert[][] = [];
  const logger = memoryLogger();
  let inFlight = 0;
  let maxInFlight = 0;
  const writer = createAlertWriter({
    logger,
    delayMs: 1,
    retryMs: 5,
    ...options,
    async saveAlerts(alerts) {
      calls.push([...alerts]);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await (options.answer?.(calls.length) ?? Promise.resolve());
      } finally {
        inFlight -= 1;
      }
    },
  });
  return { writer, calls, logger, maxInFlight: () => maxInFlight };
}

/** A promise settled from outside, to hold a save while the test acts. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('alert writer', () => {
  it('saves a batch of N changes in exactly one saveAlerts call holding the latest version of each alert', async () => {
    const { writer, calls } = writerWith();
    const n = 300;
    for (let i = 0; i < n; i++) writer.enqueue(alert(i));
    // Later changes of a third of them replace the queued versions.
    for (let i = 0; i < n; i += 3) writer.enqueue(alert(i, T0 + 1000));
    expect(writer.pending()).toBe(n);
    await writer.flush();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(n);
    expect(new Set(calls[0]!.map((a) => a.id)).size).toBe(n);
    expect(calls[0]!.filter((a) => a.updatedAt === T0 + 1000)).toHaveLength(n / 3);
    expect(writer.stats()).toEqual({ saved: n, failed: 0 });
    expect(writer.pending()).toBe(0);
    writer.close();
  });

  it('saves a batch on its own timer, one call per batch', async () => {
    const { writer, calls } = writerWith({ delayMs: 20 });
    for (let i = 0; i < 50; i++) writer.enqueue(alert(i));
    await waitFor(() => writer.stats().saved === 50, 'the timed batch saved');
    expect(calls.map((c) => c.length)).toEqual([50]);
    writer.close();
  });

  it('splits a batch larger than maxBatch into chunks saved one after another', async () => {
    const { writer, calls, maxInFlight } = writerWith({
      maxBatch: 100,
      answer: () => new Promise((resolve) => setTimeout(resolve, 2)),
    });
    for (let i = 0; i < 250; i++) writer.enqueue(alert(i));
    await writer.flush();
    expect(calls.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(maxInFlight()).toBe(1);
    expect(writer.stats()).toEqual({ saved: 250, failed: 0 });
    writer.close();
  });

  it('retries a failed batch whole with backoff, and a version queued meanwhile wins', async () => {
    const first = deferred();
    const { writer, calls, logger } = writerWith({
      answer: (call) => (call === 1 ? first.promise : Promise.resolve()),
    });
    const n = 20;
    for (let i = 0; i < n; i++) writer.enqueue(alert(i));
    const flushed = writer.flush();
    await waitFor(() => calls.length === 1, 'the first save under way');
    // A newer version of a3 arrives while its batch is being written, which then fails.
    writer.enqueue(alert(3, T0 + 5000));
    first.reject(new Error('database is locked'));
    await flushed;
    expect(writer.stats()).toEqual({ saved: 0, failed: n });
    expect(writer.pending()).toBe(n);
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'saving alerts failed; retrying',
        extra: { failures: n, retryInMs: 5, error: 'database is locked' },
      },
    ]);

    // The retry comes from the backoff timer, not from another flush.
    await waitFor(() => calls.length === 2 && writer.pending() === 0, 'the retried batch');
    expect(calls[1]).toHaveLength(n);
    expect(calls[1]!.find((a) => a.id === 'a3')?.updatedAt).toBe(T0 + 5000);
    expect(calls[1]!.filter((a) => a.id === 'a3')).toHaveLength(1);
    await waitFor(() => writer.stats().saved === n, 'the retry counted');
    expect(writer.stats()).toEqual({ saved: n, failed: n });
    writer.close();
  });

  it('after a failed chunk, keeps that chunk and the untried ones queued and counts only the tried one as failed', async () => {
    const { writer, calls } = writerWith({
      maxBatch: 2,
      answer: (call) => (call === 2 ? Promise.reject(new Error('timeout')) : Promise.resolve()),
    });
    for (let i = 0; i < 5; i++) writer.enqueue(alert(i));
    await writer.flush();
    expect(calls.map((c) => c.map((a) => a.id))).toEqual([
      ['a0', 'a1'],
      ['a2', 'a3'],
    ]);
    expect(writer.stats()).toEqual({ saved: 2, failed: 2 });
    expect(writer.pending()).toBe(3);
    writer.close();
    await writer.flush();
    expect(calls.slice(2).map((c) => c.map((a) => a.id))).toEqual([['a2', 'a3'], ['a4']]);
    expect(writer.stats()).toEqual({ saved: 5, failed: 2 });
  });

  it('doubles the backoff on repeated failures up to maxRetryMs, and resets it after a success', async () => {
    let failing = true;
    const { writer, logger } = writerWith({
      retryMs: 5,
      maxRetryMs: 12,
      answer: () => (failing ? Promise.reject(new Error('down')) : Promise.resolve()),
    });
    writer.enqueue(alert(1));
    await waitFor(() => logger.lines.length >= 3, 'three failed attempts');
    expect(logger.lines.slice(0, 3).map((l) => l.extra?.retryInMs)).toEqual([5, 10, 12]);
    failing = false;
    await waitFor(() => writer.stats().saved === 1, 'saved once the store is back');
    writer.close();
  });
});

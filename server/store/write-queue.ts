import type { StoreStats } from './types.js';
import { errorMessage, type StoreLogger } from './types-logger.js';

/*
 * Batching, retry and concurrency of the stores' writers, in one place (issue 14): the InfluxDB
 * writer (server/store/influx-writer.ts) sends batches of lines over HTTP, the embedded store
 * (server/store/embedded.ts) hands batches of observations to its writer thread. Both buffer
 * without blocking, seal a batch when it is full or after `flushInterval`, keep at most
 * `maxInFlight` batches out, retry with the same backoff, drop the oldest beyond `maxBuffered`
 * (counted, never silent), and resolve `flush()` once everything before it is settled.
 */

/** Exponential backoff with jitter: the one retry schedule of the stores. */
export interface RetryPolicy {
  /** First delay after a failure (ms); doubles per failure in a row. */
  baseMs: number;
  /** Longest delay (ms). */
  maxMs: number;
}

/** The stores' default schedule: 200 ms, doubling, at most 5 s. */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 200, maxMs: 5000 };

/** The delay before attempt `failures + 1` (failures ≥ 1), jittered ±25 % so nodes do not retry in step. */
export function backoffDelay(failures: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return delay * (0.75 + random() * 0.5);
}

/** What became of a batch handed to `send`. */
export type SendOutcome =
  | { kind: 'written' }
  /** `dropped` of the batch's items were refused for good (the rest are written). */
  | { kind: 'partial'; dropped: number; error: string }
  /** A passing failure (network, 5xx, a busy database): the batch is sent again after a backoff, ahead of later ones. */
  | { kind: 'retry'; error: string }
  /** The batch is sent again in this many smaller pieces (to isolate an item the database refuses; counted as a failure when `error` is given). */
  | { kind: 'split'; parts: number; error?: string };

export interface WriteQueueOptions {
  /** Items per batch. */
  batchSize: number;
  /** A partly filled batch is sent after this many ms. */
  flushInterval: number;
  /**
   * A partly filled batch is also sent once no item has come for this many ms (default: never; it is
   * noticed within one to two of them): the tail of a burst need not wait out `flushInterval`, while
   * steady traffic still fills whole batches.
   */
  idleFlush?: number;
  /** Items held (queued and in flight); beyond this the oldest queued ones are dropped and counted. */
  maxBuffered: number;
  /** Batches out at once. */
  maxInFlight: number;
  retry: RetryPolicy;
}

/** Sends one batch and tells what became of it; rejecting counts as `retry`. */
export type SendBatch<T> = (items: T[]) => Promise<SendOutcome>;

// A piece of a flush generation: split batches share their parent's id.
interface Batch<T> {
  id: number;
  items: T[];
  /** Set while the batch is out: resolves when its answer has been handled. */
  done?: Promise<void>;
}

/** The buffer in front of a store's writer; see the file comment. */
export class WriteQueue<T> {
  private current: T[] = [];
  private readonly queue: Batch<T>[] = [];
  private readonly inflight = new Set<Batch<T>>();
  // Unsettled pieces per batch id, in id order (Map keeps insertion order).
  private readonly pending = new Map<number, number>();
  private readonly waiters: { id: number; resolve: () => void }[] = [];
  private nextId = 1;
  private sealTimer: NodeJS.Timeout | undefined;
  // Idle flush: when the batch being filled was opened, and its size at the last idle check. Counting
  // instead of reading a clock per item keeps `add` as cheap as without it.
  private openedAt = 0;
  private sizeAtCheck = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private failureStreak = 0;
  private stopped = false;
  readonly counters: StoreStats = { written: 0, buffered: 0, dropped: 0, failedWrites: 0 };

  constructor(
    private readonly send: SendBatch<T>,
    private readonly options: WriteQueueOptions,
    private readonly logger: StoreLogger,
    /** Names the database in log lines ("InfluxDB", "the embedded store"). */
    private readonly label: string,
  ) {}

  /** Queues one item; never throws, never waits. */
  add(item: T): void {
    this.current.push(item);
    this.counters.buffered += 1;
    if (this.current.length >= this.options.batchSize) this.seal();
    else this.sealTimer ??= this.armSealTimer();
    if (this.counters.buffered > this.options.maxBuffered) this.dropOldest();
  }

  /** Counts items that could not even be queued (nothing to write, store closed) as dropped. */
  reject(count: number): void {
    this.counters.dropped += count;
  }

  /** Resolves when every item added before the call is written or counted as dropped. */
  flush(): Promise<void> {
    this.seal();
    const id = this.nextId - 1;
    if (this.settledUpTo(id)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ id, resolve }));
  }

  /** Drops everything still queued (counted) and stops the timers; batches out finish on their own. */
  abandon(): void {
    this.stopped = true;
    this.seal();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const batch of this.queue.splice(0)) this.settle(batch, 0, batch.items.length);
  }

  /** Resolves once no batch is out any more (after `abandon`, so close() can wait for the last answers). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.race([...this.inflight].map((b) => b.done ?? Promise.resolve()));
  }

  private armSealTimer(): NodeJS.Timeout {
    const idle = this.options.idleFlush;
    if (idle === undefined || idle >= this.options.flushInterval) {
      return setTimeout(() => this.seal(), this.options.flushInterval).unref();
    }
    this.openedAt = performance.now();
    this.sizeAtCheck = this.current.length;
    return setTimeout(() => this.checkIdle(), idle).unref();
  }

  // Seals when nothing came since the last check or the batch is as old as `flushInterval`; else looks again.
  private checkIdle(): void {
    const idle = this.options.idleFlush!;
    const age = performance.now() - this.openedAt;
    if (this.current.length === this.sizeAtCheck || age + 1 >= this.options.flushInterval) {
      this.seal();
      return;
    }
    this.sizeAtCheck = this.current.length;
    this.sealTimer = setTimeout(() => this.checkIdle(), Math.min(idle, this.options.flushInterval - age)).unref();
  }

  private seal(): void {
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    if (this.current.length === 0) return;
    const batch = { id: this.nextId++, items: this.current };
    this.current = [];
    this.pending.set(batch.id, 1);
    this.queue.push(batch);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inflight.size < this.options.maxInFlight && this.retryTimer === undefined) {
      const batch = this.queue.shift();
      if (!batch) return;
      this.inflight.add(batch);
      batch.done = this.deliver(batch);
    }
  }

  private async deliver(batch: Batch<T>): Promise<void> {
    let outcome: SendOutcome;
    try {
      outcome = await this.send(batch.items);
    } catch (err) {
      outcome = { kind: 'retry', error: errorMessage(err) };
    }
    this.inflight.delete(batch);
    try {
      this.handle(batch, outcome);
    } catch (err) {
      // Bookkeeping must never leave a batch unsettled, or flush() would hang.
      this.logger.error(`${this.label} writer bookkeeping failed`, { error: errorMessage(err) });
    }
    this.pump();
  }

  private handle(batch: Batch<T>, outcome: SendOutcome): void {
    const n = batch.items.length;
    switch (outcome.kind) {
      case 'written':
        if (this.failureStreak > 0)
          this.logger.info(`${this.label} writes recovered`, { failedAttempts: this.failureStreak });
        this.failureStreak = 0;
        this.settle(batch, n, 0);
        return;
      case 'partial': {
        this.counters.failedWrites += 1;
        this.counters.lastError = outcome.error;
        const lost = Math.min(n, outcome.dropped);
        this.logger.warn(`${this.label} rejected points`, { dropped: lost, error: outcome.error.slice(0, 500) });
        this.settle(batch, n - lost, lost);
        return;
      }
      case 'split':
        if (outcome.error !== undefined) {
          this.counters.failedWrites += 1;
          this.counters.lastError = outcome.error;
        }
        this.split(batch, Math.max(2, outcome.parts));
        return;
      case 'retry':
        this.retry(batch, outcome.error);
        return;
    }
  }

  private retry(batch: Batch<T>, message: string): void {
    this.counters.failedWrites += 1;
    this.counters.lastError = message;
    if (this.failureStreak === 0)
      this.logger.warn(`${this.label} write failed; buffering and retrying`, { error: message });
    this.failureStreak += 1;
    if (this.stopped) {
      this.settle(batch, 0, batch.items.length);
      return;
    }
    // Ahead of everything queued: a passing failure holds later batches back, it does not reorder them.
    this.queue.unshift(batch);
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = undefined;
          this.pump();
        },
        backoffDelay(this.failureStreak, this.options.retry),
      ).unref();
    }
  }

  private split(batch: Batch<T>, parts: number): void {
    if (this.stopped || batch.items.length < 2) {
      this.settle(batch, 0, batch.items.length);
      return;
    }
    const size = Math.ceil(batch.items.length / parts);
    const pieces: Batch<T>[] = [];
    for (let i = 0; i < batch.items.length; i += size)
      pieces.push({ id: batch.id, items: batch.items.slice(i, i + size) });
    this.pending.set(batch.id, (this.pending.get(batch.id) ?? 1) + pieces.length - 1);
    this.queue.unshift(...pieces);
  }

  private dropOldest(): void {
    let excess = this.counters.buffered - this.options.maxBuffered;
    while (excess > 0) {
      const oldest = this.queue[0];
      if (!oldest) {
        // Only the batch being filled is left: drop from its head.
        const removed = this.current.splice(0, Math.min(excess, this.current.length)).length;
        this.counters.buffered -= removed;
        this.counters.dropped += removed;
        return;
      }
      if (oldest.items.length <= excess) {
        this.queue.shift();
        excess -= oldest.items.length;
        this.settle(oldest, 0, oldest.items.length);
      } else {
        oldest.items.splice(0, excess);
        this.counters.buffered -= excess;
        this.counters.dropped += excess;
        excess = 0;
      }
    }
  }

  private settle(batch: Batch<T>, written: number, dropped: number): void {
    this.counters.written += written;
    this.counters.dropped += dropped;
    this.counters.buffered -= written + dropped;
    const left = (this.pending.get(batch.id) ?? 1) - 1;
    if (left > 0) this.pending.set(batch.id, left);
    else this.pending.delete(batch.id);
    for (let i = this.waiters.length - 1; i >= 0; i -= 1) {
      const waiter = this.waiters[i];
      if (waiter && this.settledUpTo(waiter.id)) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private settledUpTo(id: number): boolean {
    const { value: oldest } = this.pending.keys().next();
    return oldest === undefined || oldest > id;
  }
}

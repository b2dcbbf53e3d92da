import type { InfluxHttp, WriteResponse } from './influx-http.js';
import type { StoreStats } from './types.js';
import { errorMessage, type StoreLogger } from './types-logger.js';

export interface LineWriterOptions {
  /** Lines per POST. */
  batchSize: number;
  /** A partly filled batch is sent after this many ms. */
  flushInterval: number;
  /** Lines held (queued and in flight); beyond this the oldest queued lines are dropped and counted. */
  maxBufferLines: number;
  /** POSTs in flight at once. */
  maxConcurrent?: number;
  /** First retry delay after a failed POST; doubles up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

// A piece of a flush generation: bisected batches share their parent's id.
interface Batch {
  id: number;
  lines: string[];
}

const DROPPED_PATTERN = /dropped=(\d+)/;
const UNPARSABLE_PATTERN = /unable to parse '/;
const UNPARSABLE_ALL = /unable to parse '/g;

/**
 * Buffers line-protocol lines and POSTs them to `/write` in batches, at most `maxConcurrent` at a
 * time. Network errors, 5xx and other non-400 answers are retried with exponential backoff while
 * lines keep buffering (an outage ends when the database answers again); a 400/422 partial write
 * counts the rejected lines as dropped; a batch rejected whole is bisected to isolate the bad line.
 */
export class LineWriter {
  private current: string[] = [];
  private readonly queue: Batch[] = [];
  private readonly inflight = new Set<Batch>();
  // Unsettled pieces per batch id, in id order (Map keeps insertion order).
  private readonly pending = new Map<number, number>();
  private readonly waiters: { id: number; resolve: () => void }[] = [];
  private nextId = 1;
  private sealTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = 0;
  private failureStreak = 0;
  private stopped = false;
  private readonly maxConcurrent: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  readonly counters: StoreStats = { written: 0, buffered: 0, dropped: 0, failedWrites: 0 };

  constructor(
    private readonly http: InfluxHttp,
    private readonly options: LineWriterOptions,
    private readonly logger: StoreLogger,
  ) {
    this.maxConcurrent = options.maxConcurrent ?? 2;
    this.retryBaseMs = options.retryBaseMs ?? 200;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
  }

  /** Queues one line; never throws, never waits. */
  add(line: string): void {
    this.current.push(line);
    this.counters.buffered += 1;
    if (this.current.length >= this.options.batchSize) this.seal();
    else this.sealTimer ??= setTimeout(() => this.seal(), this.options.flushInterval).unref();
    if (this.counters.buffered > this.options.maxBufferLines) this.dropOldest();
  }

  /** Counts observations that produced no line (nothing to write) as dropped. */
  reject(count: number): void {
    this.counters.dropped += count;
  }

  /** Resolves when every line added before the call is written or counted as dropped. */
  flush(): Promise<void> {
    this.seal();
    const id = this.nextId - 1;
    if (this.settledUpTo(id)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ id, resolve }));
  }

  /** Drops everything still queued (counted) and stops the timers; in-flight POSTs finish on their own. */
  abandon(): void {
    this.stopped = true;
    this.seal();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const batch of this.queue.splice(0)) this.settle(batch, 0, batch.lines.length);
  }

  private seal(): void {
    clearTimeout(this.sealTimer);
    this.sealTimer = undefined;
    if (this.current.length === 0) return;
    const batch = { id: this.nextId++, lines: this.current };
    this.current = [];
    this.pending.set(batch.id, 1);
    this.queue.push(batch);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inflight.size < this.maxConcurrent && this.retryTimer === undefined) {
      const batch = this.queue.shift();
      if (!batch) return;
      this.inflight.add(batch);
      void this.send(batch);
    }
  }

  private async send(batch: Batch): Promise<void> {
    let response: WriteResponse | undefined;
    let failure: string | undefined;
    try {
      response = await this.http.write(batch.lines.join('\n'));
    } catch (err) {
      failure = errorMessage(err);
    }
    this.inflight.delete(batch);
    try {
      if (response && response.status >= 200 && response.status < 300) this.succeeded(batch);
      else if (response && (response.status === 400 || response.status === 422)) this.rejected(batch, response);
      else if (response?.status === 413 && batch.lines.length > 1) this.bisect(batch);
      else
        this.failed(batch, failure ?? `InfluxDB /write answered ${response?.status}: ${response?.body.slice(0, 300)}`);
    } catch (err) {
      // Bookkeeping must never leave a batch unsettled, or flush() would hang.
      this.logger.error('influx writer bookkeeping failed', { error: errorMessage(err) });
    }
    this.pump();
  }

  private succeeded(batch: Batch): void {
    if (this.failureStreak > 0) {
      this.logger.info('InfluxDB writes recovered', { failedAttempts: this.failureStreak });
    }
    this.failureStreak = 0;
    this.retryDelay = 0;
    this.settle(batch, batch.lines.length, 0);
  }

  private failed(batch: Batch, message: string): void {
    this.counters.failedWrites += 1;
    this.counters.lastError = message;
    if (this.failureStreak === 0) {
      this.logger.warn('InfluxDB write failed; buffering and retrying', { error: message });
    }
    this.failureStreak += 1;
    if (this.stopped) {
      this.settle(batch, 0, batch.lines.length);
      return;
    }
    this.queue.unshift(batch);
    this.retryDelay = Math.min(this.retryMaxMs, this.retryDelay === 0 ? this.retryBaseMs : this.retryDelay * 2);
    const delay = this.retryDelay * (0.75 + Math.random() * 0.5);
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, delay).unref();
    }
  }

  private rejected(batch: Batch, response: WriteResponse): void {
    const n = batch.lines.length;
    const message = parseError(response.body);
    this.counters.failedWrites += 1;
    this.counters.lastError = message;
    const partial = /partial write/i.test(message);
    if (!partial && n > 1 && !UNPARSABLE_PATTERN.test(message)) {
      // 1.x rejects a whole batch for a field type conflict inside it: split to keep the good lines.
      this.bisect(batch);
      return;
    }
    const lost = partial ? Math.min(n, countDropped(message, response.body)) : n;
    this.logger.warn('InfluxDB rejected points', { dropped: lost, error: message.slice(0, 500) });
    this.settle(batch, n - lost, lost);
  }

  private bisect(batch: Batch): void {
    if (this.stopped) {
      this.settle(batch, 0, batch.lines.length);
      return;
    }
    const half = Math.ceil(batch.lines.length / 2);
    const first = { id: batch.id, lines: batch.lines.slice(0, half) };
    const second = { id: batch.id, lines: batch.lines.slice(half) };
    this.pending.set(batch.id, (this.pending.get(batch.id) ?? 1) + 1);
    this.queue.unshift(first, second);
  }

  private dropOldest(): void {
    let excess = this.counters.buffered - this.options.maxBufferLines;
    while (excess > 0) {
      const oldest = this.queue[0];
      if (!oldest) {
        // Only the batch being filled is left: drop from its head.
        const removed = this.current.splice(0, Math.min(excess, this.current.length)).length;
        this.counters.buffered -= removed;
        this.counters.dropped += removed;
        return;
      }
      if (oldest.lines.length <= excess) {
        this.queue.shift();
        excess -= oldest.lines.length;
        this.settle(oldest, 0, oldest.lines.length);
      } else {
        oldest.lines.splice(0, excess);
        this.counters.buffered -= excess;
        this.counters.dropped += excess;
        excess = 0;
      }
    }
  }

  private settle(batch: Batch, written: number, dropped: number): void {
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

function parseError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const message = parsed.error ?? parsed.message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: use the text as it is.
  }
  return body;
}

// 1.x reports `dropped=N` and lists unparsable lines separately; 3.x lists rejected lines in `data`.
function countDropped(message: string, body: string): number {
  let dropped = Number(DROPPED_PATTERN.exec(message)?.[1] ?? 0);
  dropped += message.match(UNPARSABLE_ALL)?.length ?? 0;
  if (dropped === 0) {
    try {
      const parsed = JSON.parse(body) as { data?: unknown };
      if (Array.isArray(parsed.data)) dropped = parsed.data.length;
    } catch {
      // No structured detail.
    }
  }
  return dropped;
}

import type { InfluxHttp, WriteResponse } from './influx-http.js';
import type { StoreStats } from './types.js';
import { errorMessage, type StoreLogger } from './types-logger.js';
import { DEFAULT_RETRY, WriteQueue, type SendOutcome } from './write-queue.js';

export interface LineWriterOptions {
  /** Lines per POST. */
  batchSize: number;
  /** A partly filled batch is sent after this many ms. */
  flushInterval: number;
  /** ...or once no line has come for this many ms (WriteQueueOptions.idleFlush). */
  idleFlush?: number;
  /** Lines held (queued and in flight); beyond this the oldest queued lines are dropped and counted. */
  maxBufferLines: number;
  /** POSTs in flight at once. */
  maxConcurrent?: number;
  /** First retry delay after a failed POST; doubles up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

const DROPPED_PATTERN = /dropped=(\d+)/;
const UNPARSABLE_PATTERN = /unable to parse '/;
const UNPARSABLE_ALL = /unable to parse '/g;

/**
 * Line-protocol lines POSTed to `/write` through the stores' shared WriteQueue (batching, retry,
 * concurrency: server/store/write-queue.ts). What is InfluxDB's own is how an answer is read:
 * network errors, 5xx and other non-400 answers are retried with backoff while lines keep
 * buffering (an outage ends when the database answers again); a 400/422 partial write counts the
 * rejected lines as dropped; a batch rejected whole (or too large, 413) is bisected to isolate the
 * bad line.
 */
export class LineWriter {
  private readonly queue: WriteQueue<string>;

  constructor(
    private readonly http: InfluxHttp,
    options: LineWriterOptions,
    logger: StoreLogger,
  ) {
    this.queue = new WriteQueue<string>(
      (lines) => this.post(lines),
      {
        batchSize: options.batchSize,
        flushInterval: options.flushInterval,
        ...(options.idleFlush === undefined ? {} : { idleFlush: options.idleFlush }),
        maxBuffered: options.maxBufferLines,
        maxInFlight: options.maxConcurrent ?? 2,
        retry: {
          baseMs: options.retryBaseMs ?? DEFAULT_RETRY.baseMs,
          maxMs: options.retryMaxMs ?? DEFAULT_RETRY.maxMs,
        },
      },
      logger,
      'InfluxDB',
    );
  }

  /** Write counters, kept by the queue. */
  get counters(): StoreStats {
    return this.queue.counters;
  }

  /** Queues one line; never throws, never waits. */
  add(line: string): void {
    this.queue.add(flatten(line));
  }

  /** Counts observations that produced no line (nothing to write) as dropped. */
  reject(count: number): void {
    this.queue.reject(count);
  }

  /** Resolves when every line added before the call is written or counted as dropped. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Drops everything still queued (counted) and stops the timers; in-flight POSTs finish on their own. */
  abandon(): void {
    this.queue.abandon();
  }

  /** Resolves once no POST is in flight. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async post(lines: string[]): Promise<SendOutcome> {
    let response: WriteResponse;
    try {
      response = await this.http.write(lines.join('\n'));
    } catch (err) {
      return { kind: 'retry', error: errorMessage(err) };
    }
    const n = lines.length;
    if (response.status >= 200 && response.status < 300) return { kind: 'written' };
    if (response.status === 413 && n > 1) return { kind: 'split', parts: 2 };
    if (response.status !== 400 && response.status !== 422) {
      return { kind: 'retry', error: `InfluxDB /write answered ${response.status}: ${response.body.slice(0, 300)}` };
    }
    const message = parseError(response.body);
    const partial = /partial write/i.test(message);
    // 1.x rejects a whole batch for a field type conflict inside it: split to keep the good lines.
    if (!partial && n > 1 && !UNPARSABLE_PATTERN.test(message)) return { kind: 'split', parts: 2, error: message };
    return {
      kind: 'partial',
      dropped: partial ? Math.min(n, countDropped(message, response.body)) : n,
      error: message,
    };
  }
}

/**
 * A line built by concatenation is a tree of string pieces in V8 until something reads it whole.
 * Lines wait in the queue while earlier batches are out, long enough to survive young-generation
 * collections: each piece would be copied and traced on the way to the old generation (garbage
 * collection was half of the writer's profile). Converting to a number makes V8 flatten the string
 * into one object once, here, instead of at `join` after the copies; the number is not used.
 */
function flatten(line: string): string {
  _flattened = (line as unknown as number) | 0;
  return line;
}
/** Keeps the conversion observable, so that an optimising compiler does not drop it. */
let _flattened = 0;

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

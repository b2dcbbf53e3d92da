import type { Alert } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';

export interface AlertWriterOptions {
  /** Stores a batch of alert versions in one write; rejects when none of it can be counted as saved. */
  saveAlerts(alerts: readonly Alert[]): Promise<void>;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** How long changes gather before a write (several changes of one alert become one save). */
  delayMs?: number;
  /** Most alerts per `saveAlerts` call; a larger batch is saved in chunks, one after another. */
  maxBatch?: number;
  /** First retry delay after a failure; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface AlertWriter {
  /** Queues the alert's latest version; returns at once. */
  enqueue(alert: Alert): void;
  /** Writes what is queued now (one attempt); resolves when done, even if the save failed. */
  flush(): Promise<void>;
  pending(): number;
  stats(): { saved: number; failed: number };
  /** Stops the timers (what is still queued stays queued). */
  close(): void;
}

/**
 * Persists alerts off the engine's path: changes are coalesced per alert id (latest wins) and saved
 * in batches, one `saveAlerts` call per batch (per `maxBatch` alerts). A failed batch is logged and
 * retried whole with backoff, except alerts of which a newer version was queued meanwhile.
 */
export function createAlertWriter(options: AlertWriterOptions): AlertWriter {
  const delayMs = options.delayMs ?? 100;
  const retryMs = options.retryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const maxBatch = options.maxBatch ?? 5000;
  let queue = new Map<string, Alert>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let backoff = 0;
  let closed = false;
  const counts = { saved: 0, failed: 0 };

  const schedule = (ms: number) => {
    if (closed || timer !== undefined || running !== undefined || queue.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, ms);
    timer.unref();
  };

  // Puts back what was not saved, unless a newer version was queued while the save ran.
  const requeue = (alerts: readonly Alert[]) => {
    for (const alert of alerts) if (!queue.has(alert.id)) queue.set(alert.id, alert);
  };

  const writeBatch = async () => {
    const alerts = [...queue.values()];
    queue = new Map();
    for (let start = 0; start < alerts.length; start += maxBatch) {
      const chunk = alerts.slice(start, start + maxBatch);
      try {
        await options.saveAlerts(chunk);
        counts.saved += chunk.length;
      } catch (err) {
        counts.failed += chunk.length;
        // The store is failing: the chunks not tried yet wait for the retry too.
        requeue(alerts.slice(start));
        backoff = backoff === 0 ? retryMs : Math.min(backoff * 2, maxRetryMs);
        options.logger.warn('saving alerts failed; retrying', {
          failures: chunk.length,
          retryInMs: backoff,
          error: err instanceof Error ? err.message : String(err),
        });
        return;
      }
    }
    backoff = 0;
  };

  const run = (): Promise<void> => {
    running ??= writeBatch().finally(() => {
      running = undefined;
      schedule(backoff > 0 ? backoff : delayMs);
    });
    return running;
  };

  return {
    enqueue(alert) {
      queue.set(alert.id, alert);
      schedule(backoff > 0 ? backoff : delayMs);
    },
    async flush() {
      if (running !== undefined) await running;
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      if (queue.size > 0) await run();
    },
    pending: () => queue.size,
    stats: () => ({ ...counts }),
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

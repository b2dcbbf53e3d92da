import type { Alert } from '../../contract/index.js';
import type { AlertsLogger } from './logger.js';

export interface AlertWriterOptions {
  save(alert: Alert): Promise<void>;
  logger: AlertsLogger;
  /** How long changes gather before a write (several changes of one alert become one save). */
  delayMs?: number;
  /** First retry delay after a failure; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface AlertWriter {
  /** Queues the alert's latest version; returns at once. */
  enqueue(alert: Alert): void;
  /** Writes what is queued now (one attempt); resolves when done, even if some saves failed. */
  flush(): Promise<void>;
  pending(): number;
  stats(): { saved: number; failed: number };
  /** Stops the timers (what is still queued stays queued). */
  close(): void;
}

/**
 * Persists alerts off the engine's path: changes are coalesced per alert id (latest wins) and saved
 * in batches; a failed save is logged and retried with backoff unless a newer version is queued.
 */
export function createAlertWriter(options: AlertWriterOptions): AlertWriter {
  const delayMs = options.delayMs ?? 100;
  const retryMs = options.retryMs ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
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

  const writeBatch = async () => {
    const batch = queue;
    queue = new Map();
    const alerts = [...batch.values()];
    const results = await Promise.allSettled(alerts.map((alert) => options.save(alert)));
    let failures = 0;
    let lastError = '';
    results.forEach((result, i) => {
      const alert = alerts[i]!;
      if (result.status === 'fulfilled') {
        counts.saved++;
        return;
      }
      failures++;
      counts.failed++;
      lastError = result.reason instanceof Error ? result.reason.message : String(result.reason);
      if (!queue.has(alert.id)) queue.set(alert.id, alert);
    });
    if (failures > 0) {
      backoff = backoff === 0 ? retryMs : Math.min(backoff * 2, maxRetryMs);
      options.logger.warn('saving alerts failed; retrying', { failures, retryInMs: backoff, error: lastError });
    } else backoff = 0;
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

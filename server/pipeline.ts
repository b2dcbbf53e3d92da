import type { Observation } from '../contract/index.js';
import type { Logger } from '../config/logger.js';
import type { ObservationSink } from '../ingest/sink.js';
import type { LiveState } from './live/live-state.js';
import type { TelemetryStore } from './store/types.js';
import type { WriteAheadLog } from './store/write-ahead-log.js';

/** Anything that watches the stream after the store and live state (the alert engine). */
export interface ObservationObserver {
  observe(batch: readonly Observation[]): void;
}

export interface PipelineOptions {
  store: TelemetryStore;
  live: LiveState;
  observers?: ObservationObserver[];
  /** Store buffer size at which transports are told to slow down. */
  highWater: number;
  /** Store buffer size at which they may go on. */
  lowWater: number;
  logger: Logger;
  /** Where accepted observations become durable before they are acknowledged; absent: acknowledged on acceptance. */
  wal?: WriteAheadLog;
}

export interface Pipeline extends ObservationSink {
  addObserver(observer: ObservationObserver): void;
  /** Delivers anything still pending synchronously (shutdown). */
  flushPending(): void;
}

/**
 * Fans observations out to the store, the live state and the observers. Transports hand over
 * small batches per message; they are gathered and delivered once per event-loop turn, so the
 * downstream cost is per batch, not per message.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { store, live, logger, wal } = options;
  const observers = [...(options.observers ?? [])];
  let pending: Observation[] = [];
  let scheduled = false;
  let saturated = false;
  let waiters: (() => void)[] = [];
  let pollTimer: NodeJS.Timeout | undefined;

  const checkPressure = () => {
    const buffered = store.stats().buffered;
    if (!saturated && buffered >= options.highWater) {
      saturated = true;
      logger.warn('store is behind; slowing ingest down', { buffered });
      pollTimer ??= setInterval(checkPressure, 20);
    } else if (saturated && buffered <= options.lowWater) {
      saturated = false;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      const release = waiters;
      waiters = [];
      for (const resolve of release) resolve();
    }
  };

  const deliver = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // Written to the log before the store sees them, so a segment never holds what the store was not given yet.
    // Only written: durability is for acknowledgements, which wait for their own sync (commitAsync).
    wal?.write();
    store.write(batch);
    wal?.afterDeliver();
    live.apply(batch);
    for (const observer of observers) {
      try {
        observer.observe(batch);
      } catch (err) {
        logger.error('observer failed on a batch', { error: (err as Error).message, stack: (err as Error).stack });
      }
    }
    checkPressure();
  };

  return {
    accept(batch) {
      wal?.append(batch);
      for (const obs of batch) pending.push(obs);
      if (!scheduled) {
        scheduled = true;
        setImmediate(deliver);
      }
    },
    commit: () => wal?.commit(),
    commitAsync: (done) => (wal ? wal.sync(done) : done()),
    saturated: () => saturated,
    drained: () => (saturated ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve()),
    addObserver: (observer) => observers.push(observer),
    flushPending: () => {
      deliver();
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = undefined;
      saturated = false;
      for (const resolve of waiters.splice(0)) resolve();
    },
  };
}

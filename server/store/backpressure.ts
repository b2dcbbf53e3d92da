import type { TelemetryStore } from './types.js';

/**
 * The pipeline's high and low water marks, from the buffer of the store it feeds (issue 14): ingest
 * is slowed at half the store's cap, long before the store would drop, and let go at a quarter.
 * At least 10 000 so small batches never flap it, and always below the cap.
 */
export function backpressureMarks(store: Pick<TelemetryStore, 'maxBuffered'>): { highWater: number; lowWater: number } {
  const highWater = Math.min(Math.max(10_000, Math.floor(store.maxBuffered * 0.5)), Math.max(1, store.maxBuffered - 1));
  return { highWater, lowWater: Math.floor(highWater / 2) };
}

/*
 * Retention with downsampling, shared by both stores (docs/ARCHITECTURE.md "Telemetry store").
 *
 * Raw observations are kept for `rawMs`. Older data is kept as one row per entity per minute
 * (DOWNSAMPLE_BUCKET_MS), stamped with the minute's start, for `downsampledMs`:
 *
 *   numeric fields   the mean of the minute's values
 *   other fields     the last value of the minute (strings, booleans)
 *   position, tags   the last of the minute
 *
 * Reads (latest at t, history, scan for replay frames and export) cover a window's part older than
 * `now - rawMs` from the downsampled rows and the rest from raw rows, so replay and history keep
 * answering over the whole downsampled retention, at one-minute resolution in the old part.
 */

/** Width of a downsampled row (ms). */
export const DOWNSAMPLE_BUCKET_MS = 60_000;

/** The retention settings a store is created with (config `store.retention`, durations in ms). */
export interface RetentionOptions {
  /** Off: everything stays raw; nothing is downsampled or deleted. */
  enabled: boolean;
  rawMs: number;
  downsampledMs: number;
  /** How often downsampling runs (InfluxDB continuous query, embedded compaction pass). */
  intervalMs: number;
}

/** The defaults of config/schema.ts, for stores created without a config (tests, bench). */
export const DEFAULT_RETENTION: RetentionOptions = {
  enabled: true,
  rawMs: 30 * 86_400_000,
  downsampledMs: 400 * 86_400_000,
  intervalMs: 5 * 60_000,
};

/** Where raw data ends at `now`: reads of older moments go to the downsampled rows (undefined: all raw). */
export function rawBoundary(retention: RetentionOptions | undefined, now: number): number | undefined {
  return retention?.enabled ? now - retention.rawMs : undefined;
}

/** The start of the minute `ts` falls in. */
export function bucketStart(ts: number): number {
  return Math.floor(ts / DOWNSAMPLE_BUCKET_MS) * DOWNSAMPLE_BUCKET_MS;
}

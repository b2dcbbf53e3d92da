import type { ExportFormatName } from '../../../contract/export.js';

/** What a download has brought so far. */
export interface ExportProgress {
  bytes: number;
  /** Records received, or null where the format cannot be counted while streaming (Parquet). */
  rows: number | null;
  /**
   * Estimated share done (0–1), or null when unknown. The server writes oldest first, so the time of
   * the latest record over the window is a fair estimate; it is only an estimate (entities differ).
   */
  fraction: number | null;
  /** Time (ms) of the latest record received, or null. */
  latest: number | null;
}

/** Reads a streamed export as it arrives: counts bytes and records and estimates how far through the window it is. */
export interface ExportMeter {
  push(chunk: Uint8Array): void;
  progress(): ExportProgress;
}

/** Text kept from one chunk to the next, so a record split between chunks is still read whole. */
const GEOJSON_TAIL = 200;
const FEATURE = '"type":"Feature",';
const GEOJSON_TIME = /"time":"(\d{4}-\d{2}-\d{2}T[^"]+)"/g;

/** A meter for one export of `format` over [from, to]. */
export function createExportMeter(format: ExportFormatName, from: number, to: number): ExportMeter {
  const decoder = new TextDecoder();
  let bytes = 0;
  let rows = 0;
  let latest: number | null = null;
  let rest = '';
  let headerSeen = false;

  const seen = (ts: number) => {
    if (Number.isFinite(ts) && (latest === null || ts > latest)) latest = ts;
  };

  const readLines = (text: string, timeOf: (line: string) => number) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      if (format === 'csv' && !headerSeen) {
        headerSeen = true;
        continue;
      }
      rows++;
      seen(timeOf(line));
    }
  };

  const readGeoJson = (text: string) => {
    const window = rest + text;
    // Count features that start after the kept tail, so none is counted twice.
    let index = window.indexOf(FEATURE, Math.max(0, rest.length - FEATURE.length + 1));
    while (index !== -1) {
      rows++;
      index = window.indexOf(FEATURE, index + FEATURE.length);
    }
    for (const match of window.matchAll(GEOJSON_TIME)) if (match[1]) seen(Date.parse(match[1]));
    rest = window.slice(-GEOJSON_TAIL);
  };

  return {
    push(chunk) {
      bytes += chunk.byteLength;
      if (format === 'parquet') return;
      const text = decoder.decode(chunk, { stream: true });
      if (format === 'csv') readLines(text, (line) => Date.parse(line.slice(0, line.indexOf(','))));
      else if (format === 'ndjson') readLines(text, ndjsonTime);
      else readGeoJson(text);
    },
    progress() {
      const span = to - from;
      const fraction = latest === null || !(span > 0) ? null : Math.min(1, Math.max(0, (latest - from) / span));
      return { bytes, rows: format === 'parquet' ? null : rows, fraction, latest };
    },
  };
}

function ndjsonTime(line: string): number {
  try {
    const value = (JSON.parse(line) as { ts?: unknown }).ts;
    return typeof value === 'number' ? value : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** "12,3 MB": bytes in the largest unit that keeps the number readable. */
export function formatBytes(bytes: number, format: (value: number, digits: number) => string): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${format(value, unit === 0 ? 0 : 1)} ${units[unit] ?? 'B'}`;
}

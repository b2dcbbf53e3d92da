import type { Observation } from '../../contract/index.js';
import type { FieldKind } from '../../contract/legal.js';

/** The kind of a field column, from the store's catalogue for the window (mixed kinds merged by `mergeFieldKinds`). */
export type ColumnKind = FieldKind;

/** One field column of a tabular export. */
export interface FieldColumn {
  /** The observation field it carries. */
  field: string;
  /** Its name in the file (`fields.<name>` when the field's name is a fixed column's, e.g. `id`). */
  name: string;
  kind: ColumnKind;
}

/** Where a format writes its bytes; `write` resolves when the consumer can take more (backpressure). */
export interface ByteSink {
  write(chunk: string | Uint8Array): Promise<void>;
}

/** An open file being written: rows in chunks, oldest first, then `end` once. */
export interface ExportWriter {
  /** Writes the rows it can represent and resolves with how many that were. */
  write(rows: readonly Observation[]): Promise<number>;
  /** Writes whatever closes the file (a footer, a closing bracket). */
  end(): Promise<void>;
}

/** One file format of `GET /api/v1/export`; chosen by name in `index.ts`. */
export interface ExportFormat {
  extension: string;
  contentType: string;
  /**
   * What must be known before the first byte: nothing (`none`), the field columns (`names`), or the
   * columns with their value kinds (`kinds`, for a typed schema).
   */
  columns: 'none' | 'names' | 'kinds';
  open(sink: ByteSink, columns: readonly FieldColumn[]): ExportWriter;
}

/** Fixed leading columns of the tabular formats. */
export const FIXED_COLUMNS = ['time', 'domain', 'id', 'lat', 'lon'] as const;

/** RFC 3339 UTC time of an observation (ms since epoch). */
export function rfc3339(ts: number): string {
  return new Date(ts).toISOString();
}

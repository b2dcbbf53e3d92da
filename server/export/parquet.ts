import { ByteWriter, ParquetWriter, type ColumnSource, type SchemaElement, type Writer } from 'hyparquet-writer';
import type { Observation } from '../../contract/index.js';
import type { ByteSink, ColumnKind, ExportFormat, ExportWriter, FieldColumn } from './format.js';

/** Rows per Parquet row group: what the export holds in memory at most, as columns. */
export const PARQUET_ROW_GROUP_ROWS = 10_000;

const KIND_SCHEMA: Record<ColumnKind, Omit<SchemaElement, 'name'>> = {
  number: { type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  integer: { type: 'INT64', repetition_type: 'OPTIONAL' },
  boolean: { type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
};

function schemaOf(columns: readonly FieldColumn[]): SchemaElement[] {
  return [
    { name: 'root', num_children: 5 + columns.length },
    {
      name: 'time',
      type: 'INT64',
      repetition_type: 'REQUIRED',
      converted_type: 'TIMESTAMP_MILLIS',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
    },
    { name: 'domain', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'lat', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    { name: 'lon', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ...columns.map((c) => ({ name: c.name, ...KIND_SCHEMA[c.kind] })),
  ];
}

/**
 * A ByteWriter that hands each finished row group to the sink and starts its buffer over:
 * hyparquet-writer calls `flush` after every row group and awaits the promise it returns.
 */
function sinkWriter(sink: ByteSink): Writer {
  const bytes = new ByteWriter(1 << 20);
  const flush = (): Promise<void> => {
    // Copy: the buffer is reused for the next row group while the socket may still hold this chunk.
    const chunk = new Uint8Array(bytes.buffer.slice(0, bytes.index));
    bytes.index = 0;
    return sink.write(chunk);
  };
  return Object.assign(bytes, { flush, finish: flush });
}

function cell(obs: Observation, column: FieldColumn): number | bigint | boolean | string | null {
  const value = obs.fields[column.field];
  if (value === undefined) return null;
  switch (column.kind) {
    case 'string':
      return typeof value === 'string' ? value : (obs.integers?.[column.field] ?? String(value));
    case 'integer': {
      // Exact: the sender's integer text where there is one (int64 extremes are not doubles).
      const exact = obs.integers?.[column.field];
      if (exact !== undefined) return BigInt(exact);
      return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : null;
    }
    default:
      return typeof value === column.kind ? value : null;
  }
}

/** Apache Parquet (SNAPPY), written one row group at a time; field columns typed by the kinds seen. */
export const PARQUET_FORMAT: ExportFormat = {
  extension: 'parquet',
  contentType: 'application/vnd.apache.parquet',
  columns: 'kinds',
  open(sink: ByteSink, columns: readonly FieldColumn[]): ExportWriter {
    const writer = new ParquetWriter({
      writer: sinkWriter(sink),
      schema: schemaOf(columns),
      createdBy: 'city-ioc-console export',
    });
    let pending: Observation[] = [];
    const writeGroup = async () => {
      if (pending.length === 0) return;
      const rows = pending;
      pending = [];
      const columnData: ColumnSource[] = [
        { name: 'time', data: rows.map((o) => o.ts) },
        { name: 'domain', data: rows.map((o) => o.domain) },
        { name: 'id', data: rows.map((o) => o.id) },
        { name: 'lat', data: rows.map((o) => o.lat ?? null) },
        { name: 'lon', data: rows.map((o) => o.lon ?? null) },
        ...columns.map((c) => ({ name: c.name, data: rows.map((o) => cell(o, c)) })),
      ];
      await writer.write({ columnData, rowGroupSize: rows.length });
    };
    return {
      async write(rows: readonly Observation[]) {
        for (const obs of rows) {
          pending.push(obs);
          if (pending.length >= PARQUET_ROW_GROUP_ROWS) await writeGroup();
        }
        return rows.length;
      },
      async end() {
        await writeGroup();
        await writer.finish();
      },
    };
  },
};

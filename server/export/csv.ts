import { stringify, type Options } from 'csv-stringify/sync';
import type { Observation } from '../../contract/index.js';
import {
  FIXED_COLUMNS,
  rfc3339,
  type ByteSink,
  type ExportFormat,
  type ExportWriter,
  type FieldColumn,
} from './format.js';

// RFC 4180: CRLF line ends; csv-stringify quotes a value holding a comma, quote or line break and doubles quotes.
// Its default writes booleans as 1 / empty; an export keeps them readable as true / false.
const CSV_OPTIONS: Options = { record_delimiter: '\r\n', cast: { boolean: (value) => String(value) } };

/** CSV with a header row: time (RFC 3339 UTC), domain, id, lat, lon, then one column per field. */
export const CSV_FORMAT: ExportFormat = {
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8; header=present',
  columns: 'names',
  open(sink: ByteSink, columns: readonly FieldColumn[]): ExportWriter {
    let headerWritten = false;
    const header = async () => {
      if (headerWritten) return;
      headerWritten = true;
      await sink.write(stringify([[...FIXED_COLUMNS, ...columns.map((c) => c.name)]], CSV_OPTIONS));
    };
    return {
      async write(rows: readonly Observation[]) {
        await header();
        const records = rows.map((obs) => [
          rfc3339(obs.ts),
          obs.domain,
          obs.id,
          obs.lat,
          obs.lon,
          // An integer field's exact text where the sender gave one: int64 extremes are not doubles.
          ...columns.map((c) => obs.integers?.[c.field] ?? obs.fields[c.field]),
        ]);
        await sink.write(stringify(records, CSV_OPTIONS));
        return rows.length;
      },
      end: header,
    };
  },
};

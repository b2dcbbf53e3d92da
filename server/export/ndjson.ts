import type { Observation } from '../../contract/index.js';
import type { ByteSink, ExportFormat, ExportWriter } from './format.js';

/** NDJSON: one wire Observation per line (`ts` in ms since epoch). */
export const NDJSON_FORMAT: ExportFormat = {
  extension: 'ndjson',
  contentType: 'application/x-ndjson; charset=utf-8',
  columns: 'none',
  open(sink: ByteSink): ExportWriter {
    return {
      async write(rows: readonly Observation[]) {
        let text = '';
        for (const obs of rows) text += JSON.stringify(obs) + '\n';
        await sink.write(text);
        return rows.length;
      },
      end: () => Promise.resolve(),
    };
  },
};

import type { ExportFormatName } from '../../contract/index.js';
import { CSV_FORMAT } from './csv.js';
import type { ExportFormat } from './format.js';
import { GEOJSON_FORMAT } from './geojson.js';
import { NDJSON_FORMAT } from './ndjson.js';
import { PARQUET_FORMAT } from './parquet.js';

/** The one dispatcher: export format name → its writer. */
export const EXPORT_FORMAT_BY_NAME: Record<ExportFormatName, ExportFormat> = {
  csv: CSV_FORMAT,
  geojson: GEOJSON_FORMAT,
  ndjson: NDJSON_FORMAT,
  parquet: PARQUET_FORMAT,
};

import type { CameraInfo, WallScene } from './wall.js';
import { z } from 'zod';
import { BboxSchema } from './entity.js';
import { DomainSchema, EntityIdSchema } from './observation.js';
import { DurationSchema } from './duration.js';

/** Error codes every REST answer may carry as `{error: {code, message}}`. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'too_many_requests'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: { path: string; message: string }[] };
}

/** `POST /api/v1/ingest` answer (202 or 400). */
export interface IngestResult {
  accepted: number;
  /** The first MAX_LISTED_REJECTIONS refusals, by item index; `rejectedTotal` counts them all. */
  rejected: { index: number; error: string }[];
  /** Every refused item, when more were refused than `rejected` lists. */
  rejectedTotal?: number;
}

/** Refusals listed one by one in an ingest answer or an `ioc/rejected` report; the rest are counted. */
export const MAX_LISTED_REJECTIONS = 100;

/** The first MAX_LISTED_REJECTIONS refusals, plus the total when some were left out. */
export function listRejections<T>(rejected: readonly T[]): { rejected: T[]; rejectedTotal?: number } {
  return rejected.length > MAX_LISTED_REJECTIONS
    ? { rejected: rejected.slice(0, MAX_LISTED_REJECTIONS), rejectedTotal: rejected.length }
    : { rejected: [...rejected] };
}

/** Time in a query string: ms since epoch or RFC 3339. */
export const QueryTimeSchema = z.union([
  z.coerce.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

const bboxFromQuery = z
  .string()
  .transform((s) => s.split(',').map(Number))
  .pipe(BboxSchema);

export const EntitiesQuerySchema = z.strictObject({
  domain: DomainSchema.optional(),
  bbox: bboxFromQuery.optional(),
});
export type EntitiesQuery = z.infer<typeof EntitiesQuerySchema>;

export const HistoryParamsSchema = z.object({ domain: DomainSchema, id: EntityIdSchema });
export const HistoryQuerySchema = z.strictObject({
  from: QueryTimeSchema.optional(),
  to: QueryTimeSchema.optional(),
  fields: z
    .string()
    .transform((s) => s.split(',').filter((f) => f.length > 0))
    .optional(),
  every: DurationSchema.optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

/** One row of history: a timestamp and the fields at (or aggregated over the bucket starting at) it. */
export interface HistoryPoint {
  ts: number;
  fields: Record<string, number | boolean | string | null>;
  /**
   * Exact decimal text of the integer fields among `fields` (fields declared or stored as integers): a JSON
   * number cannot carry int64 values beyond ±9007199254740991 exactly. Raw points only; averages are floats.
   */
  integers?: Record<string, string>;
}

export interface HistoryResponse {
  domain: string;
  id: string;
  from: number;
  to: number;
  every?: number;
  points: HistoryPoint[];
}

export interface HealthResponse {
  status: 'ok' | 'unavailable';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** A city zone or district drawn on the map (from config). */
export interface ZoneInfo {
  id: string;
  name: { vi: string; en: string };
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
}

/**
 * The basemap under the live layers. `offline` is the built-in one (country outlines, no tiles);
 * `pmtiles` is an archive the browser reads with HTTP range requests (vector or raster, found in its
 * header); `tiles` an XYZ raster template; `style` a complete maplibre style.
 */
export type Basemap =
  | { kind: 'offline' }
  | { kind: 'style'; url: string }
  | { kind: 'pmtiles'; url: string; attribution?: string }
  | { kind: 'tiles'; url: string; tileSize: 256 | 512; maxZoom: number; attribution?: string };

/** `GET /api/v1/console-config`: what the console needs to draw the map and label layers. */
export interface ConsoleConfig {
  map: {
    center: [number, number];
    zoom: number;
    /** Set when basemap.kind is 'style' (kept for consoles that predate `basemap`). */
    styleUrl?: string;
    /** Set when basemap.kind is 'pmtiles' (kept for consoles that predate `basemap`). */
    pmtilesUrl?: string;
    basemap: Basemap;
    zones: ZoneInfo[];
  };
  /** `layer: false`: not drawn on the map (absent means drawn). */
  domains: Record<string, { staleAfter: number; layer?: boolean; label?: { vi: string; en: string } }>;
  /** The wall's rotation (`wall.scenes`); absent on servers that predate the wall. */
  wall?: { scenes: WallScene[] };
  /** Cameras whose events the product takes (`cameras:`). */
  cameras?: CameraInfo[];
  /** Identifies the console build being served: a wall reloads itself when it changes. */
  build?: string;
  /**
   * How far back data goes (`store.retention`): raw for `raw` ms, then 1-minute rows up to
   * `downsampled` ms back; absent when everything is kept for ever.
   */
  retention?: { raw: number; downsampled: number };
}

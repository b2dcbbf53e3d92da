import { z } from 'zod';
import { BboxSchema } from './entity.js';
import { DomainSchema, ENTITY_ID_PATTERN, FIELD_NAME_PATTERN } from './observation.js';
import { QueryTimeSchema } from './api.js';

/** File formats of `GET /api/v1/export`. */
export const EXPORT_FORMATS = ['csv', 'geojson', 'ndjson', 'parquet'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

/** Longest window one export may cover, in ms (366 days: a leap year). */
export const MAX_EXPORT_WINDOW_MS = 366 * 24 * 3600 * 1000;

/** Field (and tag) names that hold personal data: licence plates never leave the product in an export. */
export const PERSONAL_DATA_FIELDS: readonly string[] = ['plate', 'licence_plate', 'license_plate'];

function commaList(pattern: RegExp, what: string) {
  return z
    .string()
    .transform((s) => s.split(',').filter((item) => item.length > 0))
    .pipe(
      z
        .array(z.string().regex(pattern, `each ${what} must match ${pattern.source}`))
        .min(1, `give at least one ${what}`),
    );
}

/** `GET /api/v1/export` query: format and window required, every filter optional. */
export const ExportQuerySchema = z
  .strictObject({
    format: z.enum(EXPORT_FORMATS),
    from: QueryTimeSchema,
    to: QueryTimeSchema,
    domain: DomainSchema.optional(),
    ids: commaList(ENTITY_ID_PATTERN, 'id').optional(),
    bbox: z
      .string()
      .transform((s) => s.split(',').map(Number))
      .pipe(BboxSchema)
      .optional(),
    fields: commaList(FIELD_NAME_PATTERN, 'field')
      .refine((fields) => !fields.some((f) => PERSONAL_DATA_FIELDS.includes(f)), {
        message: `${PERSONAL_DATA_FIELDS.join(', ')} are personal data and are never exported`,
      })
      .optional(),
  })
  .superRefine((q, ctx) => {
    if (q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
    else if (q.to - q.from > MAX_EXPORT_WINDOW_MS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window may cover at most 366 days' });
    }
  });
export type ExportQuery = z.infer<typeof ExportQuerySchema>;

import { z } from 'zod';
import { IntegersSchema } from './legal.js';

/** The four built-in domains (layers); more can be declared in config. */
export const BUILT_IN_DOMAINS = ['sensor', 'traffic', 'health', 'queue'] as const;

export const ENTITY_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
export const DOMAIN_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
export const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
export const TAG_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
export const MAX_FIELDS = 64;
export const MAX_TAGS = 32;
export const MAX_STRING_FIELD = 1024;
export const MAX_TAG_VALUE = 256;

export const DomainSchema = z
  .string()
  .regex(DOMAIN_PATTERN, 'domain must be lower-case letters, digits, "_" or "-" (max 32)');
export const EntityIdSchema = z
  .string()
  .regex(ENTITY_ID_PATTERN, 'id must match [A-Za-z0-9_.:-]{1,128}');

/** A field value: a finite number, a boolean or a short string. NaN and Infinity are rejected. */
export const FieldValueSchema = z.union([z.number(), z.boolean(), z.string().max(MAX_STRING_FIELD)], {
  error: `a field value must be a finite number (no NaN or Infinity), a boolean or a string of at most ${MAX_STRING_FIELD} characters`,
});
export type FieldValue = z.infer<typeof FieldValueSchema>;

export const FieldsSchema = z
  .record(z.string().regex(FIELD_NAME_PATTERN, 'field names are letters, digits, "_", "." or "-"'), FieldValueSchema)
  .refine((fields) => Object.keys(fields).length <= MAX_FIELDS, `at most ${MAX_FIELDS} fields`);
export type Fields = z.infer<typeof FieldsSchema>;

export const TagsSchema = z
  .record(z.string().regex(TAG_KEY_PATTERN, 'tag keys are letters, digits, "_", "." or "-"'), z.string().max(MAX_TAG_VALUE))
  .refine((tags) => Object.keys(tags).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);
export type Tags = z.infer<typeof TagsSchema>;

export const LatitudeSchema = z.number().min(-90).max(90);
export const LongitudeSchema = z.number().min(-180).max(180);

/** Wire timestamp: ms since epoch, or an RFC 3339 string. */
export const WireTimestampSchema = z.union([
  z.number().int('ts in ms must be an integer').nonnegative(),
  z.iso.datetime({ offset: true, message: 'ts must be ms since epoch or an RFC 3339 date-time' }),
]);

/** An observation as a device or system sends it (wire contract v1). `ts` is optional: server time is used. */
export const ObservationInputSchema = z.object({
  domain: DomainSchema,
  id: EntityIdSchema,
  ts: WireTimestampSchema.optional(),
  lat: LatitudeSchema.optional(),
  lon: LongitudeSchema.optional(),
  fields: FieldsSchema,
  tags: TagsSchema.optional(),
  /** Exact text of integer-typed fields (contract/legal.ts); absent for JSON, which has no integer type. */
  integers: IntegersSchema.optional(),
});
export type ObservationInput = z.infer<typeof ObservationInputSchema>;

/** A normalised observation: `ts` is always ms since epoch. */
export const ObservationSchema = ObservationInputSchema.extend({
  ts: z.number().int().nonnegative(),
});
export type Observation = z.infer<typeof ObservationSchema>;

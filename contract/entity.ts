import { z } from 'zod';
import {
  DomainSchema,
  EntityIdSchema,
  FieldsSchema,
  LatitudeSchema,
  LongitudeSchema,
  TagsSchema,
} from './observation.js';

export const EntityStatusSchema = z.enum(['ok', 'stale', 'alert']);
export type EntityStatus = z.infer<typeof EntityStatusSchema>;

/**
 * The latest known state of one entity. `fields` merges every field the entity has reported;
 * `lat`/`lon` are null until the entity has reported a position.
 */
export const EntitySchema = z.object({
  domain: DomainSchema,
  id: EntityIdSchema,
  ts: z.number(),
  lat: LatitudeSchema.nullable(),
  lon: LongitudeSchema.nullable(),
  fields: FieldsSchema,
  tags: TagsSchema.optional(),
  status: EntityStatusSchema,
});
export type Entity = z.infer<typeof EntitySchema>;

/** The key of an entity across domains: "<domain>/<id>". Used in `removes` and as a map key. */
export function entityKey(domain: string, id: string): string {
  return `${domain}/${id}`;
}

/** A "domain/id" key split at its first "/" (ids may not contain one, domains neither); undefined without one. */
export function splitKey(key: string): [domain: string, id: string] | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : [key.slice(0, slash), key.slice(slash + 1)];
}

/** [west, south, east, north] in degrees. */
export const BboxSchema = z
  .tuple([LongitudeSchema, LatitudeSchema, LongitudeSchema, LatitudeSchema])
  .refine(([w, s, e, n]) => w <= e && s <= n, 'bbox must be [west, south, east, north] with west <= east and south <= north');
export type Bbox = z.infer<typeof BboxSchema>;

export function inBbox(bbox: Bbox, lat: number | null, lon: number | null): boolean {
  if (lat === null || lon === null) return false;
  return lon >= bbox[0] && lat >= bbox[1] && lon <= bbox[2] && lat <= bbox[3];
}

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatIssues, GeoAreaSchema } from '../contract/index.js';

/** A zone as the config holds it: id, names in both languages, outline. */
export interface ZoneFeature {
  id: string;
  name: { vi: string; en: string };
  geometry: z.infer<typeof GeoAreaSchema>;
}

/** Most zones one file may hold: a province has a few hundred wards and communes. */
const MAX_ZONES = 5000;

const WardFeatureSchema = z.object({
  type: z.literal('Feature'),
  properties: z
    .object({
      id: z.union([z.string().min(1).max(128), z.number()]),
      name: z.string().min(1).optional(),
      name_vi: z.string().min(1).optional(),
      name_en: z.string().min(1).optional(),
    })
    .loose()
    .refine((p) => p.name !== undefined || p.name_vi !== undefined, { message: 'needs a name or name_vi' }),
  geometry: GeoAreaSchema,
});

const WardCollectionSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(WardFeatureSchema).min(1).max(MAX_ZONES),
});

/**
 * Reads `map.zonesFile`: a GeoJSON FeatureCollection of real ward boundaries (Polygon or
 * MultiPolygon, properties `id` and `name`, or `name_vi`/`name_en`). Throws with a message naming
 * the file and what is wrong in it.
 */
export function readZonesFile(file: string): ZoneFeature[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`map.zonesFile ${file} cannot be read as JSON: ${(err as Error).message}`);
  }
  const parsed = WardCollectionSchema.safeParse(json);
  if (!parsed.success) throw new Error(`map.zonesFile ${file} is not a FeatureCollection of ward polygons: ${formatIssues(parsed.error, 'file')}`);
  const zones = parsed.data.features.map(({ properties, geometry }) => {
    const vi = properties.name_vi ?? properties.name!;
    return { id: String(properties.id), name: { vi, en: properties.name_en ?? properties.name ?? vi }, geometry };
  });
  const ids = new Set<string>();
  for (const zone of zones) {
    if (ids.has(zone.id)) throw new Error(`map.zonesFile ${file}: zone id "${zone.id}" appears twice`);
    ids.add(zone.id);
  }
  return zones;
}

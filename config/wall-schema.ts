import { z } from 'zod';
import { DurationSchema } from '../contract/duration.js';
import { EntityIdSchema, WallSceneSchema } from '../contract/index.js';

/*
 * Config keys of the wall, the KPI board, cameras and the data-quality view (config/schema.ts
 * places them; kept apart so the main schema stays readable).
 */

/** The rotation a wall shows when the config names none: the city, then each board. */
const DEFAULT_SCENES = [
  { kind: 'map', duration: 60_000 },
  { kind: 'kpis', duration: 30_000 },
  { kind: 'alerts', duration: 30_000 },
  { kind: 'cameras', duration: 20_000 },
  { kind: 'quality', duration: 20_000 },
] as const;

export const WallConfigSchema = z
  .strictObject({
    scenes: z.array(WallSceneSchema).min(1).default(DEFAULT_SCENES.map((scene) => ({ ...scene }))),
  })
  .prefault({});

/** A `{id}` in a snapshot or clip URL template is replaced by the Frigate event id. */
const EventUrlTemplateSchema = z.string().min(1).refine((url) => url.includes('{id}'), { message: 'must contain {id}' });

export const CameraConfigSchema = z.strictObject({
  /** The Frigate camera name, used as the entity id in domain `camera`. */
  id: EntityIdSchema,
  name: z.string().min(1),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  /** e.g. `http://frigate:5000/api/events/{id}/snapshot.jpg` */
  snapshotUrl: EventUrlTemplateSchema.optional(),
  /** e.g. `http://frigate:5000/api/events/{id}/clip.mp4` */
  clipUrl: EventUrlTemplateSchema.optional(),
});
export type CameraConfig = z.output<typeof CameraConfigSchema>;

export const CameraEventsConfigSchema = z
  .strictObject({
    /** Where Frigate publishes its events (its own `mqtt.topic_prefix` + `/events`). */
    topic: z.string().regex(/^[^#+]+$/).default('frigate/events'),
    /** How long finished events stay listed. */
    keep: DurationSchema.default(86_400_000),
    /** Most events kept in memory across all cameras (oldest dropped first). */
    maxKept: z.number().int().min(10).max(1_000_000).default(20_000),
  })
  .prefault({});

export const KpisConfigSchema = z
  .strictObject({
    /** Length of one sparkline step. */
    trendStep: DurationSchema.pipe(z.number().min(10_000)).default(600_000),
    /** Steps kept per KPI (the sparkline's length). */
    trendSteps: z.number().int().min(2).max(500).default(36),
    /** Window the dossier indicators are computed over (Decision 766 reports monthly). */
    dossierWindow: DurationSchema.default(30 * 86_400_000),
    /** Targets by KPI id, replacing the built-in ones (e.g. `dossier.on_time_share: 95`). */
    targets: z.record(z.string(), z.number()).default({}),
  })
  .prefault({});

export const QualityConfigSchema = z
  .strictObject({
    /** Window received rates and ingest lag are computed over. */
    window: DurationSchema.pipe(z.number().min(60_000)).default(900_000),
    /** An entity heard from before but not for this long counts as silent (not merely stale). */
    silentAfter: DurationSchema.default(3_600_000),
    /** Latest refused inputs kept per domain and reason. */
    examples: z.number().int().min(1).max(50).default(5),
    /** A numeric field that has not changed for this long, while its entity keeps reporting, is flagged stuck. */
    stuckAfter: DurationSchema.default(6 * 3_600_000),
    /** Physical ranges by domain and field (`{sensor: {pm25: [0, 1000]}}`), added to the built-in ones. */
    ranges: z.record(z.string(), z.record(z.string(), z.tuple([z.number(), z.number()]))).default({}),
    /** Fields compared with the same field of nearby entities; a value far from their median is flagged. */
    neighbourFields: z.array(z.string()).default(['pm25', 'pm10', 'aqi', 'temp', 'humidity', 'noise', 'rain']),
    /** How far (m) a neighbour may be. */
    neighbourRadius: z.number().positive().default(3000),
  })
  .prefault({});

import { z } from 'zod';
import { QueryTimeSchema } from './api.js';
import { DurationSchema } from './duration.js';
import { DomainSchema, EntityIdSchema } from './observation.js';

/** Text in both console languages. */
export const BilingualSchema = z.strictObject({ vi: z.string(), en: z.string() });
export type Bilingual = z.infer<typeof BilingualSchema>;

// ---------------------------------------------------------------- wall scenes

export const WALL_SCENE_KINDS = ['map', 'kpis', 'alerts', 'cameras', 'quality'] as const;

/** One scene of the wall's rotation (`wall.scenes` in the config file). */
export const WallSceneSchema = z.strictObject({
  kind: z.enum(WALL_SCENE_KINDS),
  /** How long the scene stays before the next one. */
  duration: DurationSchema.pipe(z.number().min(5_000, 'at least 5s')).default(30_000),
  /** Map scenes: the layers drawn (default: every domain). */
  layers: z.array(DomainSchema).min(1).optional(),
  /** Map scenes: fit this zone (an id from the zones file); default the whole city. */
  zone: z.string().min(1).optional(),
  /** A heading shown on the scene; default the scene kind's own name. */
  title: BilingualSchema.optional(),
});
export type WallSceneInput = z.input<typeof WallSceneSchema>;
export type WallScene = z.output<typeof WallSceneSchema>;

// ---------------------------------------------------------------- rule names

/**
 * A rule as an alert board names it (`GET /api/v1/rule-names`): what anyone who may read alerts
 * needs to label them, without the conditions behind `rules.read`.
 */
export const RuleNameSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** A threshold rule's field: its alerts' value is a reading of it, shown with the field's unit. */
  field: z.string().optional(),
});
export type RuleName = z.infer<typeof RuleNameSchema>;

export const RuleNamesResponseSchema = z.object({ rules: z.array(RuleNameSchema) });
export type RuleNamesResponse = z.infer<typeof RuleNamesResponseSchema>;

// ---------------------------------------------------------------- KPIs

export const KpiStatusSchema = z.enum(['ok', 'warn', 'bad']);
export type KpiStatus = z.infer<typeof KpiStatusSchema>;

/** One indicator on the KPI board (`GET /api/v1/kpis`). */
export const KpiSchema = z.object({
  /** Stable id: `air.good_share`, `dossier.on_time_share`, … */
  id: z.string(),
  /** Which board group it belongs to: air, traffic, health, services, dossiers, reports. */
  group: z.string(),
  name: BilingualSchema,
  /** The current value; null when there is no data to compute it from (status then `warn`). */
  value: z.number().nullable(),
  /** `%`, `km/h`, `min`, `beds`, … (`''` for a plain count). */
  unit: z.string(),
  target: z.number().optional(),
  /** Which way is good: the status compares the value with the target in this direction. */
  better: z.enum(['higher', 'lower']),
  status: KpiStatusSchema,
  /** Recent values, oldest first, for a sparkline (one per trend step). */
  trend: z.array(z.number().nullable()).optional(),
  /** A short explanation of the value (e.g. the worst ward), in both languages. */
  detail: BilingualSchema.optional(),
});
export type Kpi = z.infer<typeof KpiSchema>;

export const KpisResponseSchema = z.object({
  asOf: z.number(),
  /** Length of one trend step in ms. */
  trendStep: z.number(),
  kpis: z.array(KpiSchema),
});
export type KpisResponse = z.infer<typeof KpisResponseSchema>;

// ---------------------------------------------------------------- data quality

export const QualityQuerySchema = z.strictObject({
  domain: DomainSchema.optional(),
  /** Most entities listed per domain, worst first. */
  limit: z.coerce.number().int().min(0).max(1000).default(50),
});
export type QualityQuery = z.infer<typeof QualityQuerySchema>;

/** reporting: heard within its domain's staleAfter; stale: silent longer; silent: nothing for `quality.silentAfter`. */
export const QualityStatusSchema = z.enum(['reporting', 'stale', 'silent']);
export type QualityStatus = z.infer<typeof QualityStatusSchema>;

/** Why a sensor's values are not to be trusted, though it reports. */
export const QualityFlagSchema = z.object({
  kind: z.enum(['stuck', 'out_of_range', 'far_from_neighbours']),
  field: z.string(),
  /** The value that raised the flag. */
  value: z.number(),
  /** Since when (stuck: the value has not changed since; out of range: first such value). */
  since: z.number(),
  /** The reason in words, e.g. "unchanged for 7 h", "outside 0..1000", "neighbours' median 35". */
  detail: z.string(),
  /** The same reason in both console languages, for people. */
  reason: BilingualSchema,
});
export type QualityFlag = z.infer<typeof QualityFlagSchema>;

export const QualityEntitySchema = z.object({
  id: EntityIdSchema,
  /** The zone (ward) it stands in, `city` outside every configured zone. */
  zone: z.string(),
  /** Values it reports that cannot be trusted; absent when none. */
  flags: z.array(QualityFlagSchema).optional(),
  status: QualityStatusSchema,
  lastSeen: z.number(),
  /** Observations per minute over the quality window. */
  receivedPerMinute: z.number(),
  /** p95 of (receive time − observation time) over the window, ms; null without observations in it. */
  lagP95Ms: z.number().nullable(),
});
export type QualityEntity = z.infer<typeof QualityEntitySchema>;

export const QualityRejectSchema = z.object({
  reason: z.string(),
  count: z.number(),
  /** The latest few refused inputs with this reason, newest first (truncated). */
  latest: z.array(z.object({ at: z.number(), id: z.string().optional(), source: z.string(), example: z.string() })),
});
export type QualityReject = z.infer<typeof QualityRejectSchema>;

export const QualityDomainSchema = z.object({
  domain: DomainSchema,
  reporting: z.number(),
  stale: z.number(),
  silent: z.number(),
  /** Entities with at least one flag (stuck, out of range, far from its neighbours). */
  flagged: z.number(),
  /** The same counts per zone (ward). */
  zones: z.array(z.object({ zone: z.string(), reporting: z.number(), stale: z.number(), silent: z.number(), flagged: z.number() })),
  receivedPerMinute: z.number(),
  lagP95Ms: z.number().nullable(),
  rejected: z.number(),
  rejects: z.array(QualityRejectSchema),
  /** Worst first: silent, then stale, then flagged, then the most lagging; at most `limit`. */
  entities: z.array(QualityEntitySchema),
});
export type QualityDomain = z.infer<typeof QualityDomainSchema>;

export const QualityResponseSchema = z.object({
  asOf: z.number(),
  /** The window rates and lags are computed over, ms. */
  windowMs: z.number(),
  domains: z.array(QualityDomainSchema),
});
export type QualityResponse = z.infer<typeof QualityResponseSchema>;

// ---------------------------------------------------------------- cameras

/** A camera as the console shows it (from `cameras:` in the config file). */
export const CameraInfoSchema = z.object({
  id: EntityIdSchema,
  name: z.string(),
  lat: z.number(),
  lon: z.number(),
});
export type CameraInfo = z.infer<typeof CameraInfoSchema>;

/** One detection from a camera (a Frigate event), as `GET /api/v1/cameras/events` answers. */
export const CameraEventSchema = z.object({
  id: z.string(),
  camera: EntityIdSchema,
  label: z.string(),
  /** Best score seen, 0..1. */
  score: z.number(),
  start: z.number(),
  /** null while the object is still in view. */
  end: z.number().nullable(),
  zones: z.array(z.string()),
  snapshotUrl: z.string().optional(),
  clipUrl: z.string().optional(),
  /** A recognised licence plate: personal data, present only for roles allowed to see plates. */
  plate: z.string().optional(),
});
export type CameraEvent = z.infer<typeof CameraEventSchema>;

export const CameraEventsQuerySchema = z.strictObject({
  from: QueryTimeSchema.optional(),
  camera: EntityIdSchema.optional(),
  label: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type CameraEventsQuery = z.infer<typeof CameraEventsQuerySchema>;

export const CameraEventsResponseSchema = z.object({
  cameras: z.array(CameraInfoSchema),
  events: z.array(CameraEventSchema),
});
export type CameraEventsResponse = z.infer<typeof CameraEventsResponseSchema>;

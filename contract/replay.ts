import { z } from 'zod';
import { AlertEventSchema, AlertSchema, AlertStateSchema } from './alert.js';
import { QueryTimeSchema } from './api.js';
import { DurationSchema } from './duration.js';
import { BboxSchema, EntitySchema } from './entity.js';
import { DomainSchema } from './observation.js';
import { SeveritySchema } from './rule.js';

/** Most frames one `GET /replay/frames` may ask for. */
export const MAX_REPLAY_STEPS = 100_000;
/** Longest window (ms) of `/replay/frames` and `/replay/alerts`: 31 days. */
export const MAX_REPLAY_WINDOW_MS = 31 * 86_400_000;

/** `layers=sensor,traffic`: a comma list of domains. */
const LayersSchema = z
  .string()
  .transform((s) => s.split(',').filter((d) => d.length > 0))
  .pipe(z.array(DomainSchema).min(1, 'name at least one domain'));

/** `bbox=w,s,e,n` in degrees. */
const BboxQuerySchema = z
  .string()
  .transform((s) => s.split(',').map(Number))
  .pipe(BboxSchema);

/** `GET /api/v1/replay/state`: the city as it was at `at`. */
export const ReplayStateQuerySchema = z.strictObject({
  at: QueryTimeSchema,
  layers: LayersSchema.optional(),
  bbox: BboxQuerySchema.optional(),
});
export type ReplayStateQuery = z.infer<typeof ReplayStateQuerySchema>;

/** `GET /api/v1/replay/frames`: the city from `from` to `to` in steps of `step` (a duration such as 1s, 1m). */
export const ReplayFramesQuerySchema = z
  .strictObject({
    from: QueryTimeSchema,
    to: QueryTimeSchema,
    step: DurationSchema,
    layers: LayersSchema.optional(),
    bbox: BboxQuerySchema.optional(),
  })
  .superRefine((q, ctx) => {
    if (q.from >= q.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `must be after from (${q.from})` });
      return;
    }
    if (q.to - q.from > MAX_REPLAY_WINDOW_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the window may span at most ${MAX_REPLAY_WINDOW_MS} ms (31 days)`,
      });
    }
    if (!Number.isInteger(q.step) || q.step < 1) {
      ctx.addIssue({ code: 'custom', path: ['step'], message: 'must be a whole number of milliseconds, at least 1ms' });
    } else if (Math.ceil((q.to - q.from) / q.step) > MAX_REPLAY_STEPS) {
      ctx.addIssue({
        code: 'custom',
        path: ['step'],
        message: `gives more than ${MAX_REPLAY_STEPS} frames over this window; use a larger step`,
      });
    }
  });
export type ReplayFramesQuery = z.infer<typeof ReplayFramesQuerySchema>;

/** `GET /api/v1/replay/alerts`: alert lifecycle events between `from` and `to`. */
export const ReplayAlertsQuerySchema = z
  .strictObject({ from: QueryTimeSchema, to: QueryTimeSchema })
  .superRefine((q, ctx) => {
    if (q.from >= q.to) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be after from (${q.from})` });
    else if (q.to - q.from > MAX_REPLAY_WINDOW_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `the window may span at most ${MAX_REPLAY_WINDOW_MS} ms (31 days)`,
      });
    }
  });
export type ReplayAlertsQuery = z.infer<typeof ReplayAlertsQuerySchema>;

/** Every entity as it was at `at` (status as it was then) and the alerts open then, each as it was then. */
export const ReplayStateSchema = z.object({
  at: z.number(),
  entities: z.array(EntitySchema),
  alerts: z.array(AlertSchema),
});
export type ReplayState = z.infer<typeof ReplayStateSchema>;

/** First NDJSON line of `/replay/frames`: the full state at `from` (`ts` = `at` = from). */
export const ReplayFirstFrameSchema = ReplayStateSchema.extend({ ts: z.number() });
export type ReplayFirstFrame = z.infer<typeof ReplayFirstFrameSchema>;

/**
 * Every later NDJSON line: what changed in (ts - step, ts]. `upserts` are entities as they were at
 * `ts`; `removes` are entity keys ("<domain>/<id>") that left the answer (silent past the lookback,
 * moved out of the bbox); `alerts` are the alerts that moved, as they were at `ts` (resolved ones too).
 */
export const ReplayFrameSchema = z.object({
  ts: z.number(),
  upserts: z.array(EntitySchema),
  removes: z.array(z.string()),
  alerts: z.array(AlertSchema),
});
export type ReplayFrame = z.infer<typeof ReplayFrameSchema>;

/** One alert lifecycle event, with the alert's severity and state right after it (the timeline track). */
export const ReplayAlertEventSchema = z.object({
  at: z.number(),
  alertId: z.string(),
  ruleId: z.string(),
  domain: z.string(),
  entityId: z.string(),
  severity: SeveritySchema,
  action: AlertEventSchema.shape.action,
  by: z.string(),
  state: AlertStateSchema,
});
export type ReplayAlertEvent = z.infer<typeof ReplayAlertEventSchema>;

/** `GET /api/v1/replay/alerts` answer: events oldest first. */
export const ReplayAlertsSchema = z.object({ events: z.array(ReplayAlertEventSchema) });
export type ReplayAlerts = z.infer<typeof ReplayAlertsSchema>;

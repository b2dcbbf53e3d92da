import { z } from 'zod';
import { DurationSchema } from './duration.js';
import { QueryTimeSchema } from './api.js';
import { RoleSchema, UsernameSchema, ZoneIdSchema } from './identity.js';
import { SeveritySchema } from './rule.js';

/*
 * Field teams, citizen reports, photos, escalation and notifications (contract v1, second part).
 * Reports share the alerts' permissions: whoever may read, act on or assign alerts may do the same
 * with reports, and field users only with those assigned to them or in their zones.
 */

const Bilingual = z.strictObject({ vi: z.string().min(1).max(200), en: z.string().min(1).max(200) });

// ---------------------------------------------------------------------------------------------
// Citizen reports (phản ánh hiện trường)

export const ReportStatusSchema = z.enum(['received', 'assigned', 'in_progress', 'resolved', 'rejected']);
export type ReportStatus = z.infer<typeof ReportStatusSchema>;
/** Statuses a report can still move out of; an open report past its deadline is overdue. */
export const OPEN_REPORT_STATUSES: readonly ReportStatus[] = ['received', 'assigned', 'in_progress'];

export const ReportCategoryIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "_" or "-"');

/** `reports.categories[]`: what citizens may report, and how long the city has to handle it. */
export const ReportCategorySchema = z.strictObject({
  id: ReportCategoryIdSchema,
  name: Bilingual,
  /** Time from receipt to resolution before the report is overdue. */
  deadline: DurationSchema,
});
export type ReportCategory = z.infer<typeof ReportCategorySchema>;
/** As the public page gets it (`GET /api/v1/reports/categories`): the deadline in ms. */
export interface ReportCategoryInfo {
  id: string;
  name: { vi: string; en: string };
  deadline: number;
}

const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);

/** Personal data: shown to staff who act on reports, never on the tracking page, the wall, exports or tokens. */
export const ReportContactSchema = z.strictObject({
  name: z.string().trim().min(1).max(120).optional(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 .()-]{6,20}$/, 'digits, spaces and + . ( ) - only, 6 to 20 characters')
    .optional(),
});
export type ReportContact = z.infer<typeof ReportContactSchema>;

/** `POST /api/v1/reports` (public): JSON, or multipart with a `report` JSON field and `photos` files. */
export const ReportCreateSchema = z.strictObject({
  category: ReportCategoryIdSchema,
  description: z.string().trim().min(3, 'at least 3 characters').max(2000),
  lat: Latitude,
  lon: Longitude,
  contact: ReportContactSchema.optional(),
});
export type ReportCreate = z.infer<typeof ReportCreateSchema>;

/** `201` answer to `POST /api/v1/reports`: the code is how the citizen follows it. */
export const ReportCreatedSchema = z.object({
  id: z.string(),
  code: z.string(),
  status: z.literal('received'),
  category: z.string(),
  zone: z.string(),
  deadline: z.number(),
  /** Photos that came with the report (multipart). */
  attachments: z.array(z.object({ id: z.string(), url: z.string() })).optional(),
});
export type ReportCreated = z.infer<typeof ReportCreatedSchema>;

export const ReportEventSchema = z.object({
  at: z.number(),
  by: z.string(),
  action: z.enum(['create', 'assign', 'start', 'resolve', 'reject', 'note', 'attach', 'overdue', 'escalate', 'rate']),
  note: z.string().optional(),
  /** Escalation step number (from 1) and who it notified, on `escalate` events. */
  step: z.number().int().optional(),
  targets: z.array(z.string()).optional(),
});
export type ReportEvent = z.infer<typeof ReportEventSchema>;

export const ReportRatingSchema = z.strictObject({
  score: z.number().int().min(1).max(5),
  comment: z.string().trim().max(1000).optional(),
});
export type ReportRatingInput = z.infer<typeof ReportRatingSchema>;

export const AttachmentInfoSchema = z.object({
  id: z.string(),
  /** The resized copy; `?original=1` gives the original bytes kept as evidence. */
  url: z.string(),
  contentType: z.enum(['image/jpeg', 'image/png', 'image/webp']),
  bytes: z.number().int(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  at: z.number(),
  by: z.string(),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfoSchema>;

/** A report as staff see it (`contact` only for those who act on reports). */
export const ReportSchema = z.object({
  id: z.string(),
  code: z.string(),
  category: z.string(),
  description: z.string(),
  lat: z.number(),
  lon: z.number(),
  /** The zone (ward) the place falls in; 'city' outside every zone. */
  zone: z.string(),
  status: ReportStatusSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  deadline: z.number(),
  /** Open and past its deadline (computed when answered). */
  overdue: z.boolean(),
  assignee: z.string().optional(),
  contact: ReportContactSchema.optional(),
  result: z.string().optional(),
  resolvedAt: z.number().optional(),
  rating: z.object({ score: z.number().int(), comment: z.string().optional(), at: z.number() }).optional(),
  attachments: z.array(AttachmentInfoSchema),
  history: z.array(ReportEventSchema),
});
export type Report = z.infer<typeof ReportSchema>;

/** `GET /api/v1/reports/track/<code>` (public): never the contact, the description or who handled it. */
export const ReportTrackSchema = z.object({
  code: z.string(),
  category: z.string(),
  status: ReportStatusSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  deadline: z.number(),
  overdue: z.boolean(),
  resolvedAt: z.number().optional(),
  result: z.string().optional(),
  rating: z.object({ score: z.number().int(), at: z.number() }).optional(),
  /** Whether a rating may be given now (resolved or rejected, not yet rated). */
  canRate: z.boolean(),
});
export type ReportTrack = z.infer<typeof ReportTrackSchema>;

const booleanFromQuery = z.enum(['true', 'false']).transform((s) => s === 'true');

export const ReportsQuerySchema = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(ReportStatusSchema))
    .optional(),
  zone: ZoneIdSchema.optional(),
  assignee: z.string().max(64).optional(),
  overdue: booleanFromQuery.optional(),
  category: ReportCategoryIdSchema.optional(),
  from: QueryTimeSchema.optional(),
  to: QueryTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type ReportsQuery = z.infer<typeof ReportsQuerySchema>;

export const ReportAssignSchema = z.strictObject({ assignee: UsernameSchema, note: z.string().max(2000).optional() });
export const ReportStartSchema = z.strictObject({ note: z.string().max(2000).optional() });
export const ReportResolveSchema = z.strictObject({ result: z.string().trim().min(1).max(2000) });
export const ReportRejectSchema = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const ReportNoteSchema = z.strictObject({ text: z.string().trim().min(1).max(2000) });

// ---------------------------------------------------------------------------------------------
// Photos

/** Accepted photo types (checked from the bytes) and the size limit per file. */
export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const AttachmentCreatedSchema = z.object({ id: z.string(), url: z.string() });

// ---------------------------------------------------------------------------------------------
// Escalation policies

/**
 * Who a step notifies: the item's assignee, the field users of the item's zone, everyone holding a
 * role, one user, a configured webhook, an email address, a Telegram chat or a Zalo OA follower.
 */
export const NotifyTargetSchema = z.union([
  z.literal('assignee'),
  z.literal('zone:field'),
  z.templateLiteral(['role:', RoleSchema]),
  z.string().regex(/^user:[a-z0-9][a-z0-9._-]{0,63}$/, 'user:<username>'),
  z.string().regex(/^webhook:[A-Za-z0-9_-]{1,64}$/, 'webhook:<id of notify.webhooks>'),
  z.string().regex(/^email:[^@\s]+@[^@\s]+\.[^@\s]+$/, 'email:<address>'),
  z.string().regex(/^telegram:-?[0-9]{1,20}$/, 'telegram:<chat id>'),
  z.string().regex(/^zalo:[0-9]{1,32}$/, 'zalo:<user id>'),
]);
export type NotifyTarget = z.infer<typeof NotifyTargetSchema>;

export const EscalationStepSchema = z.strictObject({
  /** Time after the item opened (or the policy matched) when this step runs. */
  after: DurationSchema,
  notify: z.array(NotifyTargetSchema).min(1).max(20),
});

export const EscalationPolicyInputSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().max(200).optional(),
  /** What the policy applies to; every given key must match. The first matching policy wins (by `priority`, then id). */
  match: z
    .strictObject({
      kind: z.enum(['alert', 'report']).optional(),
      severity: z.array(SeveritySchema).or(SeveritySchema).optional(),
      domain: z.string().optional(),
      zone: ZoneIdSchema.optional(),
      ruleId: z.string().optional(),
      category: ReportCategoryIdSchema.optional(),
    })
    .default({}),
  priority: z.number().int().min(0).max(1000).default(100),
  /** 'zone': assign a new item to the field user of its zone with the fewest open items. */
  autoAssign: z.enum(['zone']).optional(),
  steps: z.array(EscalationStepSchema).min(1).max(10),
  enabled: z.boolean().default(true),
});
export type EscalationPolicyInput = z.input<typeof EscalationPolicyInputSchema>;
export type EscalationPolicy = z.output<typeof EscalationPolicyInputSchema>;
/** As the API shows it: where it comes from (config policies can be replaced, not deleted). */
export type EscalationPolicyView = EscalationPolicy & { source: 'config' | 'api' };

// ---------------------------------------------------------------------------------------------
// Notifications

export const WebhookEventSchema = z.enum([
  'alert.firing',
  'alert.acknowledged',
  'alert.resolved',
  'alert.escalated',
  'alert.assigned',
  'report.created',
  'report.assigned',
  'report.resolved',
  'report.rejected',
  'report.overdue',
  'report.escalated',
  'report.rated',
]);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const NotifyChannelSchema = z.enum(['push', 'email', 'webhook', 'telegram', 'zalo']);
export type NotifyChannel = z.infer<typeof NotifyChannelSchema>;

export const DeliveryStateSchema = z.enum(['queued', 'sent', 'failed', 'retrying']);
export type DeliveryState = z.infer<typeof DeliveryStateSchema>;

/** One row of the delivery log (`GET /api/v1/notifications`). */
export const DeliverySchema = z.object({
  id: z.string(),
  kind: z.enum(['alert', 'report', 'test']),
  itemId: z.string(),
  /** What caused it: a webhook event, `escalation.step<N>`, or `test`. */
  event: z.string(),
  channel: NotifyChannelSchema,
  /** Username, address, webhook id or chat id (never a secret). */
  target: z.string(),
  state: DeliveryStateSchema,
  attempts: z.number().int(),
  lastError: z.string().optional(),
  at: z.number(),
  sentAt: z.number().optional(),
  nextAttemptAt: z.number().optional(),
});
export type Delivery = z.infer<typeof DeliverySchema>;

export const NotificationsQuerySchema = z.strictObject({
  alertId: z.string().max(200).optional(),
  reportId: z.string().max(200).optional(),
  state: DeliveryStateSchema.optional(),
  channel: NotifyChannelSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** `POST /api/v1/notifications/test` (admin): sends a test message through one channel. */
export const NotifyTestSchema = z.strictObject({
  channel: NotifyChannelSchema,
  /** Username (push), address (email), webhook id, chat id (telegram) or user id (zalo); push defaults to the caller. */
  target: z.string().min(1).max(320).optional(),
});

/** What a Web Push notification carries; `ackToken` lets the notification's `ack` action act without opening the app. */
export interface PushPayload {
  kind: 'alert' | 'report' | 'test';
  id: string;
  title: string;
  body: string;
  url: string;
  ackToken?: string;
}

/** The browser's PushSubscription JSON (`POST|DELETE /api/v1/push/subscriptions`). */
export const PushSubscriptionSchema = z.object({
  endpoint: z.url({ protocol: /^https?$/ }).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({ p256dh: z.string().min(16).max(256), auth: z.string().min(8).max(64) }),
});
export type PushSubscriptionJson = z.infer<typeof PushSubscriptionSchema>;

/** `POST /api/v1/push/ack` (from the service worker's `ack` action): the signed token from the payload. */
export const PushAckSchema = z.strictObject({ token: z.string().min(10).max(1000) });

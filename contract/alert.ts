import { z } from 'zod';
import { SeveritySchema } from './rule.js';
import { AttachmentInfoSchema } from './field.js';

export const AlertStateSchema = z.enum(['firing', 'acknowledged', 'snoozed', 'resolved']);
export type AlertState = z.infer<typeof AlertStateSchema>;

/** One entry of an alert's audit trail: who did what, when. */
export const AlertEventSchema = z.object({
  at: z.number(),
  by: z.string(),
  action: z.enum(['fire', 'ack', 'assign', 'snooze', 'unsnooze', 'resolve', 'escalate', 'note', 'clear', 'attach']),
  note: z.string().optional(),
  /**
   * On `escalate` events of an escalation policy: the step number (from 1) and who it notified.
   * Without `step`, `escalate` is the rule's `escalateAfter` raising the severity one level.
   */
  step: z.number().int().optional(),
  targets: z.array(z.string()).optional(),
});
export type AlertEvent = z.infer<typeof AlertEventSchema>;

export const AlertSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  domain: z.string(),
  entityId: z.string(),
  severity: SeveritySchema,
  state: AlertStateSchema,
  startedAt: z.number(),
  updatedAt: z.number(),
  value: z.union([z.number(), z.boolean(), z.string(), z.null()]),
  message: z.string(),
  assignee: z.string().optional(),
  snoozedUntil: z.number().optional(),
  lat: z.number().nullable().optional(),
  lon: z.number().nullable().optional(),
  /** The config zone the entity was in when the alert fired; 'city' outside every zone. */
  zone: z.string().optional(),
  history: z.array(AlertEventSchema).optional(),
  /** Photos added as evidence (newest last). */
  attachments: z.array(AttachmentInfoSchema).optional(),
});
export type Alert = z.infer<typeof AlertSchema>;

/** Grouped storm summary: one rule firing for many entities at once. */
export const AlertSummarySchema = z.object({
  ruleId: z.string(),
  zone: z.string(),
  count: z.number(),
  severity: SeveritySchema,
  ts: z.number(),
});
export type AlertSummary = z.infer<typeof AlertSummarySchema>;

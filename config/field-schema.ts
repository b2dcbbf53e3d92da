import { z } from 'zod';
import { DurationSchema } from '../contract/duration.js';
import {
  EscalationPolicyInputSchema,
  NotifyTargetSchema,
  ReportCategorySchema,
  WebhookEventSchema,
} from '../contract/field.js';

/*
 * Config keys of notifications, citizen reports and escalation (config/schema.ts places them; kept
 * apart so the main schema stays readable).
 */

const WebhookConfigSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  url: z.url({ protocol: /^https?$/ }),
  /** Standard Webhooks secret: `whsec_` and a base64 key of 24 to 64 bytes. */
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{32,}$/, 'whsec_ followed by a base64 key (at least 24 bytes)'),
  events: z.array(WebhookEventSchema).min(1),
});
export type WebhookConfig = z.output<typeof WebhookConfigSchema>;

export const NotifyConfigSchema = z
  .strictObject({
    /** How failed deliveries are retried: attempts in all, with the wait doubling from `backoff` up to `maxBackoff`. */
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(20).default(6),
        backoff: DurationSchema.default(5_000),
        maxBackoff: DurationSchema.default(600_000),
        /** How often every node looks in the state store for deliveries due again (its own failures are also retried on a timer). */
        checkInterval: DurationSchema.default(5_000),
      })
      .prefault({}),
    /** How long the delivery log keeps sent and failed deliveries (older ones are deleted hourly). */
    keep: DurationSchema.default(90 * 86_400_000),
    /** How long one attempt may take (connect, send, answer) before it counts as failed. */
    timeout: DurationSchema.default(10_000),
    /** Web Push (VAPID keys are made on first start and kept in the state store). */
    push: z
      .strictObject({
        /** VAPID contact: a mailto: or https: URL the push services may write to. */
        subject: z
          .string()
          .regex(/^(mailto:|https:)/)
          .default('mailto:ioc@localhost'),
        /** How long a push service keeps an undelivered notification. */
        ttl: DurationSchema.default(3_600_000),
        /**
         * Hosts a browser's push endpoint may name (`host` or `*.domain`), so a subscription cannot make
         * the server post into the operator's network; any host when absent. The browsers' push services:
         * fcm.googleapis.com, updates.push.services.mozilla.com, *.push.apple.com, *.notify.windows.com.
         */
        allowedHosts: z
          .array(z.string().regex(/^(\*\.)?[a-z0-9.-]+$/, 'a host name or *.domain'))
          .min(1)
          .optional(),
      })
      .prefault({}),
    /** Email over SMTP, e.g. `smtp://user:pass@mail.example.vn:587` or `smtps://…:465`. */
    email: z
      .strictObject({
        smtpUrl: z.url({ protocol: /^smtps?$/ }),
        from: z.string().min(3),
      })
      .optional(),
    webhooks: z.array(WebhookConfigSchema).default([]),
    /** A Telegram bot: messages with an inline "acknowledge" button; `chats` maps usernames to chat ids. */
    telegram: z
      .strictObject({
        botToken: z.string().min(10),
        apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org'),
        chats: z.record(z.string(), z.string().regex(/^-?[0-9]{1,20}$/)).default({}),
        /** Secret Telegram echoes in `X-Telegram-Bot-Api-Secret-Token` on the button callbacks. */
        webhookSecret: z
          .string()
          .regex(/^[A-Za-z0-9_-]{16,256}$/)
          .optional(),
      })
      .optional(),
    /** A Zalo Official Account: customer-service messages through its OpenAPI; `users` maps usernames to Zalo user ids. */
    zalo: z
      .strictObject({
        accessToken: z.string().min(10),
        apiUrl: z.url({ protocol: /^https?$/ }).default('https://openapi.zalo.me'),
        users: z.record(z.string(), z.string().regex(/^[0-9]{1,32}$/)).default({}),
      })
      .optional(),
  })
  .prefault({});
export type NotifyConfig = z.output<typeof NotifyConfigSchema>;

/** What citizens may report out of the box, with deadlines like the provincial hotlines'. */
const HOUR = 3_600_000;
const DEFAULT_CATEGORIES = [
  { id: 'flooding', name: { vi: 'Ngập úng', en: 'Flooding' }, deadline: 4 * HOUR },
  { id: 'streetlight', name: { vi: 'Đèn đường hỏng', en: 'Broken street light' }, deadline: 48 * HOUR },
  { id: 'rubbish', name: { vi: 'Rác thải', en: 'Rubbish' }, deadline: 24 * HOUR },
  { id: 'road', name: { vi: 'Hư hỏng đường', en: 'Road damage' }, deadline: 72 * HOUR },
  { id: 'traffic', name: { vi: 'Giao thông', en: 'Traffic' }, deadline: 2 * HOUR },
  { id: 'other', name: { vi: 'Khác', en: 'Other' }, deadline: 72 * HOUR },
] as const;

export const ReportsConfigSchema = z
  .strictObject({
    categories: z
      .array(ReportCategorySchema)
      .min(1)
      .default(() => DEFAULT_CATEGORIES.map((c) => ({ ...c, name: { ...c.name } }))),
    /** Public report filing per caller address. */
    rateLimit: z
      .strictObject({
        perMinute: z.number().int().min(1).default(3),
        perDay: z.number().int().min(1).default(30),
      })
      .prefault({}),
    /** Photos one report may carry. */
    maxPhotos: z.number().int().min(0).max(10).default(5),
    /** How often open reports are checked against their deadlines. */
    overdueCheckInterval: DurationSchema.default(30_000),
  })
  .prefault({});
export type ReportsConfig = z.output<typeof ReportsConfigSchema>;

export const EscalationConfigSchema = z
  .strictObject({
    /** Policies from the config file (more may be added through the API). */
    policies: z.array(EscalationPolicyInputSchema).default([]),
    /** Who hears when an open citizen report passes its deadline (even one already taken on). */
    overdueNotify: z.array(NotifyTargetSchema).max(20).default(['assignee', 'role:supervisor']),
    /** How often due escalation steps are looked for. */
    tickInterval: DurationSchema.default(5_000),
  })
  .prefault({});
export type EscalationConfig = z.output<typeof EscalationConfigSchema>;

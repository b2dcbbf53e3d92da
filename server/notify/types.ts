import type { Alert, Delivery, NotifyChannel, Report, WebhookEvent } from '../../contract/index.js';
import type { z } from 'zod';
import type { NotificationsQuerySchema } from '../../contract/index.js';

/*
 * The one delivery path every notification takes: Web Push, email, signed webhooks, Telegram and
 * Zalo OA. Each delivery is a record in the state store (the log), retried with backoff, and made
 * at most once per dedupe key and target, across restarts and nodes.
 */

/** What to tell a person about one item. */
export interface NotifyMessage {
  kind: 'alert' | 'report' | 'test';
  itemId: string;
  /** What caused it: a webhook event (`alert.firing`), `escalation.step<N>`, or `test`. */
  event: string;
  title: string;
  body: string;
  /** Absolute link to the item (the field app for field users). */
  url: string;
  /** Push and Telegram offer an "acknowledge" action acting for the recipient. */
  ackable: boolean;
}

/**
 * Resolved targets: `user:<name>` (every push subscription of that user, their email when set, their
 * Telegram chat and Zalo id when mapped in config), `email:<address>`, `webhook:<id>`,
 * `telegram:<chat id>`, `zalo:<user id>`. Role and zone targets are resolved to users before this.
 */
export type DeliveryTarget = `user:${string}` | `email:${string}` | `webhook:${string}` | `telegram:${string}` | `zalo:${string}`;

export type NotificationsQuery = z.output<typeof NotificationsQuerySchema>;

/** An item as webhooks carry it (a report never with its contact). */
export type WebhookItem = { kind: 'alert'; item: Alert } | { kind: 'report'; item: Omit<Report, 'contact'> };

export interface Notifier {
  /** Starts the retry loop (due deliveries of every node are picked up from the state store). */
  start(): void;
  close(): Promise<void>;
  /**
   * Queues one delivery per channel and address `targets` resolve to and sends it now; a delivery
   * whose (dedupeKey, channel, address) was already made is not made again. Answers the deliveries
   * made by this call.
   */
  notify(message: NotifyMessage, targets: readonly DeliveryTarget[], dedupeKey: string): Promise<Delivery[]>;
  /** Every configured webhook subscribed to `event` gets the item, signed (Standard Webhooks), once per dedupe key. */
  publish(event: WebhookEvent, item: WebhookItem, dedupeKey: string): Promise<Delivery[]>;
  /** The delivery log, newest first. */
  list(query: NotificationsQuery): Promise<Delivery[]>;
  /** Channels configured (push always). */
  channels(): NotifyChannel[];
}

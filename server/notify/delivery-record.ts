import { createHash } from 'node:crypto';
import type { Delivery, DeliveryState, NotifyChannel } from '../../contract/index.js';
import type { StoredRecord } from '../state/types.js';
import type { NotifyMessage } from './types.js';

/*
 * A delivery as the state store keeps it: the public log row (Delivery) plus what a later attempt
 * on any node needs to send it again. Never a secret: addresses, ids and the message only.
 */

export interface DeliveryDoc extends Delivery {
  /** Where exactly: push subscription id, email address, webhook id, Telegram chat id, Zalo user id. */
  address: string;
  /** The person it is for, when known: the ack action acts as them. */
  username?: string;
  message: NotifyMessage;
  /** Webhook body, fixed at creation so every attempt signs and sends the same bytes. */
  body?: string;
  /** A node is sending it until then (ms); others leave it alone. */
  leaseUntil?: number;
}

/** Thrown by a channel; `final` when trying again cannot help (gone subscription, unknown webhook). */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly final = false,
  ) {
    super(message);
  }
}

/** The unique key of a delivery: one per dedupe key, channel and address (hashed: endpoints are long). */
export function deliveryKey(dedupeKey: string, channel: NotifyChannel, address: string): string {
  return createHash('sha256').update(`${dedupeKey}\u0000${channel}\u0000${address}`).digest('hex');
}

export const OPEN_STATES: readonly DeliveryState[] = ['queued', 'retrying'];

export function docOf(record: StoredRecord): DeliveryDoc {
  return JSON.parse(record.json) as DeliveryDoc;
}

/** The record that stores `doc` as version `version`. */
export function recordOf(doc: DeliveryDoc, version: number, key: string | undefined, now: number): StoredRecord {
  return {
    kind: 'delivery',
    id: doc.id,
    version,
    ...(key !== undefined ? { key } : {}),
    ref: doc.itemId,
    at: doc.at,
    updatedAt: now,
    open: OPEN_STATES.includes(doc.state),
    json: JSON.stringify(doc),
  };
}

/** The log row: the public fields only. */
export function toDelivery(doc: DeliveryDoc): Delivery {
  return {
    id: doc.id,
    kind: doc.kind,
    itemId: doc.itemId,
    event: doc.event,
    channel: doc.channel,
    target: doc.target,
    state: doc.state,
    attempts: doc.attempts,
    at: doc.at,
    ...(doc.lastError !== undefined ? { lastError: doc.lastError } : {}),
    ...(doc.sentAt !== undefined ? { sentAt: doc.sentAt } : {}),
    ...(doc.nextAttemptAt !== undefined ? { nextAttemptAt: doc.nextAttemptAt } : {}),
  };
}

/** Wait before attempt `attempt + 1` after `attempt` failures (ms): doubling from `backoff`, capped. */
export function backoffMs(attempt: number, backoff: number, maxBackoff: number): number {
  return Math.min(backoff * 2 ** Math.max(0, attempt - 1), maxBackoff);
}

const MAX_ERROR_CHARS = 300;

/** An error text fit for the log: every configured secret replaced, short. */
export function cleanError(err: unknown, secrets: readonly string[]): string {
  let text = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.message === 'string' && !text.includes(cause.message)) text = `${text}: ${cause.message}`;
  for (const secret of secrets) if (secret.length >= 4) text = text.split(secret).join('[redacted]');
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

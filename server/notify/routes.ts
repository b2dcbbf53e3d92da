import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import {
  DeliverySchema,
  NotificationsQuerySchema,
  NotifyTestSchema,
  PushAckSchema,
  PushSubscriptionSchema,
  type AuditAction,
} from '../../contract/index.js';
import type { NotifyConfig } from '../../config/field-schema.js';
import type { Logger } from '../../config/logger.js';
import type { AuditLog } from '../audit/audit-log.js';
import { allows, canSeeItem, type Identity } from '../auth/policy.js';
import { clientIp, identityOf } from '../auth/request.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { RouteSpec } from '../http/route-catalog.js';
import type { StateStore } from '../state/types.js';
import { ACK_TOKEN_TTL_MS } from './ack-tokens.js';
import { pushHostAllowed } from './channels/push.js';
import { callBotApi } from './channels/telegram.js';
import type { NotifierService } from './notifier.js';

/*
 * Web Push subscriptions and the ack action, the delivery log, admin tests of each channel, and
 * the Telegram bot's button callbacks.
 */

const DeliveriesAnswer = z.object({ deliveries: z.array(DeliverySchema) });
/** `DELETE /api/v1/push/subscriptions`: the PushSubscription JSON, or just its endpoint. */
export const PushUnsubscribeSchema = z.strictObject({
  endpoint: PushSubscriptionSchema.shape.endpoint,
  expirationTime: PushSubscriptionSchema.shape.expirationTime,
  keys: PushSubscriptionSchema.shape.keys.optional(),
});
const AckAnswer = z.object({ kind: z.enum(['alert', 'report']), id: z.string(), by: z.string() });

/**
 * The part of a Telegram Update the bot reads: a press of an inline button. Telegram's updates
 * carry many more fields, which are ignored (Bot API, "Update" and "CallbackQuery").
 */
export const TelegramUpdateSchema = z.looseObject({
  update_id: z.number().int(),
  callback_query: z
    .looseObject({
      id: z.string().min(1).max(128),
      from: z.looseObject({ id: z.number().int() }),
      data: z.string().max(64).optional(),
      message: z.looseObject({ chat: z.looseObject({ id: z.number().int() }) }).optional(),
    })
    .optional(),
});

export const NOTIFY_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/push/vapid-public-key',
    access: 'authenticated',
    tag: 'notify',
    summary: 'The VAPID public key browsers subscribe to Web Push with (applicationServerKey).',
    response: z.object({ publicKey: z.string() }),
  },
  {
    method: 'post',
    path: '/api/v1/push/subscriptions',
    access: 'authenticated',
    tag: 'notify',
    summary:
      "Keep this browser's push subscription for the signed-in person (tokens are refused: pushes go to people).",
    body: PushSubscriptionSchema,
    response: z.object({ id: z.string() }),
    status: 201,
  },
  {
    method: 'delete',
    path: '/api/v1/push/subscriptions',
    access: 'authenticated',
    tag: 'notify',
    summary: "Forget this browser's push subscription (the signed-in person's own).",
    body: PushUnsubscribeSchema,
    status: 204,
  },
  {
    method: 'post',
    path: '/api/v1/push/ack',
    access: 'public',
    tag: 'notify',
    summary:
      "The notification's ack action: the signed token from the push payload acknowledges the alert (or starts the report) as the person it was sent to; 403 when invalid or expired.",
    body: PushAckSchema,
    response: AckAnswer,
  },
  {
    method: 'get',
    path: '/api/v1/notifications',
    access: 'notifications.read',
    tag: 'notify',
    summary: 'The delivery log, newest first: channel, target, state, attempts and the last error (never a secret).',
    query: NotificationsQuerySchema,
    response: DeliveriesAnswer,
  },
  {
    method: 'post',
    path: '/api/v1/notifications/test',
    access: 'admin',
    tag: 'notify',
    summary:
      "Send a test message through one channel (target defaults to the caller's own contact); answers the deliveries after their first attempt.",
    body: NotifyTestSchema,
    response: DeliveriesAnswer,
  },
  {
    method: 'post',
    path: '/api/v1/notify/telegram',
    access: 'public',
    tag: 'notify',
    summary:
      'Telegram bot webhook: a press of the inline acknowledge button; checked by the X-Telegram-Bot-Api-Secret-Token header (notify.telegram.webhookSecret). 404 when not configured.',
    body: TelegramUpdateSchema,
    response: z.object({ ok: z.boolean() }),
  },
];

/** Acknowledges an item as a person (alerts: ack; reports: start); throws the service's errors (404, 409). */
export type AckHandler = (kind: 'alert' | 'report', id: string, username: string, identity: Identity) => Promise<void>;

export interface NotifyRouterDeps {
  notifier: NotifierService;
  config: NotifyConfig;
  state: Pick<StateStore, 'getUser'>;
  audit: AuditLog;
  ack: AckHandler;
  logger: Logger;
  clock?: () => number;
}

/** Bodies here are small: a subscription, a token, a Telegram update. */
const MAX_BODY_BYTES = 16 * 1024;
const jsonParser = express.json({ limit: MAX_BODY_BYTES });
/**
 * The app's JSON parser (1 MB) runs before this router, making express.json here a no-op, so the
 * declared length is checked too; a chunked body stays under the app's cap.
 */
const json: express.RequestHandler = (req, res, next) => {
  if (Number(req.get('content-length') ?? 0) > MAX_BODY_BYTES) {
    next(new HttpError(413, 'payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`));
    return;
  }
  jsonParser(req, res, next);
};
const TELEGRAM_TIMEOUT_MS = 10_000;

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw badRequest(parsed.error, where);
  return parsed.data;
}

/** The person behind a request; pushes go to people, so tokens are refused. */
function person(req: Request): Identity {
  const identity = identityOf(req);
  if (identity.kind !== 'session')
    throw new HttpError(403, 'forbidden', 'Push subscriptions belong to people: sign in as one.');
  return identity;
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createNotifyRouter(deps: NotifyRouterDeps): Router {
  const { notifier, audit } = deps;
  const clock = deps.clock ?? Date.now;
  const router = express.Router();
  const record = (
    req: Request,
    actor: string,
    action: AuditAction,
    target: string,
    details: Record<string, unknown> = {},
  ) => audit.record({ actor, action, target, ip: clientIp(req), details });

  /** The signed-in identity a token's user would have now: refused when gone, disabled or no longer allowed to act. */
  const actingAs = async (username: string): Promise<Identity> => {
    const user = await deps.state.getUser(username);
    if (user === undefined || user.disabled)
      throw new HttpError(403, 'forbidden', 'The person this acknowledgement was sent to may no longer act.');
    const identity: Identity = {
      kind: 'session',
      name: user.username,
      displayName: user.displayName,
      roles: user.roles,
      scopes: [],
      zones: user.zones,
    };
    if (!allows(identity, 'alerts.act'))
      throw new HttpError(403, 'forbidden', 'The person this acknowledgement was sent to may no longer act on items.');
    return identity;
  };
  const acknowledge = async (req: Request, kind: 'alert' | 'report', id: string, username: string, via: string) => {
    const identity = await actingAs(username);
    await deps.ack(kind, id, username, identity);
    record(req, username, kind === 'alert' ? 'alert.ack' : 'report.start', id, { via });
  };

  router.get('/push/vapid-public-key', (_req, res) => {
    res.json({ publicKey: notifier.vapidPublicKey() });
  });
  router.post('/push/subscriptions', json, async (req, res) => {
    const identity = person(req);
    const subscription = parse(PushSubscriptionSchema, req.body, 'body');
    if (!pushHostAllowed(subscription.endpoint, deps.config.push.allowedHosts)) {
      const message = `The push service ${new URL(subscription.endpoint).hostname} is not one this server posts to (notify.push.allowedHosts).`;
      throw new HttpError(400, 'bad_request', message, [{ path: 'endpoint', message: 'host not allowed' }]);
    }
    const saved = await notifier.subscriptions.save(identity.name, subscription, clock());
    record(req, identity.name, 'push.subscribe', saved.id, { origin: new URL(subscription.endpoint).origin });
    res.status(201).json({ id: saved.id });
  });
  router.delete('/push/subscriptions', json, async (req, res) => {
    const identity = person(req);
    const { endpoint } = parse(PushUnsubscribeSchema, req.body, 'body');
    if (!(await notifier.subscriptions.remove(identity.name, endpoint)))
      throw new HttpError(404, 'not_found', 'No push subscription of yours has this endpoint.');
    record(req, identity.name, 'push.unsubscribe', new URL(endpoint).origin);
    res.status(204).end();
  });
  router.post('/push/ack', json, async (req, res) => {
    const { token } = parse(PushAckSchema, req.body, 'body');
    const claim = notifier.ackTokens.verify(token, clock());
    if (claim === undefined)
      throw new HttpError(
        403,
        'forbidden',
        'This acknowledgement is invalid or has expired; open the item and acknowledge it there.',
      );
    await acknowledge(req, claim.kind, claim.id, claim.username, 'push');
    res.json({ kind: claim.kind, id: claim.id, by: claim.username });
  });

  router.get('/notifications', async (req, res) => {
    const query = parse(NotificationsQuerySchema, req.query, 'query');
    res.json({ deliveries: await notifier.list(query) });
  });
  router.post('/notifications/test', json, async (req, res) => {
    const body = parse(NotifyTestSchema, req.body, 'body');
    const actor = identityOf(req).name;
    const deliveries = await notifier.sendTest(body.channel, body.target, actor);
    record(req, actor, 'notify.test', body.channel, {
      target: deliveries[0]?.target ?? body.target ?? actor,
      states: deliveries.map((d) => d.state),
    });
    res.json({ deliveries });
  });

  router.post('/notify/telegram', json, async (req, res) => {
    const telegram = deps.config.telegram;
    if (telegram?.webhookSecret === undefined)
      throw new HttpError(
        404,
        'not_found',
        'The Telegram bot webhook is not configured (notify.telegram.webhookSecret).',
      );
    if (!sameSecret(req.get('x-telegram-bot-api-secret-token'), telegram.webhookSecret))
      throw new HttpError(401, 'unauthorized', 'Wrong or missing X-Telegram-Bot-Api-Secret-Token.');
    const update = parse(TelegramUpdateSchema, req.body, 'body');
    const query = update.callback_query;
    if (query === undefined) {
      res.json({ ok: true });
      return;
    }
    const text = await telegramAck(req, query).catch((err: { status?: number; message?: string }) =>
      err.status === 409
        ? 'Đã được xử lý trước đó / Already handled'
        : `Không xác nhận được / Not acknowledged: ${err.message ?? 'error'}`.slice(0, 190),
    );
    // Telegram shows the answer as a toast; without it the button keeps spinning.
    await callBotApi(
      telegram,
      'answerCallbackQuery',
      { callback_query_id: query.id, text },
      AbortSignal.timeout(TELEGRAM_TIMEOUT_MS),
    ).catch((err: Error) =>
      deps.logger.warn('Telegram answerCallbackQuery failed', {
        error: err.message.split(telegram.botToken).join('[redacted]'),
      }),
    );
    res.json({ ok: true });
  });

  /** Acts on a button press: the signed data names a delivery, which names the person and the item. */
  async function telegramAck(
    req: Request,
    query: NonNullable<z.output<typeof TelegramUpdateSchema>['callback_query']>,
  ): Promise<string> {
    const deliveryId = query.data === undefined ? undefined : notifier.ackTokens.verifyDelivery(query.data);
    const doc = deliveryId === undefined ? undefined : await notifier.getDelivery(deliveryId);
    const valid =
      doc !== undefined &&
      doc.channel === 'telegram' &&
      doc.username !== undefined &&
      doc.kind !== 'test' &&
      doc.at + ACK_TOKEN_TTL_MS > clock() &&
      (query.message === undefined || String(query.message.chat.id) === doc.address);
    if (!valid) throw new HttpError(403, 'forbidden', 'invalid or expired');
    await acknowledge(req, doc.kind as 'alert' | 'report', doc.itemId, doc.username as string, 'telegram');
    return 'Đã xác nhận / Acknowledged';
  }

  return router;
}

/** The ack action for alerts: the person must still see the alert (field users: theirs or their zones'). */
export function alertAcker(alerts: {
  findAlert(id: string): Promise<{ zone?: string; assignee?: string } | undefined>;
  ack(id: string, by: string, note?: string): Promise<unknown>;
}): AckHandler {
  return async (_kind, id, username, identity) => {
    const alert = await alerts.findAlert(id);
    if (alert === undefined || !canSeeItem(identity, alert))
      throw new HttpError(404, 'not_found', `alert "${id}" does not exist`);
    await alerts.ack(id, username);
  };
}

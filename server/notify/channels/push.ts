import webPush from 'web-push';
import type { PushPayload } from '../../../contract/index.js';
import { ACK_TOKEN_TTL_MS, type AckTokens } from '../ack-tokens.js';
import { DeliveryError, type DeliveryDoc } from '../delivery-record.js';
import type { PushSubscriptions } from '../push-subscriptions.js';
import { answerExcerpt, type Channel } from './types.js';

/*
 * Web Push: web-push builds the request (RFC 8291 aes128gcm payload, RFC 8292 VAPID header) and
 * fetch sends it, so the channel shares the other channels' timeout and error handling.
 */

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** Settings key of the VAPID key pair (JSON). */
export const VAPID_SETTING = 'notify.vapid';

/** Loads (or makes on first start, first writer wins across nodes) the VAPID key pair. */
export async function loadVapidKeys(state: {
  putSettingIfAbsent(key: string, value: string): Promise<string>;
}): Promise<VapidKeys> {
  const fresh = webPush.generateVAPIDKeys();
  const stored = JSON.parse(await state.putSettingIfAbsent(VAPID_SETTING, JSON.stringify(fresh))) as VapidKeys;
  return { publicKey: stored.publicKey, privateKey: stored.privateKey };
}

/** Whether an endpoint's host is one `notify.push.allowedHosts` lets the server post to (any when unset). */
export function pushHostAllowed(endpoint: string, allowedHosts: readonly string[] | undefined): boolean {
  if (allowedHosts === undefined) return true;
  const host = new URL(endpoint).hostname.toLowerCase();
  return allowedHosts.some((allowed) =>
    allowed.startsWith('*.') ? host.endsWith(allowed.slice(1)) : host === allowed,
  );
}

export interface PushChannelDeps {
  subscriptions: PushSubscriptions;
  vapid: VapidKeys;
  subject: string;
  /** How long the push service keeps it when the phone is offline (ms). */
  ttlMs: number;
  ackTokens: AckTokens;
  clock: () => number;
  allowedHosts?: readonly string[];
}

/** The payload the service worker shows; the ack token only when the recipient may act from it. */
export function pushPayload(doc: DeliveryDoc, ackTokens: AckTokens, now: number): PushPayload {
  const { message } = doc;
  const payload: PushPayload = {
    kind: message.kind,
    id: message.itemId,
    title: message.title,
    body: message.body,
    url: message.url,
  };
  if (message.ackable && message.kind !== 'test' && doc.username !== undefined) {
    payload.ackToken = ackTokens.sign({
      kind: message.kind,
      id: message.itemId,
      username: doc.username,
      exp: now + ACK_TOKEN_TTL_MS,
    });
  }
  return payload;
}

export function createPushChannel(deps: PushChannelDeps): Channel {
  return {
    async send(doc, signal) {
      const subscription = await deps.subscriptions.get(doc.address);
      if (subscription === undefined) throw new DeliveryError('the push subscription was removed', true);
      if (!pushHostAllowed(subscription.endpoint, deps.allowedHosts))
        throw new DeliveryError("the push endpoint's host is not in notify.push.allowedHosts", true);
      const request = webPush.generateRequestDetails(
        { endpoint: subscription.endpoint, keys: subscription.keys },
        JSON.stringify(pushPayload(doc, deps.ackTokens, deps.clock())),
        {
          vapidDetails: { subject: deps.subject, publicKey: deps.vapid.publicKey, privateKey: deps.vapid.privateKey },
          TTL: Math.round(deps.ttlMs / 1000),
          urgency: doc.message.ackable ? 'high' : 'normal',
        },
      );
      const res = await fetch(request.endpoint, {
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ?? null,
        signal,
        redirect: 'error',
      });
      if (res.status === 404 || res.status === 410) {
        await res.arrayBuffer();
        // RFC 8030 §7.3: the subscription is gone for good; forget it so nothing is sent to it again.
        await deps.subscriptions.drop(subscription.id);
        throw new DeliveryError(`the push service says the subscription is gone (${res.status}); removed`, true);
      }
      if (res.status < 200 || res.status >= 300)
        throw new DeliveryError(
          `push service answered ${res.status}: ${await answerExcerpt(res)}`,
          res.status === 400 || res.status === 413,
        );
      await res.arrayBuffer();
    },
  };
}

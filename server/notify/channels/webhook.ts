import { Webhook } from 'standardwebhooks';
import type { WebhookConfig } from '../../../config/field-schema.js';
import { DeliveryError, type DeliveryDoc } from '../delivery-record.js';
import { answerExcerpt, type Channel } from './types.js';

/*
 * Standard Webhooks: `webhook-id` is the delivery id (the same on every attempt, so receivers can
 * drop repeats), `webhook-timestamp` the attempt's time in seconds, `webhook-signature`
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the `whsec_` key; any non-2xx is retried.
 */

/** The body of a webhook for a notification that is not an item event (an escalation step, a test). */
export function messageBody(doc: Pick<DeliveryDoc, 'message'>, at: number): string {
  const { message } = doc;
  return JSON.stringify({
    type: message.event,
    timestamp: new Date(at).toISOString(),
    data: { kind: message.kind, id: message.itemId, title: message.title, body: message.body, url: message.url },
  });
}

export function createWebhookChannel(deps: { webhooks: readonly WebhookConfig[]; clock: () => number }): Channel {
  const signers = new Map(deps.webhooks.map((hook) => [hook.id, { hook, signer: new Webhook(hook.secret) }]));
  return {
    async send(doc, signal) {
      const found = signers.get(doc.address);
      if (found === undefined) throw new DeliveryError(`no webhook "${doc.address}" in notify.webhooks`, true);
      const body = doc.body ?? messageBody(doc, doc.at);
      const now = new Date(deps.clock());
      const res = await fetch(found.hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ioc-webhooks/1',
          'webhook-id': doc.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': found.signer.sign(doc.id, now, body),
        },
        body,
        signal,
        redirect: 'error',
      });
      if (res.status < 200 || res.status >= 300)
        throw new Error(`receiver answered ${res.status}: ${await answerExcerpt(res)}`);
      await res.arrayBuffer();
    },
  };
}

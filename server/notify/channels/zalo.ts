import { z } from 'zod';
import { DeliveryError } from '../delivery-record.js';
import { answerExcerpt, plainText, type Channel } from './types.js';

/*
 * A Zalo Official Account: a customer-service text message (OpenAPI v3 `message/cs`) to a follower.
 * Zalo answers 200 with `{error: <non-zero>, message}` when it refuses, so the body decides.
 */

const ZaloAnswerSchema = z.object({ error: z.number(), message: z.string().optional() });

export function createZaloChannel(deps: { accessToken: string; apiUrl: string }): Channel {
  return {
    async send(doc, signal) {
      const res = await fetch(`${deps.apiUrl.replace(/\/$/, '')}/v3.0/oa/message/cs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', access_token: deps.accessToken },
        body: JSON.stringify({ recipient: { user_id: doc.address }, message: { text: plainText(doc) } }),
        signal,
        redirect: 'error',
      });
      if (!res.ok) throw new Error(`Zalo answered ${res.status}: ${await answerExcerpt(res)}`);
      const parsed = ZaloAnswerSchema.safeParse(await res.json().catch(() => undefined));
      if (!parsed.success) throw new Error('Zalo answered without an error code');
      if (parsed.data.error !== 0)
        throw new DeliveryError(`Zalo refused (error ${parsed.data.error}): ${parsed.data.message ?? ''}`);
    },
  };
}

import { z } from 'zod';
import type { AckTokens } from '../ack-tokens.js';
import { DeliveryError } from '../delivery-record.js';
import { answerExcerpt, plainText, type Channel } from './types.js';

/*
 * A Telegram bot (Bot API `sendMessage`): the message, and for a person who may act on the item an
 * inline "acknowledge" button whose callback data is a short signed token naming the delivery.
 * The button's press comes back on `POST /api/v1/notify/telegram` (routes.ts).
 */

export const TELEGRAM_ACK_LABEL = 'Xác nhận / Acknowledge';

/** What the Bot API answers to every method: `ok` false carries the reason. */
const BotAnswerSchema = z.object({
  ok: z.boolean(),
  description: z.string().optional(),
  error_code: z.number().optional(),
});

export interface TelegramDeps {
  botToken: string;
  apiUrl: string;
  ackTokens: AckTokens;
}

/** Calls a Bot API method; throws with Telegram's description (never the token, which is in the URL). */
export async function callBotApi(
  deps: Pick<TelegramDeps, 'botToken' | 'apiUrl'>,
  method: string,
  body: unknown,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(`${deps.apiUrl.replace(/\/$/, '')}/bot${deps.botToken}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
    redirect: 'error',
  });
  const text = await answerExcerpt(res.clone());
  let answer: z.infer<typeof BotAnswerSchema> | undefined;
  try {
    const parsed = BotAnswerSchema.safeParse(await res.json());
    answer = parsed.success ? parsed.data : undefined;
  } catch {
    answer = undefined;
  }
  if (res.ok && answer?.ok === true) return;
  const reason = answer?.description ?? text;
  // 400 and 403 (chat not found, bot blocked by the user) stay so; the rest (429, 5xx) may pass.
  throw new DeliveryError(
    `Telegram ${method} answered ${res.status}: ${reason}`,
    res.status === 400 || res.status === 403,
  );
}

export function createTelegramChannel(deps: TelegramDeps): Channel {
  return {
    async send(doc, signal) {
      const ackable = doc.message.ackable && doc.message.kind !== 'test' && doc.username !== undefined;
      await callBotApi(
        deps,
        'sendMessage',
        {
          chat_id: doc.address,
          text: plainText(doc),
          ...(ackable
            ? {
                reply_markup: {
                  inline_keyboard: [[{ text: TELEGRAM_ACK_LABEL, callback_data: deps.ackTokens.signDelivery(doc.id) }]],
                },
              }
            : {}),
        },
        signal,
      );
    },
  };
}

import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { NotifierService } from '../../server/notify/notifier.js';
import type { NotifyMessage } from '../../server/notify/types.js';
import {
  startJsonFake,
  startPushServiceFake,
  startSmtpFake,
  type JsonFake,
  type PushServiceFake,
  type SmtpFake,
} from './notify-fakes.js';

/* Secrets, messages and far sides shared by the notification tests. */

/** Secrets of the test config: none may appear in an answer or the log. */
export const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;
export const BOT_TOKEN = `123456:${randomBytes(18).toString('base64url')}`;
export const ZALO_TOKEN = `zalo-${randomBytes(24).toString('base64url')}`;
export const TG_SECRET = `tg-secret-${randomBytes(12).toString('hex')}`;
export const ACK_LABEL = 'Xác nhận / Acknowledge';

export const alertMessage = (itemId: string, event = 'escalation.step1'): NotifyMessage => ({
  kind: 'alert',
  itemId,
  event,
  title: 'PM2.5 cao / high',
  body: 'Trạm al-1: 180 µg/m³',
  url: `https://ioc.example.vn/field/alert/${itemId}`,
  ackable: true,
});

export const reportMessage = (itemId: string): NotifyMessage => ({
  ...alertMessage(itemId, 'report.created'),
  kind: 'report',
  title: 'Ngập úng / Flooding',
});

export interface Fakes {
  smtp: SmtpFake;
  push: PushServiceFake;
  hooks: JsonFake;
  telegram: JsonFake;
  zalo: JsonFake;
}

export async function startFakes(): Promise<Fakes> {
  const [smtp, push, hooks, telegram, zalo] = await Promise.all([
    startSmtpFake(),
    startPushServiceFake(),
    startJsonFake(),
    startJsonFake(),
    startJsonFake(),
  ]);
  telegram.respond = () => ({ status: 200, json: { ok: true, result: { message_id: 1 } } });
  zalo.respond = () => ({ status: 200, json: { error: 0, message: 'Success', data: { message_id: 'm1' } } });
  return { smtp, push, hooks, telegram, zalo };
}

export const stopFakes = async (fakes: Fakes | undefined) => {
  if (fakes)
    await Promise.all([
      fakes.smtp.stop(),
      fakes.push.stop(),
      fakes.hooks.stop(),
      fakes.telegram.stop(),
      fakes.zalo.stop(),
    ]);
};

/** `notify` config pointing every channel at the fakes. */
export function notifyConfig(fakes: Fakes, extra: Record<string, unknown> = {}) {
  return {
    retry: { attempts: 3, backoff: 1000, maxBackoff: 4000, checkInterval: 200 },
    email: { smtpUrl: fakes.smtp.url, from: 'IOC Bắc Giang <ioc@bacgiang.example.vn>' },
    webhooks: [
      { id: 'ops', url: `${fakes.hooks.url}/ops`, secret: WHSEC, events: ['alert.firing', 'alert.acknowledged'] },
      { id: 'flaky', url: `${fakes.hooks.url}/flaky`, secret: WHSEC, events: ['report.created'] },
    ],
    telegram: {
      botToken: BOT_TOKEN,
      apiUrl: fakes.telegram.url,
      chats: { 'field-1': '777001' },
      webhookSecret: TG_SECRET,
    },
    zalo: { accessToken: ZALO_TOKEN, apiUrl: fakes.zalo.url, users: { 'field-1': '5550001' } },
    ...extra,
  };
}

/** No secret of the configuration in `text`. */
export function expectNoSecret(text: string, notifier?: NotifierService) {
  for (const secret of [WHSEC, WHSEC.slice(6), BOT_TOKEN, ZALO_TOKEN, TG_SECRET, ...(notifier?.secrets() ?? [])])
    expect(text).not.toContain(secret);
}

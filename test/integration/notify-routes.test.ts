import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Delivery } from '../../contract/index.js';
import { NotifyConfigSchema } from '../../config/field-schema.js';
import { silentLogger } from '../../config/logger.js';
import { createNotifier } from '../../server/notify/notifier.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import {
  alertMessage,
  BOT_TOKEN,
  expectNoSecret,
  notifyConfig,
  startFakes,
  stopFakes,
  TG_SECRET,
  WHSEC,
  type Fakes,
} from '../support/notify-setup.js';
import { waitFor } from '../support/ports.js';

/*
 * The notification routes of the running product: push subscriptions (field user), an admin's test
 * through every channel, acknowledging an alert from a push's ack token and from the Telegram
 * button without a session, the delivery log without secrets, refusals with their reasons.
 */

describe('notification routes in the product', () => {
  let fakes: Fakes;
  let product: TestIoc;
  let field: ApiSession;
  let operator: ApiSession;
  let fieldSubscription: { endpoint: string; keys: { p256dh: string; auth: string } };

  const RULE = {
    id: 'notify-pm',
    name: 'PM2.5 (notify test)',
    domain: 'sensor',
    match: { ids: ['nt-1', 'nt-2'] },
    condition: { field: 'pm25', op: '>', value: 100 },
    severity: 'critical',
  };

  beforeAll(async () => {
    fakes = await startFakes();
    product = await startTestIoc({
      mqtt: { port: 0 },
      rules: [RULE],
      notify: notifyConfig(fakes, { push: { allowedHosts: ['127.0.0.1'] } }),
    });
    field = await signIn(product.baseUrl, 'field-1', await product.api.createUser('field-1', ['field'], ['tran-phu']));
    operator = await signIn(product.baseUrl, 'op-1', await product.api.createUser('op-1', ['operator']));
  });
  afterAll(async () => {
    await product?.stop();
    await stopFakes(fakes);
  });

  it('keeps a field user’s push subscription and sends an admin’s test push to it', async () => {
    const key = (await (await field.fetch('/api/v1/push/vapid-public-key')).json()) as { publicKey: string };
    expect(Buffer.from(key.publicKey, 'base64url')).toHaveLength(65);
    fieldSubscription = fakes.push.subscribe('field-phone');
    const created = await field.fetch('/api/v1/push/subscriptions', {
      method: 'POST',
      json: { ...fieldSubscription, expirationTime: null },
    });
    expect(created.status).toBe(201);

    const bad = await field.fetch('/api/v1/push/subscriptions', {
      method: 'POST',
      json: { endpoint: 'ftp://x', keys: { p256dh: 'short' } },
    });
    expect(bad.status).toBe(400);
    const reason = (await bad.json()) as { error: { issues: { path: string }[] } };
    expect(reason.error.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['endpoint', 'keys.p256dh', 'keys.auth']),
    );
    const elsewhere = await field.fetch('/api/v1/push/subscriptions', {
      method: 'POST',
      json: { ...fieldSubscription, endpoint: 'http://10.0.0.5/admin' },
    });
    expect(elsewhere.status).toBe(400);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toContain(
      'notify.push.allowedHosts',
    );
    const token = await product.api.createToken(['read']);
    const byToken = await fetch(`${product.baseUrl}/api/v1/push/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(fieldSubscription),
    });
    expect(byToken.status).toBe(403);

    const test = await product.api.fetch('/api/v1/notifications/test', {
      method: 'POST',
      json: { channel: 'push', target: 'field-1' },
    });
    expect(test.status).toBe(200);
    const { deliveries } = (await test.json()) as { deliveries: Delivery[] };
    expect(deliveries).toEqual([
      expect.objectContaining({ kind: 'test', channel: 'push', target: 'field-1', state: 'sent', attempts: 1 }),
    ]);
    const push = fakes.push.received.find((p) => p.name === 'field-phone');
    expect(push?.vapidKey).toBe(key.publicKey);
    expect(push?.payload).toMatchObject({
      kind: 'test',
      title: 'Thử thông báo / Test notification',
      url: product.baseUrl.replace('127.0.0.1', 'localhost'),
    });
    expect(push?.payload.ackToken).toBeUndefined();

    const audit = (await (await product.api.fetch('/api/v1/audit?action=push.subscribe')).json()) as {
      entries: { actor: string }[];
    };
    expect(audit.entries[0]?.actor).toBe('field-1');
  });

  it('sends a test through email, webhook, Telegram and Zalo, refuses what it cannot send with the reason, and audits it', async () => {
    const send = async (json: unknown) => {
      const res = await product.api.fetch('/api/v1/notifications/test', { method: 'POST', json });
      return {
        status: res.status,
        body: (await res.json()) as {
          deliveries: Delivery[];
          error?: { message: string; issues?: { path: string }[] };
        },
      };
    };
    const email = await send({ channel: 'email', target: 'duty@bacgiang.example.vn' });
    expect(email.body.deliveries[0]).toMatchObject({ channel: 'email', state: 'sent' });
    const mail = await waitFor(
      () => fakes.smtp.messages.find((m) => m.subject === 'Thử thông báo / Test notification'),
      'the test mail',
    );
    expect(mail.html).toContain(`<a href="${product.baseUrl.replace('127.0.0.1', 'localhost')}">`);
    const hook = await send({ channel: 'webhook', target: 'ops' });
    expect(hook.body.deliveries[0]).toMatchObject({ channel: 'webhook', target: 'ops', state: 'sent' });
    const request = fakes.hooks.requests.at(-1);
    expect(
      (new Webhook(WHSEC).verify(request?.body ?? '', request?.headers as Record<string, string>) as { type: string })
        .type,
    ).toBe('test');
    expect((await send({ channel: 'telegram', target: '777002' })).body.deliveries[0]?.state).toBe('sent');
    const telegram = JSON.parse(fakes.telegram.requests.at(-1)?.body ?? '{}') as Record<string, unknown>;
    expect(telegram.chat_id).toBe('777002');
    expect(telegram.reply_markup).toBeUndefined();
    expect((await send({ channel: 'zalo', target: '5550002' })).body.deliveries[0]?.state).toBe('sent');

    const unknownChannel = await send({ channel: 'fax' });
    expect(unknownChannel.status).toBe(400);
    expect(unknownChannel.body.error?.issues?.[0]?.path).toBe('channel');
    expect(unknownChannel.body.error?.message).toContain('channel');
    const badAddress = await send({ channel: 'email', target: 'not-an-address' });
    expect(badAddress.status).toBe(400);
    expect(badAddress.body.error?.message).toContain('email address');
    const noHook = await send({ channel: 'webhook', target: 'nope' });
    expect(noHook.status).toBe(400);
    expect(
      (await field.fetch('/api/v1/notifications/test', { method: 'POST', json: { channel: 'email' } })).status,
    ).toBe(403);

    const audit = (await (await product.api.fetch('/api/v1/audit?action=notify.test')).json()) as {
      entries: { actor: string; target: string }[];
    };
    expect(audit.entries.map((e) => e.target).sort()).toEqual(['email', 'push', 'telegram', 'webhook', 'zalo']);
  });

  it("acknowledges an alert as its user from the push's ack token and from the Telegram button, without a session", async () => {
    const ts = Date.now() - 5_000;
    const ingest = await product.api.fetch('/api/v1/ingest', {
      method: 'POST',
      json: [1, 2].map((n) => ({
        domain: 'sensor',
        id: `nt-${n}`,
        ts,
        lat: 21.27,
        lon: 106.19,
        fields: { pm25: 180 },
      })),
    });
    expect(ingest.status).toBe(202);
    const alerts = await waitFor(async () => {
      const body = (await (await product.api.fetch('/api/v1/alerts?ruleId=notify-pm&state=firing')).json()) as {
        alerts: Alert[];
      };
      return body.alerts.length === 2 ? body.alerts : undefined;
    }, 'two firing alerts');
    for (const alert of alerts) {
      expect(
        (
          await product.api.fetch(`/api/v1/alerts/${alert.id}/assign`, {
            method: 'POST',
            json: { assignee: 'field-1' },
          })
        ).status,
      ).toBe(200);
    }
    const [pushed, pressed] = alerts as [Alert, Alert];

    // Another node on the same state store sends: same VAPID keys and ack key (kept in settings).
    const state = new SqliteStateStore({ dataDir: product.dataDir });
    await state.init();
    const node = await createNotifier({
      config: NotifyConfigSchema.parse(notifyConfig(fakes)),
      state,
      logger: silentLogger,
      publicUrl: () => product.baseUrl,
    });
    try {
      expect(node.vapidPublicKey()).toBe(
        ((await (await field.fetch('/api/v1/push/vapid-public-key')).json()) as { publicKey: string }).publicKey,
      );
      const made = await node.notify(
        { ...alertMessage(pushed.id), url: `${product.baseUrl}/field#alert/${pushed.id}` },
        ['user:field-1'],
        `${pushed.id}:step1`,
      );
      expect(made.find((d) => d.channel === 'push')?.state).toBe('sent');
      const push = await waitFor(() => fakes.push.received.find((p) => p.payload.id === pushed.id), 'the alert push');
      const ackToken = String(push.payload.ackToken);

      const forged = await fetch(`${product.baseUrl}/api/v1/push/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: `${ackToken.slice(0, -2)}xx` }),
      });
      expect(forged.status).toBe(403);
      const huge = await fetch(`${product.baseUrl}/api/v1/push/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: ackToken, pad: 'x'.repeat(20_000) }),
      });
      expect(huge.status).toBe(413);
      const ack = await fetch(`${product.baseUrl}/api/v1/push/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: ackToken }),
      });
      expect(ack.status).toBe(200);
      expect(await ack.json()).toEqual({ kind: 'alert', id: pushed.id, by: 'field-1' });
      const acked = (await (await operator.fetch(`/api/v1/alerts/${pushed.id}`)).json()) as Alert;
      expect(acked.state).toBe('acknowledged');
      expect(acked.history?.at(-1)).toMatchObject({ by: 'field-1' });
      const again = await fetch(`${product.baseUrl}/api/v1/push/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: ackToken }),
      });
      expect(again.status).toBe(409);

      // Telegram: the button's callback data comes back through the bot's webhook.
      await node.notify(
        { ...alertMessage(pressed.id), url: `${product.baseUrl}/field#alert/${pressed.id}` },
        ['user:field-1'],
        `${pressed.id}:step1`,
      );
      const sendMessage = fakes.telegram.requests
        .map(
          (r) =>
            JSON.parse(r.body) as { text?: string; reply_markup?: { inline_keyboard: { callback_data: string }[][] } },
        )
        .find((b) => b.text?.includes(pressed.id));
      const data = sendMessage?.reply_markup?.inline_keyboard[0]?.[0]?.callback_data ?? '';
      const update = {
        update_id: 1,
        callback_query: {
          id: 'cb-1',
          from: { id: 777001, is_bot: false, first_name: 'Cán bộ' },
          message: { message_id: 5, date: 1, chat: { id: 777001, type: 'private' } },
          chat_instance: 'x',
          data,
        },
      };
      const post = (secret: string | undefined) =>
        fetch(`${product.baseUrl}/api/v1/notify/telegram`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
          },
          body: JSON.stringify(update),
        });
      expect((await post(undefined)).status).toBe(401);
      expect((await post('wrong-secret-wrong-secret')).status).toBe(401);
      fakes.telegram.requests.length = 0;
      const callback = await post(TG_SECRET);
      expect(callback.status).toBe(200);
      expect(fakes.telegram.requests.map((r) => [r.path, JSON.parse(r.body) as unknown])).toEqual([
        [`/bot${BOT_TOKEN}/answerCallbackQuery`, { callback_query_id: 'cb-1', text: 'Đã xác nhận / Acknowledged' }],
      ]);
      const viaTelegram = (await (await operator.fetch(`/api/v1/alerts/${pressed.id}`)).json()) as Alert;
      expect(viaTelegram.state).toBe('acknowledged');
      expect(viaTelegram.history?.at(-1)).toMatchObject({ by: 'field-1' });

      const audit = (await (await product.api.fetch('/api/v1/audit?action=alert.ack')).json()) as {
        entries: { actor: string; target: string; details: { via?: string } }[];
      };
      expect(
        audit.entries
          .filter((e) => e.actor === 'field-1')
          .map((e) => [e.target, e.details.via])
          .sort(),
      ).toEqual(
        [
          [pushed.id, 'push'],
          [pressed.id, 'telegram'],
        ].sort(),
      );
    } finally {
      await node.close();
      await state.close();
    }
  });

  it('shows the delivery log to operators, filtered, without any secret; field users may not read it', async () => {
    const log = await operator.fetch('/api/v1/notifications?limit=500');
    expect(log.status).toBe(200);
    const text = await log.text();
    expectNoSecret(text);
    const { deliveries } = JSON.parse(text) as { deliveries: Delivery[] };
    expect(new Set(deliveries.map((d) => d.channel))).toEqual(
      new Set(['push', 'email', 'webhook', 'telegram', 'zalo']),
    );
    const tests = (await (await operator.fetch('/api/v1/notifications?channel=zalo&state=sent')).json()) as {
      deliveries: Delivery[];
    };
    expect(tests.deliveries.length).toBeGreaterThan(0);
    expect(tests.deliveries.every((d) => d.channel === 'zalo' && d.state === 'sent')).toBe(true);
    const bad = await operator.fetch('/api/v1/notifications?state=lost&limit=100000');
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path).sort(),
    ).toEqual(['limit', 'state']);
    expect((await field.fetch('/api/v1/notifications')).status).toBe(403);
    const key = await (await field.fetch('/api/v1/push/vapid-public-key')).text();
    expectNoSecret(key);
    expect(key).not.toContain('privateKey');
  });

  it('forgets a subscription on DELETE (only the owner’s)', async () => {
    expect(
      (
        await operator.fetch('/api/v1/push/subscriptions', {
          method: 'DELETE',
          json: { endpoint: fieldSubscription.endpoint },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await field.fetch('/api/v1/push/subscriptions', {
          method: 'DELETE',
          json: { endpoint: fieldSubscription.endpoint },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await field.fetch('/api/v1/push/subscriptions', {
          method: 'DELETE',
          json: { endpoint: fieldSubscription.endpoint },
        })
      ).status,
    ).toBe(404);
    const test = await product.api.fetch('/api/v1/notifications/test', {
      method: 'POST',
      json: { channel: 'push', target: 'field-1' },
    });
    expect(test.status).toBe(400);
  });
});

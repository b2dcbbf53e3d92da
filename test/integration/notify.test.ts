import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Delivery } from '../../contract/index.js';
import { NotifyConfigSchema } from '../../config/field-schema.js';
import { silentLogger } from '../../config/logger.js';
import { ACK_TOKEN_TTL_MS } from '../../server/notify/ack-tokens.js';
import { createNotifier, type NotifierService } from '../../server/notify/notifier.js';
import type { NotifyMessage } from '../../server/notify/types.js';
import { PostgresStateStore } from '../../server/state/postgres-state.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import type { StateStore } from '../../server/state/types.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { startJsonFake, startPushServiceFake, startSmtpFake, type JsonFake, type PushServiceFake, type SmtpFake } from '../support/notify-fakes.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

/*
 * The notification delivery path against real far sides in the test process: an SMTP server, a
 * push service that decrypts and checks VAPID, webhook receivers verifying with the standardwebhooks
 * package, and Telegram and Zalo API stand-ins checking the exact request shape. First the notifier
 * on real SQLite and PostgreSQL state stores with a test clock (retries, no duplicates across two
 * notifiers on two connections),
 * then the product's own routes.
 */

const WHSEC = `whsec_${randomBytes(32).toString('base64')}`;
const BOT_TOKEN = `123456:${randomBytes(18).toString('base64url')}`;
const ZALO_TOKEN = `zalo-${randomBytes(24).toString('base64url')}`;
const TG_SECRET = `tg-secret-${randomBytes(12).toString('hex')}`;
const ACK_LABEL = 'Xác nhận / Acknowledge';

const alertMessage = (itemId: string, event = 'escalation.step1'): NotifyMessage => ({
  kind: 'alert',
  itemId,
  event,
  title: 'PM2.5 cao / high',
  body: 'Trạm al-1: 180 µg/m³',
  url: `https://ioc.example.vn/field/alert/${itemId}`,
  ackable: true,
});

const reportMessage = (itemId: string): NotifyMessage => ({ ...alertMessage(itemId, 'report.created'), kind: 'report', title: 'Ngập úng / Flooding' });

interface Fakes {
  smtp: SmtpFake;
  push: PushServiceFake;
  hooks: JsonFake;
  telegram: JsonFake;
  zalo: JsonFake;
}

async function startFakes(): Promise<Fakes> {
  const [smtp, push, hooks, telegram, zalo] = await Promise.all([startSmtpFake(), startPushServiceFake(), startJsonFake(), startJsonFake(), startJsonFake()]);
  telegram.respond = () => ({ status: 200, json: { ok: true, result: { message_id: 1 } } });
  zalo.respond = () => ({ status: 200, json: { error: 0, message: 'Success', data: { message_id: 'm1' } } });
  return { smtp, push, hooks, telegram, zalo };
}

const stopFakes = async (fakes: Fakes | undefined) => {
  if (fakes) await Promise.all([fakes.smtp.stop(), fakes.push.stop(), fakes.hooks.stop(), fakes.telegram.stop(), fakes.zalo.stop()]);
};

function notifyConfig(fakes: Fakes, extra: Record<string, unknown> = {}) {
  return {
    retry: { attempts: 3, backoff: 1000, maxBackoff: 4000, checkInterval: 200 },
    email: { smtpUrl: fakes.smtp.url, from: 'IOC Bắc Giang <ioc@bacgiang.example.vn>' },
    webhooks: [
      { id: 'ops', url: `${fakes.hooks.url}/ops`, secret: WHSEC, events: ['alert.firing', 'alert.acknowledged'] },
      { id: 'flaky', url: `${fakes.hooks.url}/flaky`, secret: WHSEC, events: ['report.created'] },
    ],
    telegram: { botToken: BOT_TOKEN, apiUrl: fakes.telegram.url, chats: { 'field-1': '777001' }, webhookSecret: TG_SECRET },
    zalo: { accessToken: ZALO_TOKEN, apiUrl: fakes.zalo.url, users: { 'field-1': '5550001' } },
    ...extra,
  };
}

/** No secret of the configuration in `text`. */
function expectNoSecret(text: string, notifier?: NotifierService) {
  for (const secret of [WHSEC, WHSEC.slice(6), BOT_TOKEN, ZALO_TOKEN, TG_SECRET, ...(notifier?.secrets() ?? [])]) expect(text).not.toContain(secret);
}

describe.each(['sqlite', 'postgres'] as const)('the notifier on a real %s state store', (backend) => {
  let fakes: Fakes;
  let dir: string | undefined;
  let postgres: RunningPostgres | undefined;
  /** Another connection to the same store: a second node. */
  let openStore: () => Promise<StateStore>;
  const opened: StateStore[] = [];
  let state: StateStore;
  let notifier: NotifierService;
  let now = Date.now();
  const clock = () => now;

  beforeAll(async () => {
    fakes = await startFakes();
    if (backend === 'sqlite') {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-notify-'));
      dir = dataDir;
      openStore = () => Promise.resolve(new SqliteStateStore({ dataDir }));
    } else {
      postgres = await startPostgres();
      const url = await postgres.createDatabase('notify');
      openStore = () => Promise.resolve(new PostgresStateStore({ url }));
    }
    const open = openStore;
    openStore = async () => {
      const store = await open();
      await store.init();
      opened.push(store);
      return store;
    };
    state = await openStore();
    const at = Date.now();
    await state.createUser({ username: 'field-1', displayName: 'Cán bộ 1', roles: ['field'], zones: ['tran-phu'], email: 'field1@bacgiang.example.vn', disabled: false, source: 'local', createdAt: at, updatedAt: at });
    notifier = await createNotifier({ config: NotifyConfigSchema.parse(notifyConfig(fakes)), state, logger: silentLogger, publicUrl: () => 'https://ioc.example.vn', clock });
  });
  afterAll(async () => {
    await notifier?.close();
    for (const store of opened) await store.close();
    await stopFakes(fakes);
    await postgres?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reaches a user on every channel they have: push (decrypted, VAPID checked, ack token), email with the item's link, Telegram with an ack button, Zalo", async () => {
    const subscription = fakes.push.subscribe('phone-1');
    await notifier.subscriptions.save('field-1', { ...subscription, expirationTime: null }, now);
    const deliveries = await notifier.notify(alertMessage('alert-1'), ['user:field-1'], 'alert-1:step1');
    expect(deliveries.map((d) => [d.channel, d.target, d.state, d.attempts]).sort()).toEqual([
      ['email', 'field-1', 'sent', 1],
      ['push', 'field-1', 'sent', 1],
      ['telegram', 'field-1', 'sent', 1],
      ['zalo', 'field-1', 'sent', 1],
    ]);

    expect(fakes.push.refused).toEqual([]);
    const push = fakes.push.received.at(-1);
    expect(push?.payload).toMatchObject({ kind: 'alert', id: 'alert-1', title: 'PM2.5 cao / high', url: 'https://ioc.example.vn/field/alert/alert-1' });
    expect(push?.vapidKey).toBe(notifier.vapidPublicKey());
    expect(push?.claims.aud).toBe(fakes.push.origin);
    expect(push?.claims.sub).toBe('mailto:ioc@localhost');
    const claim = notifier.ackTokens.verify(String(push?.payload.ackToken), now);
    expect(claim).toMatchObject({ kind: 'alert', id: 'alert-1', username: 'field-1' });
    expect(notifier.ackTokens.verify(String(push?.payload.ackToken).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), now)).toBeUndefined();
    expect(claim?.exp).toBe(now + ACK_TOKEN_TTL_MS);
    expect(notifier.ackTokens.verify(String(push?.payload.ackToken), now + ACK_TOKEN_TTL_MS)).toBeUndefined();

    const mail = await waitFor(() => fakes.smtp.messages.find((m) => m.subject === 'PM2.5 cao / high'), 'the mail');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('field1@bacgiang.example.vn');
    expect(mail.from?.text).toContain('ioc@bacgiang.example.vn');
    expect(mail.text).toContain('https://ioc.example.vn/field/alert/alert-1');
    expect(mail.html).toContain('<a href="https://ioc.example.vn/field/alert/alert-1">');

    const sent = fakes.telegram.requests.at(-1);
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    const message = JSON.parse(sent?.body ?? '{}') as { chat_id: string; text: string; reply_markup: { inline_keyboard: { text: string; callback_data: string }[][] } };
    expect(message.chat_id).toBe('777001');
    expect(message.text).toBe('PM2.5 cao / high\nTrạm al-1: 180 µg/m³\nhttps://ioc.example.vn/field/alert/alert-1');
    const button = message.reply_markup.inline_keyboard[0]?.[0];
    expect(button?.text).toBe(ACK_LABEL);
    expect(Buffer.byteLength(button?.callback_data ?? '')).toBeLessThanOrEqual(64);
    const telegramDelivery = deliveries.find((d) => d.channel === 'telegram');
    expect(notifier.ackTokens.verifyDelivery(button?.callback_data ?? '')).toBe(telegramDelivery?.id);

    const zalo = fakes.zalo.requests.at(-1);
    expect(zalo?.path).toBe('/v3.0/oa/message/cs');
    expect(zalo?.headers.access_token).toBe(ZALO_TOKEN);
    expect(JSON.parse(zalo?.body ?? '{}')).toEqual({ recipient: { user_id: '5550001' }, message: { text: 'PM2.5 cao / high\nTrạm al-1: 180 µg/m³\nhttps://ioc.example.vn/field/alert/alert-1' } });
  });

  it('signs webhooks as Standard Webhooks, verified by the standardwebhooks package', async () => {
    fakes.hooks.requests.length = 0;
    const alert = { id: 'alert-2', ruleId: 'r', domain: 'sensor', entityId: 'e', severity: 'critical', state: 'firing', startedAt: now, updatedAt: now, message: 'm' } as unknown as Alert;
    const [delivery] = await notifier.publish('alert.firing', { kind: 'alert', item: alert }, 'alert-2:firing');
    expect(delivery).toMatchObject({ channel: 'webhook', target: 'ops', state: 'sent', attempts: 1, event: 'alert.firing' });
    const request = fakes.hooks.requests[0];
    expect(request?.path).toBe('/ops');
    const headers = request?.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe(delivery?.id);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const verified = new Webhook(WHSEC).verify(request?.body ?? '', headers) as { type: string; data: { id: string; kind: string } };
    expect(verified.type).toBe('alert.firing');
    expect(verified.data).toMatchObject({ kind: 'alert', id: 'alert-2' });
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(request?.body ?? '', headers)).toThrow();
    // Only webhooks subscribed to the event get it.
    expect(await notifier.publish('alert.resolved', { kind: 'alert', item: alert }, 'alert-2:resolved')).toEqual([]);
  });

  it('retries with doubling backoff until the receiver answers 2xx, the same webhook-id each time', async () => {
    fakes.hooks.requests.length = 0;
    let failures = 2;
    fakes.hooks.respond = (request) => (request.path === '/flaky' && failures-- > 0 ? { status: 503, json: { error: 'busy' } } : { status: 204 });
    const start = now;
    const [first] = await notifier.notify(reportMessage('report-1'), ['webhook:flaky'], 'report-1:created');
    expect(first).toMatchObject({ state: 'retrying', attempts: 1, nextAttemptAt: start + 1000 });
    expect(first?.lastError).toContain('503');

    now = start + 999;
    expect(await notifier.runDue()).toBe(0);
    now = start + 1000;
    expect(await notifier.runDue()).toBe(1);
    const [second] = await notifier.list({ reportId: 'report-1', limit: 10 });
    expect(second).toMatchObject({ state: 'retrying', attempts: 2, nextAttemptAt: start + 1000 + 2000 });

    now = start + 3000;
    expect(await notifier.runDue()).toBe(1);
    const [third] = await notifier.list({ reportId: 'report-1', limit: 10 });
    expect(third).toMatchObject({ state: 'sent', attempts: 3, sentAt: start + 3000 });
    expect(third?.lastError).toBeUndefined();
    expect(fakes.hooks.requests.map((r) => [r.path, r.headers['webhook-id']])).toEqual([
      ['/flaky', first?.id],
      ['/flaky', first?.id],
      ['/flaky', first?.id],
    ]);
    for (const request of fakes.hooks.requests) expect(() => new Webhook(WHSEC).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
  });

  it('gives up after notify.retry.attempts and says why', async () => {
    fakes.hooks.respond = () => ({ status: 500, json: { error: 'down' } });
    const start = now;
    const [first] = await notifier.notify(reportMessage('report-2'), ['webhook:flaky'], 'report-2:x');
    now = start + 1000;
    await notifier.runDue();
    now = start + 3000;
    await notifier.runDue();
    const [last] = await notifier.list({ reportId: 'report-2', limit: 10 });
    expect(last).toMatchObject({ id: first?.id, state: 'failed', attempts: 3 });
    expect(last?.lastError).toContain('500');
    expect(last?.nextAttemptAt).toBeUndefined();
    now = start + 60_000;
    expect(await notifier.runDue()).toBe(0);
    fakes.hooks.respond = () => ({ status: 204 });
  });

  it('never sends twice for one dedupe key: again, from a second notifier on the same store, or when two retry loops race', async () => {
    fakes.hooks.requests.length = 0;
    const other = await createNotifier({ config: NotifyConfigSchema.parse(notifyConfig(fakes)), state: await openStore(), logger: silentLogger, publicUrl: () => 'https://ioc.example.vn', clock });
    try {
      expect(other.vapidPublicKey()).toBe(notifier.vapidPublicKey());
      const made = await notifier.notify(alertMessage('alert-3'), ['webhook:ops', 'email:duty@bacgiang.example.vn'], 'alert-3:step1');
      expect(made).toHaveLength(2);
      expect(await notifier.notify(alertMessage('alert-3'), ['webhook:ops', 'email:duty@bacgiang.example.vn'], 'alert-3:step1')).toEqual([]);
      expect(await other.notify(alertMessage('alert-3'), ['webhook:ops'], 'alert-3:step1')).toEqual([]);
      const both = await Promise.all([
        notifier.notify(alertMessage('alert-4'), ['webhook:ops'], 'alert-4:step1'),
        other.notify(alertMessage('alert-4'), ['webhook:ops'], 'alert-4:step1'),
      ]);
      expect(both.flat()).toHaveLength(1);
      expect(fakes.hooks.requests).toHaveLength(2);

      // A failed delivery due again is claimed by exactly one of two nodes.
      fakes.hooks.respond = () => ({ status: 502 });
      const start = now;
      await notifier.notify(alertMessage('alert-5'), ['webhook:ops'], 'alert-5:step1');
      fakes.hooks.respond = () => ({ status: 204 });
      now = start + 1000;
      const attempted = await Promise.all([notifier.runDue(), other.runDue()]);
      expect(attempted[0] + attempted[1]).toBe(1);
      expect(fakes.hooks.requests.filter((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id === 'alert-5')).toHaveLength(2);
      const [done] = await notifier.list({ alertId: 'alert-5', limit: 5 });
      expect(done).toMatchObject({ state: 'sent', attempts: 2 });
    } finally {
      await other.close();
    }
  });

  it('removes a subscription the push service says is gone (410) and retries neither it nor a refused mailbox', async () => {
    const gone = fakes.push.subscribe('old-phone');
    fakes.push.statusFor.set('old-phone', 410);
    const saved = await notifier.subscriptions.save('field-1', gone, now);
    const deliveries = await notifier.notify(alertMessage('alert-6'), ['user:field-1'], 'alert-6:step1');
    const toGone = deliveries.find((d) => d.channel === 'push' && d.state === 'failed');
    expect(toGone?.attempts).toBe(1);
    expect(toGone?.lastError).toContain('410');
    expect(await notifier.subscriptions.get(saved.id)).toBeUndefined();
    // A mailbox the SMTP server refuses for good (550) is not retried either.
    const [refused] = await notifier.notify(alertMessage('alert-6'), ['email:unknown@bacgiang.example.vn'], 'alert-6:step2');
    expect(refused).toMatchObject({ channel: 'email', state: 'failed', attempts: 1 });
    expect(refused?.lastError).toContain('550');
    expect((await notifier.subscriptions.ofUser('field-1')).map((s) => s.endpoint)).not.toContain(gone.endpoint);
  });

  it('treats a Zalo answer with a non-zero error as a failure, and keeps every secret out of the log', async () => {
    fakes.zalo.respond = () => ({ status: 200, json: { error: -216, message: 'Access token is invalid' } });
    fakes.telegram.respond = () => ({ status: 401, json: { ok: false, error_code: 401, description: 'Unauthorized' } });
    const deliveries = await notifier.notify(alertMessage('alert-7'), ['zalo:5550009', 'telegram:777009', 'email:nobody@bacgiang.example.vn'], 'alert-7:step1');
    const zalo = deliveries.find((d) => d.channel === 'zalo');
    expect(zalo).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(zalo?.lastError).toContain('error -216');
    const telegram = deliveries.find((d) => d.channel === 'telegram');
    expect(telegram?.state).toBe('retrying');
    expect(telegram?.lastError).toContain('Unauthorized');
    fakes.zalo.respond = () => ({ status: 200, json: { error: 0, message: 'Success' } });
    fakes.telegram.respond = () => ({ status: 200, json: { ok: true, result: {} } });
    // A target whose channel cannot reach it is logged as failed, not dropped.
    const [unknown] = await notifier.notify(alertMessage('alert-8'), ['webhook:nope'], 'alert-8:step1');
    expect(unknown).toMatchObject({ state: 'failed', attempts: 0, lastError: 'no webhook "nope" in notify.webhooks' });

    const log = await notifier.list({ limit: 1000 });
    expect(log.length).toBeGreaterThan(10);
    const stored = JSON.stringify(await state.listRecords('delivery', { limit: 1000 }));
    expectNoSecret(JSON.stringify(log), notifier);
    expectNoSecret(stored, notifier);
  });
});

describe('notification routes in the product', () => {
  let fakes: Fakes;
  let product: TestIoc;
  let field: ApiSession;
  let operator: ApiSession;
  let fieldSubscription: { endpoint: string; keys: { p256dh: string; auth: string } };

  const RULE = { id: 'notify-pm', name: 'PM2.5 (notify test)', domain: 'sensor', match: { ids: ['nt-1', 'nt-2'] }, condition: { field: 'pm25', op: '>', value: 100 }, severity: 'critical' };

  beforeAll(async () => {
    fakes = await startFakes();
    product = await startTestIoc({ mqtt: { port: 0 }, rules: [RULE], notify: notifyConfig(fakes, { push: { allowedHosts: ['127.0.0.1'] } }) });
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
    const created = await field.fetch('/api/v1/push/subscriptions', { method: 'POST', json: { ...fieldSubscription, expirationTime: null } });
    expect(created.status).toBe(201);

    const bad = await field.fetch('/api/v1/push/subscriptions', { method: 'POST', json: { endpoint: 'ftp://x', keys: { p256dh: 'short' } } });
    expect(bad.status).toBe(400);
    const reason = (await bad.json()) as { error: { issues: { path: string }[] } };
    expect(reason.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['endpoint', 'keys.p256dh', 'keys.auth']));
    const elsewhere = await field.fetch('/api/v1/push/subscriptions', { method: 'POST', json: { ...fieldSubscription, endpoint: 'http://10.0.0.5/admin' } });
    expect(elsewhere.status).toBe(400);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toContain('notify.push.allowedHosts');
    const token = await product.api.createToken(['read']);
    const byToken = await fetch(`${product.baseUrl}/api/v1/push/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(fieldSubscription) });
    expect(byToken.status).toBe(403);

    const test = await product.api.fetch('/api/v1/notifications/test', { method: 'POST', json: { channel: 'push', target: 'field-1' } });
    expect(test.status).toBe(200);
    const { deliveries } = (await test.json()) as { deliveries: Delivery[] };
    expect(deliveries).toEqual([expect.objectContaining({ kind: 'test', channel: 'push', target: 'field-1', state: 'sent', attempts: 1 })]);
    const push = fakes.push.received.find((p) => p.name === 'field-phone');
    expect(push?.vapidKey).toBe(key.publicKey);
    expect(push?.payload).toMatchObject({ kind: 'test', title: 'Thử thông báo / Test notification', url: product.baseUrl.replace('127.0.0.1', 'localhost') });
    expect(push?.payload.ackToken).toBeUndefined();

    const audit = (await (await product.api.fetch('/api/v1/audit?action=push.subscribe')).json()) as { entries: { actor: string }[] };
    expect(audit.entries[0]?.actor).toBe('field-1');
  });

  it('sends a test through email, webhook, Telegram and Zalo, refuses what it cannot send with the reason, and audits it', async () => {
    const send = async (json: unknown) => {
      const res = await product.api.fetch('/api/v1/notifications/test', { method: 'POST', json });
      return { status: res.status, body: (await res.json()) as { deliveries: Delivery[]; error?: { message: string; issues?: { path: string }[] } } };
    };
    const email = await send({ channel: 'email', target: 'duty@bacgiang.example.vn' });
    expect(email.body.deliveries[0]).toMatchObject({ channel: 'email', state: 'sent' });
    const mail = await waitFor(() => fakes.smtp.messages.find((m) => m.subject === 'Thử thông báo / Test notification'), 'the test mail');
    expect(mail.html).toContain(`<a href="${product.baseUrl.replace('127.0.0.1', 'localhost')}">`);
    const hook = await send({ channel: 'webhook', target: 'ops' });
    expect(hook.body.deliveries[0]).toMatchObject({ channel: 'webhook', target: 'ops', state: 'sent' });
    const request = fakes.hooks.requests.at(-1);
    expect((new Webhook(WHSEC).verify(request?.body ?? '', request?.headers as Record<string, string>) as { type: string }).type).toBe('test');
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
    expect((await field.fetch('/api/v1/notifications/test', { method: 'POST', json: { channel: 'email' } })).status).toBe(403);

    const audit = (await (await product.api.fetch('/api/v1/audit?action=notify.test')).json()) as { entries: { actor: string; target: string }[] };
    expect(audit.entries.map((e) => e.target).sort()).toEqual(['email', 'push', 'telegram', 'webhook', 'zalo']);
  });

  it("acknowledges an alert as its user from the push's ack token and from the Telegram button, without a session", async () => {
    const ts = Date.now() - 5_000;
    const ingest = await product.api.fetch('/api/v1/ingest', { method: 'POST', json: [1, 2].map((n) => ({ domain: 'sensor', id: `nt-${n}`, ts, lat: 21.27, lon: 106.19, fields: { pm25: 180 } })) });
    expect(ingest.status).toBe(202);
    const alerts = await waitFor(async () => {
      const body = (await (await product.api.fetch('/api/v1/alerts?ruleId=notify-pm&state=firing')).json()) as { alerts: Alert[] };
      return body.alerts.length === 2 ? body.alerts : undefined;
    }, 'two firing alerts');
    for (const alert of alerts) {
      expect((await product.api.fetch(`/api/v1/alerts/${alert.id}/assign`, { method: 'POST', json: { assignee: 'field-1' } })).status).toBe(200);
    }
    const [pushed, pressed] = alerts as [Alert, Alert];

    // Another node on the same state store sends: same VAPID keys and ack key (kept in settings).
    const state = new SqliteStateStore({ dataDir: product.dataDir });
    await state.init();
    const node = await createNotifier({ config: NotifyConfigSchema.parse(notifyConfig(fakes)), state, logger: silentLogger, publicUrl: () => product.baseUrl });
    try {
      expect(node.vapidPublicKey()).toBe(((await (await field.fetch('/api/v1/push/vapid-public-key')).json()) as { publicKey: string }).publicKey);
      const made = await node.notify({ ...alertMessage(pushed.id), url: `${product.baseUrl}/field#alert/${pushed.id}` }, ['user:field-1'], `${pushed.id}:step1`);
      expect(made.find((d) => d.channel === 'push')?.state).toBe('sent');
      const push = await waitFor(() => fakes.push.received.find((p) => p.payload.id === pushed.id), 'the alert push');
      const ackToken = String(push.payload.ackToken);

      const forged = await fetch(`${product.baseUrl}/api/v1/push/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: `${ackToken.slice(0, -2)}xx` }) });
      expect(forged.status).toBe(403);
      const huge = await fetch(`${product.baseUrl}/api/v1/push/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ackToken, pad: 'x'.repeat(20_000) }) });
      expect(huge.status).toBe(413);
      const ack = await fetch(`${product.baseUrl}/api/v1/push/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ackToken }) });
      expect(ack.status).toBe(200);
      expect(await ack.json()).toEqual({ kind: 'alert', id: pushed.id, by: 'field-1' });
      const acked = (await (await operator.fetch(`/api/v1/alerts/${pushed.id}`)).json()) as Alert;
      expect(acked.state).toBe('acknowledged');
      expect(acked.history?.at(-1)).toMatchObject({ by: 'field-1' });
      const again = await fetch(`${product.baseUrl}/api/v1/push/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ackToken }) });
      expect(again.status).toBe(409);

      // Telegram: the button's callback data comes back through the bot's webhook.
      await node.notify({ ...alertMessage(pressed.id), url: `${product.baseUrl}/field#alert/${pressed.id}` }, ['user:field-1'], `${pressed.id}:step1`);
      const sendMessage = fakes.telegram.requests.map((r) => JSON.parse(r.body) as { text?: string; reply_markup?: { inline_keyboard: { callback_data: string }[][] } }).find((b) => b.text?.includes(pressed.id));
      const data = sendMessage?.reply_markup?.inline_keyboard[0]?.[0]?.callback_data ?? '';
      const update = { update_id: 1, callback_query: { id: 'cb-1', from: { id: 777001, is_bot: false, first_name: 'Cán bộ' }, message: { message_id: 5, date: 1, chat: { id: 777001, type: 'private' } }, chat_instance: 'x', data } };
      const post = (secret: string | undefined) =>
        fetch(`${product.baseUrl}/api/v1/notify/telegram`, { method: 'POST', headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) }, body: JSON.stringify(update) });
      expect((await post(undefined)).status).toBe(401);
      expect((await post('wrong-secret-wrong-secret')).status).toBe(401);
      fakes.telegram.requests.length = 0;
      const callback = await post(TG_SECRET);
      expect(callback.status).toBe(200);
      expect(fakes.telegram.requests.map((r) => [r.path, JSON.parse(r.body) as unknown])).toEqual([[`/bot${BOT_TOKEN}/answerCallbackQuery`, { callback_query_id: 'cb-1', text: 'Đã xác nhận / Acknowledged' }]]);
      const viaTelegram = (await (await operator.fetch(`/api/v1/alerts/${pressed.id}`)).json()) as Alert;
      expect(viaTelegram.state).toBe('acknowledged');
      expect(viaTelegram.history?.at(-1)).toMatchObject({ by: 'field-1' });

      const audit = (await (await product.api.fetch('/api/v1/audit?action=alert.ack')).json()) as { entries: { actor: string; target: string; details: { via?: string } }[] };
      expect(audit.entries.filter((e) => e.actor === 'field-1').map((e) => [e.target, e.details.via]).sort()).toEqual(
        [[pushed.id, 'push'], [pressed.id, 'telegram']].sort(),
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
    expect(new Set(deliveries.map((d) => d.channel))).toEqual(new Set(['push', 'email', 'webhook', 'telegram', 'zalo']));
    const tests = (await (await operator.fetch('/api/v1/notifications?channel=zalo&state=sent')).json()) as { deliveries: Delivery[] };
    expect(tests.deliveries.length).toBeGreaterThan(0);
    expect(tests.deliveries.every((d) => d.channel === 'zalo' && d.state === 'sent')).toBe(true);
    const bad = await operator.fetch('/api/v1/notifications?state=lost&limit=100000');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path).sort()).toEqual(['limit', 'state']);
    expect((await field.fetch('/api/v1/notifications')).status).toBe(403);
    const key = await (await field.fetch('/api/v1/push/vapid-public-key')).text();
    expectNoSecret(key);
    expect(key).not.toContain('privateKey');
  });

  it('forgets a subscription on DELETE (only the owner’s)', async () => {
    expect((await operator.fetch('/api/v1/push/subscriptions', { method: 'DELETE', json: { endpoint: fieldSubscription.endpoint } })).status).toBe(404);
    expect((await field.fetch('/api/v1/push/subscriptions', { method: 'DELETE', json: { endpoint: fieldSubscription.endpoint } })).status).toBe(204);
    expect((await field.fetch('/api/v1/push/subscriptions', { method: 'DELETE', json: { endpoint: fieldSubscription.endpoint } })).status).toBe(404);
    const test = await product.api.fetch('/api/v1/notifications/test', { method: 'POST', json: { channel: 'push', target: 'field-1' } });
    expect(test.status).toBe(400);
  });
});

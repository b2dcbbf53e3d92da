import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../contract/index.js';
import { NotifyConfigSchema } from '../../config/field-schema.js';
import { silentLogger } from '../../config/logger.js';
import { ACK_TOKEN_TTL_MS } from '../../server/notify/ack-tokens.js';
import { createNotifier, type NotifierService } from '../../server/notify/notifier.js';
import { PostgresStateStore } from '../../server/state/postgres-state.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import type { StateStore } from '../../server/state/types.js';
import {
  ACK_LABEL,
  alertMessage,
  BOT_TOKEN,
  expectNoSecret,
  notifyConfig,
  reportMessage,
  startFakes,
  stopFakes,
  WHSEC,
  ZALO_TOKEN,
  type Fakes,
} from '../support/notify-setup.js';
import { waitFor } from '../support/ports.js';
import { startPostgres, type RunningPostgres } from '../support/postgres.js';

/*
 * The notifier against real far sides in the test process (an SMTP server, a push service that
 * decrypts and checks VAPID, webhook receivers verifying with the standardwebhooks package, Telegram
 * and Zalo API stand-ins checking the exact request shape), on real SQLite and PostgreSQL state
 * stores with a test clock: retries with backoff, no duplicates across two notifiers on two
 * connections. The product's routes are in notify-routes.test.ts.
 */

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
    await state.createUser({
      username: 'field-1',
      displayName: 'Cán bộ 1',
      roles: ['field'],
      zones: ['tran-phu'],
      email: 'field1@bacgiang.example.vn',
      disabled: false,
      source: 'local',
      createdAt: at,
      updatedAt: at,
    });
    notifier = await createNotifier({
      config: NotifyConfigSchema.parse(notifyConfig(fakes)),
      state,
      logger: silentLogger,
      publicUrl: () => 'https://ioc.example.vn',
      clock,
    });
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
    expect(push?.payload).toMatchObject({
      kind: 'alert',
      id: 'alert-1',
      title: 'PM2.5 cao / high',
      url: 'https://ioc.example.vn/field/alert/alert-1',
    });
    expect(push?.vapidKey).toBe(notifier.vapidPublicKey());
    expect(push?.claims.aud).toBe(fakes.push.origin);
    expect(push?.claims.sub).toBe('mailto:ioc@localhost');
    const claim = notifier.ackTokens.verify(String(push?.payload.ackToken), now);
    expect(claim).toMatchObject({ kind: 'alert', id: 'alert-1', username: 'field-1' });
    expect(
      notifier.ackTokens.verify(
        String(push?.payload.ackToken).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        now,
      ),
    ).toBeUndefined();
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
    const message = JSON.parse(sent?.body ?? '{}') as {
      chat_id: string;
      text: string;
      reply_markup: { inline_keyboard: { text: string; callback_data: string }[][] };
    };
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
    expect(JSON.parse(zalo?.body ?? '{}')).toEqual({
      recipient: { user_id: '5550001' },
      message: { text: 'PM2.5 cao / high\nTrạm al-1: 180 µg/m³\nhttps://ioc.example.vn/field/alert/alert-1' },
    });
  });

  it('signs webhooks as Standard Webhooks, verified by the standardwebhooks package', async () => {
    fakes.hooks.requests.length = 0;
    const alert = {
      id: 'alert-2',
      ruleId: 'r',
      domain: 'sensor',
      entityId: 'e',
      severity: 'critical',
      state: 'firing',
      startedAt: now,
      updatedAt: now,
      message: 'm',
    } as unknown as Alert;
    const [delivery] = await notifier.publish('alert.firing', { kind: 'alert', item: alert }, 'alert-2:firing');
    expect(delivery).toMatchObject({
      channel: 'webhook',
      target: 'ops',
      state: 'sent',
      attempts: 1,
      event: 'alert.firing',
    });
    const request = fakes.hooks.requests[0];
    expect(request?.path).toBe('/ops');
    const headers = request?.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe(delivery?.id);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    const verified = new Webhook(WHSEC).verify(request?.body ?? '', headers) as {
      type: string;
      data: { id: string; kind: string };
    };
    expect(verified.type).toBe('alert.firing');
    expect(verified.data).toMatchObject({ kind: 'alert', id: 'alert-2' });
    expect(() =>
      new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(request?.body ?? '', headers),
    ).toThrow();
    // Only webhooks subscribed to the event get it.
    expect(await notifier.publish('alert.resolved', { kind: 'alert', item: alert }, 'alert-2:resolved')).toEqual([]);
  });

  it('retries with doubling backoff until the receiver answers 2xx, the same webhook-id each time', async () => {
    fakes.hooks.requests.length = 0;
    let failures = 2;
    fakes.hooks.respond = (request) =>
      request.path === '/flaky' && failures-- > 0 ? { status: 503, json: { error: 'busy' } } : { status: 204 };
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
    for (const request of fakes.hooks.requests)
      expect(() => new Webhook(WHSEC).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
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
    const other = await createNotifier({
      config: NotifyConfigSchema.parse(notifyConfig(fakes)),
      state: await openStore(),
      logger: silentLogger,
      publicUrl: () => 'https://ioc.example.vn',
      clock,
    });
    try {
      expect(other.vapidPublicKey()).toBe(notifier.vapidPublicKey());
      const made = await notifier.notify(
        alertMessage('alert-3'),
        ['webhook:ops', 'email:duty@bacgiang.example.vn'],
        'alert-3:step1',
      );
      expect(made).toHaveLength(2);
      expect(
        await notifier.notify(
          alertMessage('alert-3'),
          ['webhook:ops', 'email:duty@bacgiang.example.vn'],
          'alert-3:step1',
        ),
      ).toEqual([]);
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
      expect(
        fakes.hooks.requests.filter((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id === 'alert-5'),
      ).toHaveLength(2);
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
    const [refused] = await notifier.notify(
      alertMessage('alert-6'),
      ['email:unknown@bacgiang.example.vn'],
      'alert-6:step2',
    );
    expect(refused).toMatchObject({ channel: 'email', state: 'failed', attempts: 1 });
    expect(refused?.lastError).toContain('550');
    expect((await notifier.subscriptions.ofUser('field-1')).map((s) => s.endpoint)).not.toContain(gone.endpoint);
  });

  it('treats a Zalo answer with a non-zero error as a failure, and keeps every secret out of the log', async () => {
    fakes.zalo.respond = () => ({ status: 200, json: { error: -216, message: 'Access token is invalid' } });
    // A proxy's error page may echo the request line, bot token and all.
    fakes.telegram.respond = (request) =>
      (JSON.parse(request.body) as { chat_id: string }).chat_id === '777010'
        ? { status: 502, json: `Bad gateway: POST ${request.path}` }
        : { status: 401, json: { ok: false, error_code: 401, description: 'Unauthorized' } };
    const deliveries = await notifier.notify(
      alertMessage('alert-7'),
      ['zalo:5550009', 'telegram:777009', 'telegram:777010', 'email:nobody@bacgiang.example.vn'],
      'alert-7:step1',
    );
    const zalo = deliveries.find((d) => d.channel === 'zalo');
    expect(zalo).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(zalo?.lastError).toContain('error -216');
    const telegram = deliveries.find((d) => d.channel === 'telegram');
    expect(telegram?.state).toBe('retrying');
    expect(telegram?.lastError).toContain('Unauthorized');
    const echoed = deliveries.find((d) => d.channel === 'telegram' && d.target === '777010');
    expect(echoed?.lastError).toContain('Bad gateway: POST /bot[redacted]/sendMessage');
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

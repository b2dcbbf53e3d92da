import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { Alert, Delivery, Report, ReportCreated } from '../../contract/index.js';
import { fetchMetrics, signIn, type ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import {
  startJsonFake,
  startPushServiceFake,
  startSmtpFake,
  type JsonFake,
  type PushServiceFake,
  type SmtpFake,
} from '../support/notify-fakes.js';
import { waitFor } from '../support/ports.js';

/*
 * The field side end to end through the real product: an alert and a citizen report in a ward are
 * assigned to that ward's field officer and pushed to their phone; the alert nobody acknowledges
 * climbs to the supervisor (email) and the city's webhook (`alert.escalated`, signed); the report
 * the officer takes on from the notification's ack action stops climbing.
 */

const WARD_A = {
  id: 'ward-a',
  name: { vi: 'Phường A', en: 'Ward A' },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [106.18, 21.26],
        [106.21, 21.26],
        [106.21, 21.29],
        [106.18, 21.29],
        [106.18, 21.26],
      ],
    ],
  },
};
const IN_WARD_A = { lat: 21.275, lon: 106.195 };
const WEBHOOK_SECRET = `whsec_${Buffer.from('field-flow-test-secret-0123456789').toString('base64')}`;
const ESCALATE_AFTER_MS = 2_000;

/** A webhook body as the product sends it: the event type and the item. */
const hookBody = (body: string) => JSON.parse(body) as { type: string; data: { id: string; kind: string } };

describe('field teams: assignment, push, escalation and acknowledgement', () => {
  let product: TestIoc;
  let smtp: SmtpFake;
  let push: PushServiceFake;
  let webhook: JsonFake;
  let officer: ApiSession;

  beforeAll(async () => {
    [smtp, push, webhook] = await Promise.all([startSmtpFake(), startPushServiceFake(), startJsonFake()]);
    product = await startTestIoc({
      mqtt: { port: 0 },
      map: { zones: [WARD_A] },
      rules: [
        {
          id: 'water-high',
          name: 'Mực nước cao',
          domain: 'sensor',
          condition: { field: 'water_cm', op: '>', value: 30 },
          severity: 'critical',
        },
      ],
      notify: {
        email: { smtpUrl: smtp.url, from: 'IOC Bắc Giang <ioc@bacgiang.gov.vn>' },
        webhooks: [
          {
            id: 'ops',
            url: `${webhook.url}/hooks/ioc`,
            secret: WEBHOOK_SECRET,
            events: ['alert.escalated', 'report.created'],
          },
        ],
        retry: { backoff: 100, checkInterval: 200 },
      },
      reports: { rateLimit: { perMinute: 100, perDay: 1000 } },
      escalation: {
        tickInterval: 200,
        policies: [
          {
            id: 'critical',
            match: { kind: 'alert', severity: 'critical' },
            autoAssign: 'zone',
            steps: [
              { after: 0, notify: ['assignee'] },
              { after: ESCALATE_AFTER_MS, notify: ['role:supervisor', 'webhook:ops'] },
            ],
          },
          {
            id: 'reports',
            match: { kind: 'report' },
            autoAssign: 'zone',
            steps: [
              { after: 0, notify: ['assignee'] },
              { after: ESCALATE_AFTER_MS, notify: ['role:supervisor'] },
            ],
          },
        ],
      },
    });
    await product.api.createUser('lan', ['field'], ['ward-a']);
    await product.api.createUser('hoa', ['field'], ['ward-b']);
    await product.api.createUser('sup', ['supervisor']);
    const patched = await product.api.fetch('/api/v1/users/sup', {
      method: 'PATCH',
      json: { email: 'truc.ban@bacgiang.gov.vn' },
    });
    expect(patched.status).toBe(200);
    officer = await signIn(product.baseUrl, 'lan', 'pw-lan-0123456789');
    const subscribed = await officer.fetch('/api/v1/push/subscriptions', {
      method: 'POST',
      json: push.subscribe('lan-phone'),
    });
    expect(subscribed.status).toBe(201);
  });

  afterAll(async () => {
    await product?.stop();
    await Promise.all([smtp?.stop(), push?.stop(), webhook?.stop()]);
  });

  it('an alert nobody acknowledges reaches the ward officer at once and the supervisor later', async () => {
    const ingested = await product.api.fetch('/api/v1/ingest', {
      method: 'POST',
      json: { domain: 'sensor', id: 'water-7', ts: Date.now(), ...IN_WARD_A, fields: { water_cm: 45 } },
    });
    expect(ingested.status).toBe(202);
    const alert = await waitFor(async () => {
      const answer = (await (await product.api.fetch('/api/v1/alerts?state=firing')).json()) as { alerts: Alert[] };
      return answer.alerts.find((a) => a.entityId === 'water-7' && a.assignee !== undefined);
    }, 'the alert assigned');
    expect(alert.assignee).toBe('lan');
    expect(alert.zone).toBe('ward-a');

    const first = await waitFor(
      () => push.received.find((p) => p.name === 'lan-phone' && p.payload.kind === 'alert'),
      'the officer’s push',
    );
    expect(first.payload).toMatchObject({
      kind: 'alert',
      id: alert.id,
      url: expect.stringContaining(`/field/alerts/${alert.id}`) as unknown,
    });
    expect(typeof first.payload.ackToken).toBe('string');
    // Not in time yet: the supervisor has had nothing.
    expect(smtp.messages).toEqual([]);

    const mail = await waitFor(
      () => smtp.messages.find((m) => m.to && JSON.stringify(m.to).includes('truc.ban@bacgiang.gov.vn')),
      'the supervisor’s email',
      15_000,
    );
    expect(mail.subject).toMatch(/bước 2/);
    expect(mail.text).toContain(`/field/alerts/${alert.id}`);

    const hook = await waitFor(
      () => webhook.requests.find((r) => r.path === '/hooks/ioc' && hookBody(r.body).type === 'alert.escalated'),
      'the escalation webhook',
    );
    // Verified the way a receiving city system would, with the shared secret.
    const verified = new Webhook(WEBHOOK_SECRET).verify(hook.body, {
      'webhook-id': String(hook.headers['webhook-id']),
      'webhook-timestamp': String(hook.headers['webhook-timestamp']),
      'webhook-signature': String(hook.headers['webhook-signature']),
    }) as { type: string; data: Alert & { kind: string } };
    expect(verified.data).toMatchObject({ kind: 'alert', id: alert.id, assignee: 'lan' });

    const history = ((await (await product.api.fetch(`/api/v1/alerts/${alert.id}`)).json()) as Alert).history ?? [];
    expect(history.filter((e) => e.action === 'escalate').map((e) => [e.step, e.targets])).toEqual([
      [1, ['user:lan']],
      [2, ['user:sup', 'webhook:ops']],
    ]);
    const log = (await (await product.api.fetch(`/api/v1/notifications?alertId=${alert.id}`)).json()) as {
      deliveries: Delivery[];
    };
    expect(log.deliveries.map((d) => [d.event, d.channel, d.state]).sort()).toEqual(
      [
        ['alert.escalated', 'webhook', 'sent'],
        ['escalation.step1', 'push', 'sent'],
        ['escalation.step2', 'email', 'sent'],
        ['escalation.step2', 'webhook', 'sent'],
      ].sort(),
    );
    const metrics = await fetchMetrics(product.baseUrl);
    expect(metrics).toMatch(/ioc_notify_attempts_total\{channel="push",outcome="sent"\} [1-9]/);
    expect(metrics).toMatch(/ioc_notify_attempts_total\{channel="email",outcome="sent"\} [1-9]/);
  });

  it('a citizen report goes to the ward officer, who takes it on from the notification, and it stops climbing', async () => {
    const filed = await fetch(`${product.baseUrl}/api/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        category: 'flooding',
        description: 'Nước ngập ngang đầu gối trước chợ',
        ...IN_WARD_A,
        contact: { name: 'Nguyễn Văn An', phone: '0912 345 678' },
      }),
    });
    expect(filed.status).toBe(201);
    const created = (await filed.json()) as ReportCreated;
    expect(created.zone).toBe('ward-a');

    const pushed = await waitFor(
      () => push.received.find((p) => p.payload.kind === 'report' && p.payload.id === created.id),
      'the report’s push',
    );
    const report = (await (await officer.fetch(`/api/v1/reports/${created.id}`)).json()) as Report;
    expect(report.assignee).toBe('lan');
    // The officer taps "ack" on the notification: the service worker posts its token, no session needed.
    const acked = await fetch(`${product.baseUrl}/api/v1/push/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: product.baseUrl },
      body: JSON.stringify({ token: pushed.payload.ackToken }),
    });
    expect(acked.status).toBeLessThan(300);
    const started = (await (await officer.fetch(`/api/v1/reports/${created.id}`)).json()) as Report;
    expect(started.status).toBe('in_progress');
    expect(started.history.find((e) => e.action === 'start')?.by).toBe('lan');

    // Well past the second step's time: no supervisor mail about this report, no second step in its history.
    const mailsBefore = smtp.messages.length;
    await waitFor(async () => {
      const ticks = (await (await product.api.fetch('/api/v1/reports?status=in_progress')).json()) as {
        reports: Report[];
      };
      return ticks.reports.length > 0 && Date.now() - started.createdAt > ESCALATE_AFTER_MS + 1_000;
    }, 'the second step’s time to pass');
    expect(smtp.messages.slice(mailsBefore).filter((m) => (m.text ?? '').includes(created.id))).toEqual([]);
    const after = (await (await officer.fetch(`/api/v1/reports/${created.id}`)).json()) as Report;
    expect(after.history.filter((e) => e.action === 'escalate').map((e) => e.step)).toEqual([1]);
    // The other ward's officer never sees it.
    const other = await signIn(product.baseUrl, 'hoa', 'pw-hoa-0123456789');
    const theirs = (await (await other.fetch('/api/v1/reports')).json()) as { reports: Report[] };
    expect(theirs.reports.map((r) => r.id)).not.toContain(created.id);
    expect(
      webhook.requests.some(
        (r) =>
          hookBody(r.body).type === 'report.created' &&
          hookBody(r.body).data.id === created.id &&
          !r.body.includes('0912'),
      ),
    ).toBe(true);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../contract/index.js';
import { startInfluxd, uniqueName, type RunningService } from '../support/services.js';
import { connectLive, startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { signIn, type ApiSession } from '../support/auth.js';

const PM_RULE = {
  id: 'pm-high-test',
  name: 'PM2.5 high (test)',
  domain: 'sensor',
  match: { ids: ['al-1', 'al-2'] },
  condition: { field: 'pm25', op: '>', value: 100, clear: 80 },
  severity: 'critical',
};

async function api<T>(product: TestIoc | ApiSession, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const session = 'api' in product ? product.api : product;
  const res = await session.fetch(`/api/v1${url}`, { method, ...(body === undefined ? {} : { json: body }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const ingest = (product: TestIoc, items: unknown[]) => api(product, 'POST', '/ingest', items);

// The alert lifecycle through the real product, persisted in each store and surviving a restart.
describe.each(['embedded', 'influx'] as const)('alerts on the %s store', (kind) => {
  let influxd: RunningService | undefined;
  let dataDir: string;
  let overrides: Record<string, unknown>;
  let product: TestIoc;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-alerts-'));
    overrides = { mqtt: { port: 0 }, rules: [PM_RULE] };
    if (kind === 'influx') {
      influxd = await startInfluxd();
      overrides.influx = { url: influxd.url, db: uniqueName('alerts'), flushInterval: 100 };
    }
    product = await startTestIoc(overrides, dataDir);
  });

  afterAll(async () => {
    await product?.stop();
    await influxd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens exactly one alert under a burst, pushes it live, and walks the lifecycle', async () => {
    const live = await connectLive(product.baseUrl, product.api);
    const pushed: Alert[] = [];
    live.socket.on('alert', (alert) => pushed.push(alert));
    await live.subscribe({ layers: ['sensor'] });
    const base = Date.now() - 10_000;
    const burst = Array.from({ length: 1000 }, (_, i) => ({ domain: 'sensor', id: 'al-1', ts: base + i, fields: { pm25: 150 + (i % 7) } }));
    expect((await ingest(product, burst)).status).toBe(202);

    const firing = await waitFor(async () => {
      const r = await api<{ alerts: Alert[] }>(product, 'GET', '/alerts?state=firing');
      const mine = r.body.alerts.filter((a) => a.ruleId === PM_RULE.id);
      return mine.length > 0 ? mine : undefined;
    }, 'a firing alert');
    expect(firing).toHaveLength(1);
    const alert = firing[0] as Alert;
    expect(alert).toMatchObject({ entityId: 'al-1', domain: 'sensor', severity: 'critical', state: 'firing' });
    await waitFor(() => pushed.some((a) => a.id === alert.id), 'alert pushed on /live');
    await waitFor(() => live.entities.get('sensor/al-1')?.status === 'alert', 'entity shown as alerted');

    // The actor is whoever is signed in; a `by` in the body is ignored.
    const password = await product.api.createUser('operator-1', ['operator']);
    const operator = await signIn(product.baseUrl, 'operator-1', password);
    const acked = await api<Alert>(operator, 'POST', `/alerts/${alert.id}/ack`, { by: 'someone-else', note: 'team sent' });
    expect(acked.status).toBe(200);
    expect(acked.body.state).toBe('acknowledged');
    const assigned = await api<Alert>(operator, 'POST', `/alerts/${alert.id}/assign`, { assignee: 'field-team-3' });
    expect(assigned.body.assignee).toBe('field-team-3');
    const resolved = await api<Alert>(product, 'POST', `/alerts/${alert.id}/resolve`, {});
    expect(resolved.body.state).toBe('resolved');
    const again = await api<{ error: { code: string } }>(product, 'POST', `/alerts/${alert.id}/resolve`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const ackResolved = await api<{ error: { code: string } }>(product, 'POST', `/alerts/${alert.id}/ack`, {});
    expect(ackResolved.status).toBe(409);
    const missing = await api(product, 'POST', '/alerts/nope/ack', {});
    expect(missing.status).toBe(404);
    expect(resolved.body.history?.map((h) => `${h.action}:${h.by}`)).toEqual([
      'fire:system',
      'ack:operator-1',
      'assign:operator-1',
      'resolve:admin',
    ]);
    const audit = await api<{ entries: { actor: string; action: string; target: string }[] }>(product, 'GET', `/audit?limit=50`);
    const moves = audit.body.entries.filter((e) => e.target === alert.id).map((e) => `${e.action}:${e.actor}`);
    expect(moves.sort()).toEqual(['alert.ack:operator-1', 'alert.assign:operator-1', 'alert.resolve:admin']);
    live.close();
  });

  it('validates rules and names the bad key', async () => {
    const bad = await api<{ error: { message: string } }>(product, 'POST', '/rules', {
      name: 'x',
      domain: 'sensor',
      condition: { field: 'pm25', op: '>>', value: 1 },
      severity: 'warning',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/condition/);
    const created = await api<{ id: string }>(product, 'POST', '/rules', {
      id: 'noise-test',
      name: 'Noise high',
      domain: 'sensor',
      condition: { field: 'noise', op: '>=', value: 85 },
      for: '1m',
      severity: 'warning',
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe('noise-test');
    const duplicate = await api(product, 'POST', '/rules', { id: 'noise-test', name: 'Again', domain: 'sensor', condition: { absent: '5m' }, severity: 'info' });
    expect(duplicate.status).toBe(409);
  });

  it('keeps API-made rules and the alert history across a restart', async () => {
    const base = Date.now() - 5000;
    await ingest(product, [{ domain: 'sensor', id: 'al-2', ts: base, fields: { pm25: 300 } }]);
    const open = await waitFor(async () => {
      const r = await api<{ alerts: Alert[] }>(product, 'GET', '/alerts?state=firing');
      return r.body.alerts.find((a) => a.entityId === 'al-2');
    }, 'alert for al-2');
    await product.stop();
    product = await startTestIoc(overrides, dataDir);

    const rule = await api<{ id: string; condition: { value: number } }>(product, 'GET', '/rules/noise-test');
    expect(rule.status).toBe(200);
    expect(rule.body.condition.value).toBe(85);
    const stillOpen = await api<Alert>(product, 'GET', `/alerts/${open.id}`);
    expect(stillOpen.body).toMatchObject({ id: open.id, state: 'firing', entityId: 'al-2' });
    const resolved = await api<{ alerts: Alert[] }>(product, 'GET', `/alerts?state=resolved&from=${base - 60_000}`);
    expect(resolved.body.alerts.some((a) => a.entityId === 'al-1' && a.ruleId === PM_RULE.id)).toBe(true);
    // The condition clearing after the restart resolves the reloaded alert (one alert per rule and entity).
    await ingest(product, [{ domain: 'sensor', id: 'al-2', ts: base + 1000, fields: { pm25: 20 } }]);
    await waitFor(async () => (await api<Alert>(product, 'GET', `/alerts/${open.id}`)).body.state === 'resolved', 'cleared');
  });

  it('backtests a rule against stored history', async () => {
    const base = Date.now() - 3_600_000;
    const series = [50, 120, 130, 60, 40, 140, 70, 20].map((pm25, i) => ({ domain: 'sensor', id: 'bt-1', ts: base + i * 60_000, fields: { pm25 } }));
    await ingest(product, series);
    const rule = { id: 'bt-rule', name: 'Backtest', domain: 'sensor', match: { ids: ['bt-1'] }, condition: { field: 'pm25', op: '>', value: 100, clear: 80 }, severity: 'warning', enabled: false };
    expect((await api(product, 'POST', '/rules', rule)).status).toBe(201);
    const result = await waitFor(async () => {
      const r = await api<{ count: number; alerts: { startedAt: number; endedAt: number | null }[] }>(
        product,
        'POST',
        `/rules/bt-rule/backtest?from=${base - 1}&to=${base + 8 * 60_000}`,
      );
      return r.body.count === 2 ? r.body : undefined;
    }, 'backtest over stored points', 10_000, 200);
    expect(result.alerts.map((a) => [a.startedAt - base, a.endedAt === null ? null : a.endedAt - base])).toEqual([
      [60_000, 180_000],
      [300_000, 360_000],
    ]);
  });
});

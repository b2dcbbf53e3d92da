import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, ErrorBody, Rule } from '../../../contract/index.js';
import { createAlertsRouter } from '../../../server/alerts/routes.js';
import { obs } from './harness.js';
import { PM25_RULE, serviceWith, T0 } from './service-harness.js';

/** What the app's single error handler does: `{status, code, message, issues?}` → `{error: {...}}`. */
const errorHandler: ErrorRequestHandler = (
  err: { status?: number; code?: string; message: string; issues?: unknown },
  _req,
  res,
  _next,
) => {
  const status = err.status ?? 500;
  const code = typeof err.code === 'string' && status < 500 ? err.code : status === 503 ? 'unavailable' : 'internal';
  res.status(status).json({
    error: {
      code: status === 400 && code.startsWith('entity.') ? 'bad_request' : code,
      message: err.message,
      issues: err.issues,
    },
  });
};

let server: Server;
let base: string;
let ctx: Awaited<ReturnType<typeof serviceWith>>;

beforeEach(async () => {
  ctx = await serviceWith([PM25_RULE]);
  const app = express();
  app.use('/api/v1', createAlertsRouter(ctx.service, { clock: ctx.clock.now }));
  app.post('/api/v1/ingest', express.text({ type: '*/*' }), (req, res) => {
    res.json({ raw: req.body as unknown });
  });
  app.use(errorHandler);
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.service.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    text,
    json: text && !text.includes('\n') ? (JSON.parse(text) as unknown) : undefined,
  };
};

describe('rules routes', () => {
  it('lists, creates, reads, replaces and deletes rules', async () => {
    expect((await call('GET', '/rules')).json).toEqual({
      rules: [expect.objectContaining({ id: 'pm25-high', source: 'config' })],
    });
    const created = await call('POST', '/rules', {
      name: 'Noise',
      domain: 'sensor',
      condition: { field: 'noise', op: '>', value: 70 },
      severity: 'info',
    });
    expect(created.status).toBe(201);
    const id = (created.json as Rule).id;
    expect(created.json).toMatchObject({ source: 'api' });
    expect((await call('GET', `/rules/${id}`)).json).toMatchObject({ id, name: 'Noise', enabled: true, source: 'api' });
    const replaced = await call('PUT', `/rules/${id}`, {
      name: 'Noise',
      domain: 'sensor',
      condition: { absent: '1m' },
      severity: 'info',
    });
    expect(replaced.json).toMatchObject({ id, condition: { absent: 60_000 } });
    expect((await call('DELETE', `/rules/${id}`)).status).toBe(204);
    expect((await call('GET', `/rules/${id}`)).status).toBe(404);
  });

  it('answers 400 naming the bad key, 409 for a duplicate or a config rule delete, 404 for unknown ids', async () => {
    const bad = await call('POST', '/rules', {
      ...PM25_RULE,
      id: 'x',
      condition: { field: 'pm25', op: '>', value: 'high' },
    });
    expect(bad.status).toBe(400);
    expect((bad.json as ErrorBody).error).toMatchObject({ code: 'bad_request', issues: [{ path: 'condition.value' }] });
    expect((bad.json as ErrorBody).error.message).toContain('condition.value');
    const extra = await call('POST', '/rules', { ...PM25_RULE, id: 'y', colour: 'red' });
    expect(extra.status).toBe(400);
    expect(extra.text).toContain('colour');
    expect((await call('POST', '/rules', PM25_RULE)).status).toBe(409);
    expect((await call('DELETE', '/rules/pm25-high')).json).toMatchObject({ error: { code: 'conflict' } });
    expect((await call('PUT', '/rules/nope', PM25_RULE)).status).toBe(404);
    expect((await call('POST', '/rules/nope/backtest')).status).toBe(404);
  });

  it('backtests a rule, as one answer or as NDJSON progress lines then the result', async () => {
    for (let i = 0; i < 500; i++)
      ctx.store.observations.push(obs(`S${i % 5}`, T0 + i * 1000, { pm25: i % 100 > 50 ? 300 : 10 }));
    const plain = await call('POST', `/rules/pm25-high/backtest?from=${T0}&to=${T0 + 500_000}`);
    expect(plain.json).toMatchObject({ ruleId: 'pm25-high', observations: 500, count: 25 });
    const streamed = await call(
      'POST',
      `/rules/pm25-high/backtest?from=${new Date(T0).toISOString()}&to=${T0 + 500_000}&stream=1`,
    );
    expect(streamed.type).toContain('application/x-ndjson');
    const lines = streamed.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(2);
    expect(lines[0]).toHaveProperty('progress');
    expect(lines.at(-2)).toEqual({ progress: 1 });
    expect(lines.at(-1)).toEqual(plain.json);
    const reversed = await call('POST', `/rules/pm25-high/backtest?from=${T0 + 10}&to=${T0}`);
    expect(reversed.status).toBe(400);
    expect((await call('POST', `/rules/pm25-high/backtest?since=1`)).text).toContain('since');
  });
});

describe('mounting', () => {
  it('leaves the bodies of other /api/v1 routes alone', async () => {
    const res = await call('POST', '/ingest', { domain: 'sensor' });
    expect(res.json).toEqual({ raw: '{"domain":"sensor"}' });
  });
});

describe('alerts routes', () => {
  const fire = (id = 'S1') => {
    ctx.pm25(id, 150);
    return ctx.emitted.at(-1)!.id;
  };

  it('queries alerts with filters', async () => {
    fire('S1');
    fire('S2');
    expect(((await call('GET', '/alerts')).json as { alerts: Alert[] }).alerts).toHaveLength(2);
    expect(((await call('GET', '/alerts?state=acknowledged')).json as { alerts: Alert[] }).alerts).toHaveLength(0);
    expect(
      ((await call('GET', '/alerts?state=firing&severity=warning&domain=sensor&limit=1')).json as { alerts: Alert[] })
        .alerts,
    ).toHaveLength(1);
    const alertsOf = async (query: string) => ((await call('GET', `/alerts?${query}`)).json as { alerts: Alert[] }).alerts;
    const first = (await alertsOf('entityId=S1'))[0]!;
    expect(first).toMatchObject({ entityId: 'S1', ruleId: 'pm25-high' });
    await call('POST', `/alerts/${first.id}/ack`, { by: 'an' });
    await call('POST', `/alerts/${first.id}/assign`, { assignee: 'doi-1', by: 'an' });
    // Open alerts in one request, and a field team's own.
    expect((await alertsOf('state=firing,acknowledged,snoozed')).map((a) => a.entityId).sort()).toEqual(['S1', 'S2']);
    expect((await alertsOf('state=acknowledged')).map((a) => a.entityId)).toEqual(['S1']);
    expect((await alertsOf('assignee=doi-1')).map((a) => a.entityId)).toEqual(['S1']);
    expect(await alertsOf('assignee=doi-2')).toEqual([]);
    expect(await alertsOf('ruleId=other')).toEqual([]);
    expect((await alertsOf('severity=info,warning')).length).toBe(2);
    const bad = await call('GET', '/alerts?state=burning');
    expect(bad.status).toBe(400);
    expect((bad.json as ErrorBody).error.issues?.[0]?.path).toMatch(/^state/);
    const badItem = await call('GET', '/alerts?state=firing,burning');
    expect(badItem.status).toBe(400);
    expect(badItem.text).toContain('state.1');
    expect((await call('GET', '/alerts?colour=red')).text).toContain('colour');
  });

  it('acks, assigns, notes, snoozes and resolves; answers 409 for illegal moves and 404 for unknown ids', async () => {
    const id = fire();
    expect((await call('POST', `/alerts/${id}/assign`, { assignee: 'team-north', by: 'lan' })).json).toMatchObject({
      assignee: 'team-north',
    });
    expect((await call('POST', `/alerts/${id}/ack`, { by: 'lan', note: 'on it' })).json).toMatchObject({
      state: 'acknowledged',
    });
    expect((await call('POST', `/alerts/${id}/ack`, {})).status).toBe(409);
    expect((await call('POST', `/alerts/${id}/note`, { note: 'filter clogged' })).json).toMatchObject({
      history: expect.arrayContaining([{ at: T0, by: 'operator', action: 'note', note: 'filter clogged' }]) as unknown,
    });
    const snoozed = await call('POST', `/alerts/${id}/snooze`, { for: '30m' });
    expect(snoozed.json).toMatchObject({ state: 'snoozed', snoozedUntil: T0 + 1_800_000 });
    const until = new Date(T0 + 3_600_000).toISOString();
    expect((await call('POST', `/alerts/${id}/snooze`, { until })).json).toMatchObject({
      snoozedUntil: T0 + 3_600_000,
    });
    expect((await call('POST', `/alerts/${id}/resolve`)).json).toMatchObject({ state: 'resolved' });
    const again = await call('POST', `/alerts/${id}/resolve`, { by: 'lan' });
    expect(again.status).toBe(409);
    expect((again.json as ErrorBody).error.code).toBe('conflict');
    expect((await call('POST', '/alerts/nope/ack', {})).status).toBe(404);
    expect((await call('GET', '/alerts/nope')).json).toMatchObject({ error: { code: 'not_found' } });
  });

  it('names the bad key of an invalid body', async () => {
    const id = fire();
    const noAssignee = await call('POST', `/alerts/${id}/assign`, { by: 'lan' });
    expect(noAssignee.status).toBe(400);
    expect((noAssignee.json as ErrorBody).error.issues?.map((i) => i.path)).toEqual(['assignee']);
    const both = await call('POST', `/alerts/${id}/snooze`, { until: T0 + 1000, for: '5m' });
    expect((both.json as ErrorBody).error.issues?.[0]?.path).toBe('until');
    const badFor = await call('POST', `/alerts/${id}/snooze`, { for: 'soon' });
    expect((badFor.json as ErrorBody).error.issues?.[0]?.path).toBe('for');
    const past = await call('POST', `/alerts/${id}/snooze`, { until: T0 - 1 });
    expect(past.status).toBe(400);
    expect((await call('POST', `/alerts/${id}/ack`, { by: 42 })).text).toContain('"path":"by"');
  });
});

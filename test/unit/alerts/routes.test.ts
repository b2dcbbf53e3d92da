import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, ErrorBody, Rule } from '../../../contract/index.js';
import type { AuditLog } from '../../../server/audit/audit-log.js';
import { createAlertsRouter } from '../../../server/alerts/routes.js';
import type { Identity } from '../../../server/auth/policy.js';
import { setIdentity } from '../../../server/auth/request.js';
import { errorHandler } from '../../../server/http/errors.js';
import { silentLogger } from '../../../config/logger.js';
import { obs } from './harness.js';
import { PM25_RULE, serviceWith, T0 } from './service-harness.js';

const OPERATOR: Identity = {
  kind: 'session',
  name: 'op1',
  displayName: 'Op',
  roles: ['operator'],
  scopes: [],
  zones: [],
};
/** A field team limited to the north zone. */
const FIELD: Identity = {
  kind: 'session',
  name: 'doi-1',
  displayName: 'Đội 1',
  roles: ['field'],
  scopes: [],
  zones: ['north'],
};
const IDENTITIES: Record<string, Identity> = { op1: OPERATOR, 'doi-1': FIELD };

/** What the app's authorizer does, in short: `x-as: <name>` signs the request in as that identity; none, nobody. */
const signIn: RequestHandler = (req, _res, next) => {
  const who = req.get('x-as');
  const identity = who === undefined ? undefined : IDENTITIES[who];
  if (identity !== undefined) setIdentity(req, identity);
  next();
};

/** Zones by latitude: north above 21.27, south below, 'city' without a position. */
const zoneOf = (lat: number | null) => (lat === null ? 'city' : lat > 21.27 ? 'north' : 'south');

let server: Server;
let base: string;
let ctx: Awaited<ReturnType<typeof serviceWith>>;
let audited: Parameters<AuditLog['record']>[0][];

beforeEach(async () => {
  ctx = await serviceWith([PM25_RULE], { zoneOf });
  audited = [];
  const audit: AuditLog = {
    record: (entry) => {
      audited.push(entry);
    },
    flush: () => Promise.resolve(),
    query: () => Promise.resolve([]),
    stats: () => ({ written: audited.length, failed: 0 }),
  };
  const app = express();
  app.use(signIn);
  app.use('/api/v1', createAlertsRouter(ctx.service, { clock: ctx.clock.now, audit }));
  app.post('/api/v1/ingest', express.text({ type: '*/*' }), (req, res) => {
    res.json({ raw: req.body as unknown });
  });
  app.use(errorHandler(silentLogger));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.service.close();
});

/** A request signed in as `as` (op1, the operator, unless told; null for nobody). */
const call = async (method: string, path: string, body?: unknown, as: string | null = 'op1') => {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (as !== null) headers['x-as'] = as;
  const res = await fetch(base + path, {
    method,
    headers,
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
    // Every change is audited in the signed-in name.
    expect(audited.map((e) => `${e.action} ${e.target} ${e.actor}`)).toEqual([
      `rule.create ${id} op1`,
      `rule.update ${id} op1`,
      `rule.delete ${id} op1`,
    ]);
    expect(audited[0]).toMatchObject({ details: { name: 'Noise' }, ip: expect.any(String) as unknown });
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
    const alertsOf = async (query: string) =>
      ((await call('GET', `/alerts?${query}`)).json as { alerts: Alert[] }).alerts;
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
      history: expect.arrayContaining([{ at: T0, by: 'op1', action: 'note', note: 'filter clogged' }]) as unknown,
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
    // Every move is made in the signed-in name: a `by` in the body is ignored.
    const history = ((await call('GET', `/alerts/${id}`)).json as Alert).history!;
    expect(history.map((e) => `${e.action}:${e.by}`)).toEqual([
      'fire:system',
      'assign:op1',
      'ack:op1',
      'note:op1',
      'snooze:op1',
      'snooze:op1',
      'resolve:op1',
    ]);
    expect(history[2]).toEqual({ at: T0, by: 'op1', action: 'ack', note: 'on it' });
    await ctx.service.flush();
    expect(ctx.store.alerts.get(id)?.history?.map((e) => e.by)).toEqual(history.map((e) => e.by));
    // Successful moves are audited, refused ones are not.
    expect(audited.map((e) => `${e.action} ${e.actor} ${String(e.details.state)}`)).toEqual([
      'alert.assign op1 firing',
      'alert.ack op1 acknowledged',
      'alert.note op1 acknowledged',
      'alert.snooze op1 snoozed',
      'alert.snooze op1 snoozed',
      'alert.resolve op1 resolved',
    ]);
    expect(audited[0]).toMatchObject({ target: id, details: { assignee: 'team-north' } });
  });

  it('answers 401 to a move or a query without a signed-in identity, and changes nothing', async () => {
    const id = fire();
    expect((await call('POST', `/alerts/${id}/ack`, { by: 'lan' }, null)).status).toBe(401);
    expect((await call('GET', '/alerts', undefined, null)).status).toBe(401);
    expect(ctx.service.getAlert(id).state).toBe('firing');
    expect(audited).toEqual([]);
  });

  it('a field user sees and moves only alerts in its zones or assigned to it; others are 404', async () => {
    const at = (id: string, lat: number | undefined) => {
      ctx.service.observe([{ domain: 'sensor', id, ts: ctx.clock.now(), lat, lon: 106.19, fields: { pm25: 150 } }]);
      return ctx.emitted.at(-1)!;
    };
    const north = at('N1', 21.28);
    const south = at('S1', 21.26);
    const southAssigned = at('S2', 21.25);
    const nowhere = at('X1', undefined);
    expect([north.zone, south.zone, southAssigned.zone, nowhere.zone]).toEqual(['north', 'south', 'south', 'city']);
    expect((await call('POST', `/alerts/${southAssigned.id}/assign`, { assignee: 'doi-1' })).status).toBe(200);

    const asField = (method: string, path: string, body?: unknown) => call(method, path, body, 'doi-1');
    const visible = async (query = '') =>
      ((await asField('GET', `/alerts${query}`)).json as { alerts: Alert[] }).alerts.map((a) => a.entityId).sort();
    expect(await visible()).toEqual(['N1', 'S2']);
    expect(await visible('?state=firing')).toEqual(['N1', 'S2']);
    expect(await visible('?zone=south')).toEqual(['S2']);
    // The limit counts only what the field user may see.
    expect(await visible('?limit=1')).toHaveLength(1);
    // The operator sees the whole city.
    expect(((await call('GET', '/alerts')).json as { alerts: Alert[] }).alerts).toHaveLength(4);

    expect((await asField('GET', `/alerts/${north.id}`)).json).toMatchObject({ id: north.id, zone: 'north' });
    expect((await asField('GET', `/alerts/${southAssigned.id}`)).json).toMatchObject({ assignee: 'doi-1' });
    for (const other of [south, nowhere]) {
      const hidden = await asField('GET', `/alerts/${other.id}`);
      expect(hidden.status).toBe(404);
      expect(hidden.json).toMatchObject({ error: { code: 'not_found' } });
      // Out of its zones an alert does not exist for it: no move, not even a 409 telling it apart from an unknown id.
      expect((await asField('POST', `/alerts/${other.id}/ack`, {})).status).toBe(404);
      expect((await asField('POST', `/alerts/${other.id}/note`, { note: 'x' })).status).toBe(404);
      expect(ctx.service.getAlert(other.id).state).toBe('firing');
      expect(ctx.service.getAlert(other.id).history).toHaveLength(1);
    }

    const acked = await asField('POST', `/alerts/${north.id}/ack`, { by: 'someone-else', note: 'on site' });
    expect(acked.status).toBe(200);
    expect((acked.json as Alert).history!.at(-1)).toEqual({ at: T0, by: 'doi-1', action: 'ack', note: 'on site' });
    const resolved = await asField('POST', `/alerts/${southAssigned.id}/resolve`, {});
    expect((resolved.json as Alert).history!.at(-1)).toMatchObject({ by: 'doi-1', action: 'resolve' });
    expect(audited.filter((e) => e.actor === 'doi-1').map((e) => `${e.action} ${e.target}`)).toEqual([
      `alert.ack ${north.id}`,
      `alert.resolve ${southAssigned.id}`,
    ]);
  });

  it('of two resolves sent at once, one is made and the other answered 409', async () => {
    const id = fire();
    const answers = await Promise.all([
      call('POST', `/alerts/${id}/resolve`, {}),
      call('POST', `/alerts/${id}/resolve`, {}),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)?.json).toMatchObject({ error: { code: 'conflict' } });
    expect(((await call('GET', `/alerts/${id}`)).json as Alert).history!.map((e) => e.action)).toEqual([
      'fire',
      'resolve',
    ]);
    expect(audited.map((e) => e.action)).toEqual(['alert.resolve']);
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

import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../config/logger.js';
import type { ErrorBody } from '../../../contract/index.js';
import { createIngestRouter } from '../../../ingest/http/receiver.js';
import { createIngestCounters } from '../../../ingest/sink.js';
import { conflict as alertConflict, fromZodError, notFound as alertNotFound } from '../../../server/alerts/errors.js';
import { TooManyAttemptsError } from '../../../server/auth/auth-service.js';
import { badRequest, HttpError } from '../../../server/http/errors.js';
import { createHttpApp } from '../../../server/http/http-app.js';
import { createMetricsRegistry } from '../../../server/http/metrics.js';
import { StateConflictError } from '../../../server/state/types.js';

// Every kind of error the API answers goes through the app's one handler (the real app, its JSON
// parser, its /api 404 and the real ingest receiver), and each answer has exactly the contract's shape.

const Thing = z.strictObject({ name: z.string(), size: z.number().int() });

let server: Server;
let base: string;

beforeAll(async () => {
  const routes = express.Router();
  routes.get('/kinds/alert-missing', () => {
    throw alertNotFound('rule', 'r9');
  });
  routes.get('/kinds/alert-conflict', () => {
    throw alertConflict('alert "a1" is resolved');
  });
  routes.post('/kinds/rule', (req) => {
    const parsed = Thing.safeParse(req.body);
    if (!parsed.success) throw fromZodError(parsed.error, 'rule');
  });
  routes.get('/kinds/state-conflict', async () => {
    await Promise.resolve();
    throw new StateConflictError('user "ana" exists');
  });
  routes.get('/kinds/throttled', () => {
    throw new TooManyAttemptsError(120_000);
  });
  routes.post('/kinds/thing', (req, res) => {
    const parsed = Thing.safeParse(req.body);
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    res.json(parsed.data);
  });
  routes.get('/kinds/echo/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  routes.get('/kinds/bug', () => {
    throw new TypeError('x is undefined');
  });
  routes.get('/kinds/look-alike', () => {
    // Only the one class carries a status of ours: an error that merely has the fields is a bug.
    throw Object.assign(new Error('looks coded'), { status: 409, code: 'conflict' });
  });
  const app = createHttpApp({
    // The app needs at least one guard; the real ones (sessions, authorizer) are not what this test is about.
    guards: [(_req, _res, next) => next()],
    rawApiRouters: [
      createIngestRouter({
        maxPayloadBytes: 64,
        normalize: { maxFutureMs: 60_000, maxPastMs: 86_400_000, domains: new Set(['sensor']) },
        sink: { accept: () => undefined, commit: () => undefined, saturated: () => false, drained: () => Promise.resolve() },
        counters: createIngestCounters(),
        logger: silentLogger,
      }),
    ],
    apiRouters: [routes],
    readiness: {},
    metrics: () => [],
    metricsRegistry: createMetricsRegistry(),
    clientDir: '/nonexistent-client-dir',
    logger: silentLogger,
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: ErrorBody }> {
  const res = await fetch(base + path, init);
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

describe('the one error handler', () => {
  it('answers the alert service errors with their status and code', async () => {
    expect(await call('/api/v1/kinds/alert-missing')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'rule "r9" does not exist' } } });
    expect(await call('/api/v1/kinds/alert-conflict')).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'alert "a1" is resolved' } } });
    expect(await call('/api/v1/kinds/rule', json('{"name":"n","size":1.5}'))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'bad_request',
          message: 'invalid rule at "size": Invalid input: expected int, received number',
          issues: [{ path: 'size', message: 'Invalid input: expected int, received number' }],
        },
      },
    });
  });

  it('answers the state store conflict and the sign-in throttle', async () => {
    expect(await call('/api/v1/kinds/state-conflict')).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'user "ana" exists' } } });
    expect(await call('/api/v1/kinds/throttled')).toEqual({
      status: 429,
      body: { error: { code: 'too_many_requests', message: 'Too many failed sign-in attempts: try again in 2 min.' } },
    });
  });

  it('lists every zod issue of a bad body, each by its path', async () => {
    expect(await call('/api/v1/kinds/thing', json('{"size":1.5,"extra":true}'))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'bad_request',
          message: 'name: Invalid input: expected string, received undefined; size: Invalid input: expected int, received number; body: Unrecognized key: "extra"',
          issues: [
            { path: 'name', message: 'Invalid input: expected string, received undefined' },
            { path: 'size', message: 'Invalid input: expected int, received number' },
            { path: 'body', message: 'Unrecognized key: "extra"' },
          ],
        },
      },
    });
  });

  it("maps the JSON parser's refusals: not JSON 400, too large 413, unknown encoding 415", async () => {
    expect(await call('/api/v1/kinds/thing', json('{"name":'))).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'Body is not valid JSON: Unexpected end of JSON input' } },
    });
    expect(await call('/api/v1/kinds/thing', json(`{"name":"${'x'.repeat(1_100_000)}","size":1}`))).toEqual({
      status: 413,
      body: { error: { code: 'payload_too_large', message: 'The request body is too large.' } },
    });
    expect(await call('/api/v1/kinds/thing', json('{"name":"n","size":1}', { 'content-encoding': 'zstd-x' }))).toEqual({
      status: 415,
      body: {
        error: {
          code: 'unsupported_media_type',
          message: 'unsupported content encoding "zstd-x": send the body uncompressed, or gzip, deflate or br, in UTF-8.',
        },
      },
    });
  });

  it('answers an unknown API route and a malformed URL', async () => {
    expect(await call('/api/v1/nowhere?x=1')).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'No API route GET /api/v1/nowhere?x=1.' } } });
    expect(await call('/api/v1/kinds/echo/%E0%A4%A')).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'The URL has malformed percent-encoding (a % not followed by two hex digits of valid UTF-8).' } },
    });
  });

  it("answers the ingest receiver's refusals of a whole request", async () => {
    const ingest = (type: string, body: string, query = '') => call(`/api/v1/ingest${query}`, { method: 'POST', headers: { 'content-type': type }, body });
    expect(await ingest('text/csv', 'a,b')).toEqual({
      status: 415,
      body: {
        error: {
          code: 'unsupported_media_type',
          message: 'Content-Type "text/csv" is not accepted: use application/json, application/senml+json (with ?domain=) or text/plain (InfluxDB line protocol).',
        },
      },
    });
    expect(await ingest('application/senml+json', '[]')).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'SenML needs the domain: POST /api/v1/ingest?domain=<domain>.' } },
    });
    expect(await ingest('text/plain', 'sensor,id=S1 v=1', '?precision=d')).toEqual({
      status: 400,
      body: {
        error: {
          code: 'bad_request',
          message: 'precision: Invalid option: expected one of "ns"|"n"|"us"|"u"|"ms"|"s"|"m"|"h"',
          issues: [{ path: 'precision', message: 'Invalid option: expected one of "ns"|"n"|"us"|"u"|"ms"|"s"|"m"|"h"' }],
        },
      },
    });
    expect(await ingest('text/plain', '')).toEqual({ status: 400, body: { error: { code: 'bad_request', message: 'The request body is empty.' } } });
    expect(await ingest('text/plain', `sensor,id=S1 v=1 ${'0'.repeat(80)}`)).toEqual({
      status: 413,
      body: { error: { code: 'payload_too_large', message: 'The body exceeds 64 bytes: split it into smaller batches.' } },
    });
  });

  it('answers anything else as a 500 that names a request id, not its message', async () => {
    for (const path of ['/api/v1/kinds/bug', '/api/v1/kinds/look-alike']) {
      const res = await fetch(base + path, { headers: { 'x-request-id': 'req-42' } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: 'internal', message: 'Internal error (request req-42); see the server log.' } });
    }
  });

  it('keeps the class one: every subclass is an HttpError', () => {
    for (const err of [alertNotFound('rule', 'r'), new StateConflictError('x'), new TooManyAttemptsError(1)]) expect(err).toBeInstanceOf(HttpError);
  });
});

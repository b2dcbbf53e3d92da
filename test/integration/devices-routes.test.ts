import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { DeviceCreatedSchema, DeviceInfoSchema } from '../../contract/index.js';
import { createAuditLog, type AuditLog } from '../../server/audit/audit-log.js';
import { setIdentity } from '../../server/auth/request.js';
import { createDeviceService } from '../../server/devices/device-service.js';
import { createDeviceRouter } from '../../server/devices/routes.js';
import { errorHandler } from '../../server/http/errors.js';
import { SqliteStateStore } from '../../server/state/index.js';

describe('/api/v1/devices over HTTP', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-devices-routes-'));
  const state = new SqliteStateStore({ dataDir: dir });
  let audit: AuditLog;
  let server: Server | undefined;
  let base = '';

  const call = (method: string, url: string, body?: unknown) =>
    fetch(`${base}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    await state.init();
    audit = createAuditLog({ store: state, logger: silentLogger });
    const app = express();
    app.use(express.json());
    // Stands in for the central authorizer, which attaches the admin's identity before this router.
    app.use((req, _res, next) => {
      setIdentity(req, { kind: 'session', name: 'alice', displayName: 'Alice', roles: ['admin'], scopes: [], zones: [] });
      next();
    });
    app.use('/api/v1', createDeviceRouter({ service: createDeviceService({ state, topicRoot: 'city' }), audit }));
    app.use(errorHandler(silentLogger));
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server!.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists and deletes a device, auditing both changes', async () => {
    const created = await call('POST', '/api/v1/devices', { id: 'B-1', domain: 'bins' });
    expect(created.status).toBe(201);
    const device = DeviceCreatedSchema.parse(await created.json());
    expect(device).toMatchObject({ id: 'B-1', domain: 'bins', username: 'dev-bins.B-1', topic: 'city/bins/B-1', createdBy: 'alice' });
    expect(device.password).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const listed = await call('GET', '/api/v1/devices');
    expect(listed.status).toBe(200);
    const list = (await listed.json()) as unknown[];
    expect(list.map((d) => DeviceInfoSchema.parse(d))).toEqual([
      { id: 'B-1', domain: 'bins', username: 'dev-bins.B-1', topic: 'city/bins/B-1', createdAt: device.createdAt, createdBy: 'alice' },
    ]);
    expect(JSON.stringify(list)).not.toMatch(/password|argon2/);

    expect((await call('POST', '/api/v1/devices', { id: 'B-1', domain: 'bins' })).status).toBe(409);
    expect((await call('DELETE', '/api/v1/devices/B-1')).status).toBe(204);
    const again = await call('DELETE', '/api/v1/devices/B-1');
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: { code: 'not_found', message: 'no device B-1' } });

    await audit.flush();
    const entries = await audit.query({ limit: 10 });
    expect(entries.map((e) => [e.action, e.actor, e.target, e.details])).toEqual([
      ['device.delete', 'alice', 'B-1', { domain: 'bins' }],
      ['device.create', 'alice', 'B-1', { domain: 'bins' }],
    ]);
    expect(entries[0]?.ip).toMatch(/127\.0\.0\.1/);
  });

  it('answers 400 naming the bad key', async () => {
    const badDomain = await call('POST', '/api/v1/devices', { id: 'B-2', domain: 'Bins!' });
    expect(badDomain.status).toBe(400);
    const body = (await badDomain.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.issues.map((i) => i.path)).toEqual(['domain']);

    const extra = await call('POST', '/api/v1/devices', { id: 'B-2', domain: 'bins', password: 'mine' });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { error: { message: string } }).error.message).toMatch(/password/);
    expect(await state.getDevice('B-2')).toBeUndefined();
  });
});

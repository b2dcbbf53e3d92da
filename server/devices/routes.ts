import express, { type Router } from 'express';
import { DeviceCreateSchema, type DeviceCreated, type DeviceInfo } from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { clientIp, identityOf } from '../auth/request.js';
import { HttpError, badRequest } from '../http/errors.js';
import type { DeviceService } from './device-service.js';
import { DynsecError } from './dynsec.js';

export interface DeviceRouterOptions {
  service: DeviceService;
  audit: AuditLog;
}

/** `GET|POST /devices`, `DELETE /devices/:id` (admin; the central authorizer checks the role first). */
export function createDeviceRouter({ service, audit }: DeviceRouterOptions): Router {
  const router = express.Router();

  router.get('/devices', async (_req, res) => {
    res.json(await service.list());
  });

  router.post('/devices', async (req, res) => {
    const parsed = DeviceCreateSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest(parsed.error, 'body');
    const actor = identityOf(req).name;
    let created: DeviceCreated;
    try {
      created = await service.create(parsed.data, actor);
    } catch (err) {
      // The broker that holds the credentials refused or did not answer; the message says what to check.
      if (err instanceof DynsecError) throw new HttpError(503, 'unavailable', err.message);
      throw err;
    }
    audit.record({ actor, action: 'device.create', target: created.id, ip: clientIp(req), details: { domain: created.domain } });
    res.status(201).json(created);
  });

  router.delete('/devices/:id', async (req, res) => {
    const actor = identityOf(req).name;
    let removed: DeviceInfo | undefined;
    try {
      removed = await service.remove(req.params.id);
    } catch (err) {
      if (err instanceof DynsecError) throw new HttpError(503, 'unavailable', err.message);
      throw err;
    }
    if (removed === undefined) throw new HttpError(404, 'not_found', `no device ${req.params.id}`);
    audit.record({ actor, action: 'device.delete', target: removed.id, ip: clientIp(req), details: { domain: removed.domain } });
    res.status(204).end();
  });

  return router;
}

import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { EscalationPolicyInputSchema, notFound } from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { clientIp, identityOf } from '../auth/request.js';
import type { RouteSpec } from '../http/route-catalog.js';
import type { PolicyBook } from './policy-book.js';

const PolicyViewSchema = EscalationPolicyInputSchema.extend({ source: z.enum(['config', 'api']) });

/** Escalation-policy routes for the catalog (server/http/route-catalog.ts); mounted under /api/v1. */
export const ESCALATION_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/escalation-policies',
    access: 'rules.read',
    tag: 'escalation',
    summary: 'Escalation policies (config and API), in the order they are matched.',
    response: z.object({ policies: z.array(PolicyViewSchema) }),
  },
  {
    method: 'post',
    path: '/api/v1/escalation-policies',
    access: 'rules.write',
    tag: 'escalation',
    summary:
      "Create an escalation policy: match, optional auto-assignment to the zone's field user with the fewest open items, and steps that notify until someone acknowledges.",
    body: EscalationPolicyInputSchema,
    response: PolicyViewSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/api/v1/escalation-policies/:id',
    access: 'rules.read',
    tag: 'escalation',
    summary: 'One escalation policy.',
    response: PolicyViewSchema,
  },
  {
    method: 'put',
    path: '/api/v1/escalation-policies/:id',
    access: 'rules.write',
    tag: 'escalation',
    summary: 'Replace an escalation policy (config policies too; `enabled: false` turns one off).',
    body: EscalationPolicyInputSchema,
    response: PolicyViewSchema,
  },
  {
    method: 'delete',
    path: '/api/v1/escalation-policies/:id',
    access: 'rules.write',
    tag: 'escalation',
    summary: 'Delete an API escalation policy (config ones can only be replaced or disabled).',
    status: 204,
  },
];

export function createEscalationRouter(deps: { policies: PolicyBook; audit: AuditLog }): Router {
  const { policies, audit } = deps;
  const router = express.Router();
  const record = (req: Request, action: 'escalation.create' | 'escalation.update' | 'escalation.delete', id: string) =>
    audit.record({
      actor: identityOf(req).name,
      action,
      target: `escalation-policy:${id}`,
      ip: clientIp(req),
      details: {},
    });
  const idOf = (req: Request) => String(req.params.id);

  router.get('/escalation-policies', async (_req: Request, res: Response) => {
    res.json({ policies: await policies.list() });
  });
  router.post('/escalation-policies', async (req: Request, res: Response) => {
    const policy = await policies.create(req.body);
    record(req, 'escalation.create', policy.id);
    res.status(201).json(policy);
  });
  router.get('/escalation-policies/:id', async (req: Request, res: Response) => {
    const policy = await policies.get(idOf(req));
    if (policy === undefined) throw notFound(`escalation policy "${idOf(req)}" does not exist`);
    res.json(policy);
  });
  router.put('/escalation-policies/:id', async (req: Request, res: Response) => {
    const policy = await policies.replace(idOf(req), req.body);
    record(req, 'escalation.update', policy.id);
    res.json(policy);
  });
  router.delete('/escalation-policies/:id', async (req: Request, res: Response) => {
    await policies.remove(idOf(req));
    record(req, 'escalation.delete', idOf(req));
    res.status(204).end();
  });
  return router;
}

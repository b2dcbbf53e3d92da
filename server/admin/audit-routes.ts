import express, { type Router } from 'express';
import { AuditQuerySchema } from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { badRequest } from '../http/errors.js';

/** `GET /audit` (admin, supervisor): newest first, filtered by time, actor and action. */
export function createAuditRouter(deps: { audit: AuditLog }): Router {
  const router = express.Router();
  router.get('/audit', async (req, res) => {
    const parsed = AuditQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest(parsed.error, 'query');
    // Entries recorded just before (this very request's own caller, say) are visible.
    await deps.audit.flush();
    res.json({ entries: await deps.audit.query(parsed.data) });
  });
  return router;
}

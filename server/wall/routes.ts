import express, { type Router } from 'express';
import {
  CameraEventsQuerySchema,
  CameraEventsResponseSchema,
  KpisResponseSchema,
  QualityQuerySchema,
  QualityResponseSchema,
  RuleNamesResponseSchema,
  type CameraEventsResponse,
  type Entity,
  type Rule,
  type RuleName,
  type RuleNamesResponse,
} from '../../contract/index.js';
import { allows } from '../auth/policy.js';
import { identityOf } from '../auth/request.js';
import type { CameraBook } from '../cameras/camera-book.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { RouteSpec } from '../http/route-catalog.js';
import type { KpiService } from '../kpis/kpi-service.js';
import type { QualityTracker } from '../quality/quality-tracker.js';

export interface WallRoutesDeps {
  kpis: KpiService;
  quality: QualityTracker;
  cameras: CameraBook;
  /** This node's live entities. */
  entities: () => Iterable<Entity>;
  domains: readonly string[];
  /** The alert rules in force (empty until the alert service runs). */
  rules: () => readonly Rule[];
  clock?: () => number;
}

/** The KPI, data-quality and camera routes for the catalog (server/http/route-catalog.ts); mounted under /api/v1. */
export const WALL_ROUTES: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/kpis',
    access: 'kpis.read',
    tag: 'wall',
    summary:
      'The KPI board: air, traffic, health, public-service queues and the Decision 766 dossier measures, each with its target, status (ok, warn, bad) and a trend for a sparkline.',
    response: KpisResponseSchema,
  },
  {
    method: 'get',
    path: '/api/v1/quality',
    access: 'kpis.read',
    tag: 'wall',
    summary:
      'Data quality per domain and entity: reporting, stale and silent counts, received rate, ingest lag p95 (receive time − observation time) and refusals by reason with the latest examples.',
    query: QualityQuerySchema,
    response: QualityResponseSchema,
  },
  {
    method: 'get',
    path: '/api/v1/cameras/events',
    access: 'live.read',
    tag: 'wall',
    summary:
      'Recent camera detections (Frigate events), newest first, with snapshot and clip links when configured. Licence plates only for roles that may read them (admin, supervisor).',
    query: CameraEventsQuerySchema,
    response: CameraEventsResponseSchema,
  },
  {
    method: 'get',
    path: '/api/v1/rule-names',
    // Whoever may read alerts may know what the rules behind them are called (a wall's display token too).
    access: 'alerts.read',
    tag: 'wall',
    summary: 'Each alert rule\'s id, name and watched field, to label alerts; the conditions stay behind rules.read.',
    response: RuleNamesResponseSchema,
  },
];

/** A rule as an alert board names it. */
export function ruleName(rule: Rule): RuleName {
  // Only a plain threshold's alert value is a reading of its field (a rate's is a change per time).
  const field = 'field' in rule.condition ? rule.condition.field : undefined;
  return { id: rule.id, name: rule.name, ...(field !== undefined ? { field } : {}) };
}

export function createWallRouter(deps: WallRoutesDeps): Router {
  const router = express.Router();
  const clock = deps.clock ?? Date.now;

  router.get('/kpis', async (_req, res) => {
    res.json(await deps.kpis.current());
  });

  router.get('/quality', (req, res) => {
    const query = QualityQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    if (query.data.domain !== undefined && !deps.domains.includes(query.data.domain)) {
      throw new HttpError(404, 'not_found', `Unknown domain "${query.data.domain}": known domains are ${deps.domains.join(', ')}.`);
    }
    res.json(deps.quality.report(query.data, deps.entities(), deps.domains, clock()));
  });

  router.get('/cameras/events', (req, res) => {
    const query = CameraEventsQuerySchema.safeParse(req.query);
    if (!query.success) throw badRequest(query.error, 'query');
    const body: CameraEventsResponse = {
      cameras: deps.cameras.cameras(),
      events: deps.cameras.list(query.data, allows(identityOf(req), 'plates.read'), clock()),
    };
    res.json(body);
  });

  router.get('/rule-names', (_req, res) => {
    const body: RuleNamesResponse = { rules: deps.rules().map(ruleName) };
    res.json(body);
  });

  return router;
}

import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { ReportsConfig } from '../../config/field-schema.js';
import {
  ReportAssignSchema,
  ReportCreatedSchema,
  ReportCreateSchema,
  ReportNoteSchema,
  ReportRatingSchema,
  ReportRejectSchema,
  ReportResolveSchema,
  ReportSchema,
  ReportsQuerySchema,
  ReportStartSchema,
  ReportTrackSchema,
  type AuditAction,
  type Basemap,
  type Report,
  type ReportCreated,
} from '../../contract/index.js';
import { ATTACHMENT_ROUTES } from '../attachments/routes.js';
import { filesOf, isMultipart, multipartParser } from '../attachments/multipart.js';
import type { AuditLog } from '../audit/audit-log.js';
import { allows, canSeeItem, limitedToZones, type Identity } from '../auth/policy.js';
import { clientIp, identityOf } from '../auth/request.js';
import { badRequest, HttpError } from '../http/errors.js';
import type { RouteSpec } from '../http/route-catalog.js';
import { CITIZEN, trackView, withoutContact } from './report-lifecycle.js';
import { limitPerAddress, LOOKUPS_PER_MINUTE } from './public-limits.js';
import type { ReportService } from './types.js';

/*
 * Citizen reports over REST: the public page files, tracks and rates (no account, limited per
 * address); staff list, read and move them with the alerts' permissions. Contact details reach
 * only people who act on reports.
 */

const CategoriesAnswer = z.object({
  categories: z.array(
    z.object({ id: z.string(), name: z.object({ vi: z.string(), en: z.string() }), deadline: z.number() }),
  ),
});
const ReportsAnswer = z.object({ reports: z.array(ReportSchema) });
const Names = z.object({ vi: z.string(), en: z.string() });
const Position = z.array(z.number());
/** `GET /api/v1/reports/map`: what the public place picker draws; parsing strips anything else, so nothing more leaks out. */
export const ReportMapSchema = z.object({
  center: z.tuple([z.number(), z.number()]),
  zoom: z.number(),
  /** Ward boundaries: public administrative outlines, so a citizen sees which ward a point falls in. */
  wards: z.array(
    z.object({
      id: z.string(),
      name: Names,
      geometry: z.union([
        z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(Position)) }),
        z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(z.array(Position))) }),
      ]),
    }),
  ),
  basemap: z.union([
    z.object({ kind: z.literal('offline') }),
    z.object({ kind: z.literal('style'), url: z.string() }),
    z.object({ kind: z.literal('pmtiles'), url: z.string(), attribution: z.string().optional() }),
    z.object({
      kind: z.literal('tiles'),
      url: z.string(),
      tileSize: z.union([z.literal(256), z.literal(512)]),
      maxZoom: z.number(),
      attribution: z.string().optional(),
    }),
  ]),
});
export type ReportMap = z.infer<typeof ReportMapSchema>;

/** The picker's map from the console's map settings: centre, zoom, ward outlines and basemap only. */
export function reportMapOf(
  map: { center: readonly [number, number]; zoom: number; zones: readonly ReportMap['wards'][number][] },
  basemap: Basemap,
): ReportMap {
  return ReportMapSchema.parse({
    center: [map.center[0], map.center[1]],
    zoom: map.zoom,
    wards: map.zones.map((z) => ({ id: z.id, name: { vi: z.name.vi, en: z.name.en }, geometry: z.geometry })),
    basemap,
  });
}
const CodeParam = z.string().min(1).max(32);

// Fixed paths (categories, track) before `:id`, which would match them too.
export const REPORT_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/reports/categories',
    access: 'public',
    tag: 'reports',
    summary: 'What citizens may report, with names in Vietnamese and English and the deadline (ms).',
    response: CategoriesAnswer,
  },
  {
    method: 'get',
    path: '/api/v1/reports/map',
    access: 'public',
    tag: 'reports',
    summary:
      "The public page's place picker: map centre and zoom, the wards (public administrative outlines) and the basemap; no entities, rules or settings.",
    response: ReportMapSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports',
    access: 'public',
    tag: 'reports',
    summary:
      'File a citizen report (no account): JSON, or multipart/form-data with the same JSON in the field `report` and up to reports.maxPhotos files in `photos` (image/jpeg, png or webp by their bytes, 10 MB each). Answers the tracking code. Limited per address (429 with Retry-After).',
    body: ReportCreateSchema,
    multipart: { report: 'text', photos: 'files' },
    response: ReportCreatedSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/api/v1/reports/track/:code',
    access: 'public',
    tag: 'reports',
    summary: 'Follow a report by its code: status, times, result (never personal data). Limited per address.',
    response: ReportTrackSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports/track/:code/rating',
    access: 'public',
    tag: 'reports',
    summary: 'Rate the handling once the report is resolved or rejected (409 before, or a second time).',
    body: ReportRatingSchema,
    response: ReportTrackSchema,
  },
  {
    method: 'get',
    path: '/api/v1/reports',
    access: 'alerts.read',
    tag: 'reports',
    summary:
      'Citizen reports by status, zone, assignee, category, overdue and time, newest first (field users: assigned to them or in their zones; contact only for those who act on reports).',
    query: ReportsQuerySchema,
    response: ReportsAnswer,
  },
  {
    method: 'get',
    path: '/api/v1/reports/:id',
    access: 'alerts.read',
    tag: 'reports',
    summary: 'One report with its history and photos.',
    response: ReportSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports/:id/assign',
    access: 'alerts.assign',
    tag: 'reports',
    summary: 'Assign to a person (409 when closed or someone moved it first).',
    body: ReportAssignSchema,
    response: ReportSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports/:id/start',
    access: 'alerts.act',
    tag: 'reports',
    summary: 'Take the report on (its acknowledgement): in progress, and yours when unassigned.',
    body: ReportStartSchema,
    response: ReportSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports/:id/resolve',
    access: 'alerts.act',
    tag: 'reports',
    summary: 'Resolve with the result the citizen will read.',
    body: ReportResolveSchema,
    response: ReportSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports/:id/reject',
    access: 'alerts.act',
    tag: 'reports',
    summary: 'Reject with the reason the citizen will read.',
    body: ReportRejectSchema,
    response: ReportSchema,
  },
  {
    method: 'post',
    path: '/api/v1/reports/:id/note',
    access: 'alerts.act',
    tag: 'reports',
    summary: 'Add a note (staff only).',
    body: ReportNoteSchema,
    response: ReportSchema,
  },
  ...ATTACHMENT_ROUTES,
];

export interface ReportsRouterDeps {
  service: ReportService;
  config: ReportsConfig;
  audit: AuditLog;
  /** The place picker's map (built once at start-up by `reportMapOf`). */
  map: ReportMap;
}

function parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw badRequest(result.error, what);
  return result.data;
}

/** Contact details for people who act on reports; analysts, wall screens and tokens get none. */
function viewFor(identity: Identity, report: Report): Report {
  return identity.kind === 'session' && allows(identity, 'alerts.act') ? report : withoutContact(report);
}

/** The report JSON of a multipart body (the `report` field), or the JSON body itself. */
function reportInput(req: Request): unknown {
  if (!isMultipart(req)) return (req.body as unknown) ?? {};
  const text = (req.body as Record<string, unknown> | undefined)?.report;
  if (typeof text !== 'string')
    throw new HttpError(400, 'bad_request', 'body.report: the report as JSON text in the multipart field "report"');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'bad_request', `body.report is not valid JSON: ${(err as Error).message}`);
  }
}

export function createReportsRouter(deps: ReportsRouterDeps): Router {
  const { service, config, audit, map } = deps;
  const router = express.Router();
  const json = express.json({ limit: '64kb' });
  const filing = limitPerAddress('report_create', [
    { points: config.rateLimit.perMinute, seconds: 60 },
    { points: config.rateLimit.perDay, seconds: 86_400 },
  ]);
  const lookups = limitPerAddress('report_lookup', [{ points: LOOKUPS_PER_MINUTE, seconds: 60 }]);
  const upload = multipartParser({
    files: [{ name: 'photos', maxCount: Math.max(1, config.maxPhotos) }],
    fields: ['report'],
    maxFieldBytes: 16 * 1024,
  });
  const onlyJsonOrMultipart: express.RequestHandler = (req, _res, next) => {
    if (isMultipart(req)) return upload(req, _res, next);
    if (req.is('application/json') === 'application/json') return next();
    next(
      new HttpError(
        415,
        'unsupported_media_type',
        'Send the report as application/json, or multipart/form-data with the JSON in "report" and photos in "photos".',
      ),
    );
  };

  const record = (
    req: Request,
    actor: string,
    action: AuditAction,
    target: string,
    details: Record<string, unknown> = {},
  ) => audit.record({ actor, action, target, ip: clientIp(req), details });

  /** The report if the caller may see it (field users: assigned to them or in their zones); 404 otherwise. */
  const visible = async (req: Request): Promise<Report> => {
    const id = req.params.id as string;
    const report = await service.get(id);
    if (report === undefined || !canSeeItem(identityOf(req), report))
      throw new HttpError(404, 'not_found', `report "${id}" does not exist`);
    return report;
  };
  /** A person's move: checked against what they may see, made in their name, audited. */
  const move = async (
    req: Request,
    res: Response,
    action: AuditAction,
    run: (id: string, by: string) => Promise<Report>,
    details: Record<string, unknown> = {},
  ) => {
    const report = await visible(req);
    const identity = identityOf(req);
    const next = await run(report.id, identity.name);
    record(req, identity.name, action, report.id, { code: report.code, status: next.status, ...details });
    res.json(viewFor(identity, next));
  };

  // Public.
  router.get('/reports/categories', (_req, res) => {
    res.json({ categories: service.categories() });
  });
  router.get('/reports/map', (_req, res) => {
    res.json(map);
  });
  router.post('/reports', filing, onlyJsonOrMultipart, async (req, res) => {
    const input = parse(ReportCreateSchema, reportInput(req), 'body');
    const photos = filesOf(req, 'photos').map((f) => ({
      bytes: f.buffer,
      declaredType: f.mimetype,
      fileName: f.originalname,
    }));
    const report = await service.create(input, photos);
    record(req, CITIZEN, 'report.create', report.id, {
      code: report.code,
      category: report.category,
      zone: report.zone,
      photos: photos.length,
    });
    const created: ReportCreated = {
      id: report.id,
      code: report.code,
      status: 'received',
      category: report.category,
      zone: report.zone,
      deadline: report.deadline,
      ...(report.attachments.length > 0
        ? { attachments: report.attachments.map((a) => ({ id: a.id, url: a.url })) }
        : {}),
    };
    res.status(201).json(created);
  });
  router.get('/reports/track/:code', lookups, async (req, res) => {
    const code = parse(CodeParam, req.params.code, 'path.code');
    const report = await service.getByCode(code);
    if (report === undefined) throw new HttpError(404, 'not_found', `No report has the code "${code}".`);
    res.json(trackView(report));
  });
  router.post('/reports/track/:code/rating', lookups, json, async (req, res) => {
    const code = parse(CodeParam, req.params.code, 'path.code');
    const rating = parse(ReportRatingSchema, (req.body as unknown) ?? {}, 'body');
    const report = await service.rate(code, rating);
    record(req, CITIZEN, 'report.rate', report.id, { code: report.code, score: rating.score });
    res.json(trackView(report));
  });

  // Staff.
  router.get('/reports', async (req, res) => {
    const identity = identityOf(req);
    const query = parse(ReportsQuerySchema, req.query, 'query');
    const limited = limitedToZones(identity);
    // A field user's list is filtered after the query, so read the most the query allows first.
    let reports = await service.query(limited ? { ...query, limit: 1000 } : query);
    if (limited) reports = reports.filter((r) => canSeeItem(identity, r)).slice(0, query.limit);
    res.json({ reports: reports.map((r) => viewFor(identity, r)) });
  });
  router.get('/reports/:id', async (req, res) => {
    res.json(viewFor(identityOf(req), await visible(req)));
  });
  router.post('/reports/:id/assign', json, async (req, res) => {
    const body = parse(ReportAssignSchema, (req.body as unknown) ?? {}, 'body');
    await move(req, res, 'report.assign', (id, by) => service.assign(id, body.assignee, by, body.note), {
      assignee: body.assignee,
    });
  });
  router.post('/reports/:id/start', json, async (req, res) => {
    const body = parse(ReportStartSchema, (req.body as unknown) ?? {}, 'body');
    await move(req, res, 'report.start', (id, by) => service.start(id, by, body.note));
  });
  router.post('/reports/:id/resolve', json, async (req, res) => {
    const body = parse(ReportResolveSchema, (req.body as unknown) ?? {}, 'body');
    await move(req, res, 'report.resolve', (id, by) => service.resolve(id, by, body.result));
  });
  router.post('/reports/:id/reject', json, async (req, res) => {
    const body = parse(ReportRejectSchema, (req.body as unknown) ?? {}, 'body');
    await move(req, res, 'report.reject', (id, by) => service.reject(id, by, body.reason));
  });
  router.post('/reports/:id/note', json, async (req, res) => {
    const body = parse(ReportNoteSchema, (req.body as unknown) ?? {}, 'body');
    await move(req, res, 'report.note', (id, by) => service.note(id, by, body.text));
  });
  return router;
}

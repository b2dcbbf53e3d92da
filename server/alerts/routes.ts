import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  AlertStateSchema,
  DomainSchema,
  DurationSchema,
  QueryTimeSchema,
  SeveritySchema,
  type Alert,
  type AuditAction,
  type Rule,
  type RuleView,
} from '../../contract/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { canSeeItem, limitedToZones } from '../auth/policy.js';
import { clientIp, identityOf } from '../auth/request.js';
import type { AlertService } from './alert-service.js';
import { fromZodError, notFound } from './errors.js';
import { errorBody, toHttpError } from '../http/errors.js';

export interface AlertsRouterOptions {
  /** Time base for `snooze {for}` and the default backtest range. */
  clock?: () => number;
  /** Where rule changes and alert moves are recorded (who, when, from where). */
  audit?: AuditLog;
}

const DAY = 86_400_000;

export const ByNoteSchema = z.strictObject({
  by: z.string().min(1).max(128).optional(),
  note: z.string().min(1).max(4000).optional(),
});
export const AssignSchema = z.strictObject({
  assignee: z.string().min(1).max(128),
  by: z.string().min(1).max(128).optional(),
});
export const NoteSchema = z.strictObject({ note: z.string().min(1).max(4000), by: z.string().min(1).max(128).optional() });
const BodyTimeSchema = z.union([
  z.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);
export const SnoozeSchema = z
  .strictObject({
    until: BodyTimeSchema.optional(),
    for: DurationSchema.optional(),
    by: z.string().min(1).max(128).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.until === undefined) === (body.for === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['until'],
        message: 'give either "until" (ms or RFC 3339) or "for" (e.g. "30m")',
      });
    }
  });
/** `a,b,c` in a query string, each item checked by `item`. */
const commaList = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()))
    .pipe(z.array(item).min(1));
export const AlertsQuerySchema = z.strictObject({
  state: commaList(AlertStateSchema).optional(),
  severity: commaList(SeveritySchema).optional(),
  domain: DomainSchema.optional(),
  ruleId: z.string().min(1).max(128).optional(),
  entityId: z.string().min(1).max(128).optional(),
  assignee: z.string().min(1).max(128).optional(),
  zone: z.string().min(1).max(128).optional(),
  from: QueryTimeSchema.optional(),
  to: QueryTimeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export const BacktestQuerySchema = z.strictObject({
  from: QueryTimeSchema.optional(),
  to: QueryTimeSchema.optional(),
  stream: z.enum(['0', '1', 'true', 'false']).optional(),
});

/**
 * REST endpoints for rules and alerts, mounted by the composition root under /api/v1. Errors are
 * thrown as AlertsError (status + code + issues) for the app's single error handler.
 */
export function createAlertsRouter(service: AlertService, options: AlertsRouterOptions = {}): Router {
  const clock = options.clock ?? Date.now;
  const audit = options.audit;
  const router = express.Router();
  const record = (req: Request, action: AuditAction, target: string, details: Record<string, unknown> = {}) =>
    audit?.record({ actor: identityOf(req).name, action, target, ip: clientIp(req), details });

  /** The alert if the caller may see it (field users: assigned to them or in their zones); 404 otherwise. */
  const visibleAlert = async (req: Request, id: string): Promise<Alert> => {
    const alert = await service.findAlert(id);
    if (alert === undefined || !canSeeItem(identityOf(req), alert)) throw notFound('alert', id);
    return alert;
  };
  /** A person's move: checked against what they may see, made in their name, audited. */
  const move = async (req: Request, res: Response, action: AuditAction, run: (by: string) => Promise<Alert>, details: Record<string, unknown> = {}) => {
    const id = req.params.id as string;
    await visibleAlert(req, id);
    const alert = await run(identityOf(req).name);
    record(req, action, id, { state: alert.state, ...details });
    res.json(alert);
  };
  // Per route, never router-wide: this router shares /api/v1 with ingest, whose bodies it must not consume.
  // A no-op when the app has already parsed the body.
  const json = express.json({ limit: '1mb' });

  const view = (rule: Rule): RuleView => ({ ...rule, source: service.ruleSource(rule.id) });
  router.get('/rules', (_req, res) => {
    res.json({ rules: service.listRules().map(view) });
  });
  router.post('/rules', json, async (req, res) => {
    const rule = await service.createRule(req.body);
    record(req, 'rule.create', rule.id, { name: rule.name });
    res.status(201).json(view(rule));
  });
  router.get('/rules/:id', (req, res) => {
    res.json(view(service.getRule(req.params.id)));
  });
  router.put('/rules/:id', json, async (req, res) => {
    const rule = await service.replaceRule(req.params.id, req.body);
    record(req, 'rule.update', rule.id, { name: rule.name, enabled: rule.enabled });
    res.json(view(rule));
  });
  router.delete('/rules/:id', async (req, res) => {
    await service.deleteRule(req.params.id);
    record(req, 'rule.delete', req.params.id);
    res.status(204).end();
  });
  router.post('/rules/:id/backtest', async (req, res) => {
    const query = parse(BacktestQuerySchema, req.query, 'query');
    const to = query.to ?? clock();
    const from = query.from ?? to - DAY;
    if (query.stream === '1' || query.stream === 'true') await streamBacktest(service, req.params.id, from, to, res);
    else res.json(await service.backtest(req.params.id, { from, to }));
  });

  router.get('/alerts', async (req, res) => {
    const identity = identityOf(req);
    const query = parse(AlertsQuerySchema, req.query, 'query');
    let alerts = await service.queryAlerts(limitedToZones(identity) ? { ...query, limit: undefined } : query);
    if (limitedToZones(identity)) alerts = alerts.filter((alert) => canSeeItem(identity, alert)).slice(0, query.limit ?? alerts.length);
    res.json({ alerts });
  });
  router.get('/alerts/:id', async (req, res) => {
    res.json(await visibleAlert(req, req.params.id));
  });
  // `by` in a body is accepted for old clients and ignored: the actor is whoever is signed in.
  router.post('/alerts/:id/ack', json, async (req, res) => {
    const body = parse(ByNoteSchema, bodyOf(req), 'body');
    await move(req, res, 'alert.ack', (by) => service.ack(req.params.id, by, body.note));
  });
  router.post('/alerts/:id/resolve', json, async (req, res) => {
    const body = parse(ByNoteSchema, bodyOf(req), 'body');
    await move(req, res, 'alert.resolve', (by) => service.resolve(req.params.id, by, body.note));
  });
  router.post('/alerts/:id/assign', json, async (req, res) => {
    const body = parse(AssignSchema, bodyOf(req), 'body');
    await move(req, res, 'alert.assign', (by) => service.assign(req.params.id, body.assignee, by), { assignee: body.assignee });
  });
  router.post('/alerts/:id/snooze', json, async (req, res) => {
    const body = parse(SnoozeSchema, bodyOf(req), 'body');
    const until = body.until ?? clock() + (body.for ?? 0);
    await move(req, res, 'alert.snooze', (by) => service.snooze(req.params.id, until, by), { until });
  });
  router.post('/alerts/:id/note', json, async (req, res) => {
    const body = parse(NoteSchema, bodyOf(req), 'body');
    await move(req, res, 'alert.note', (by) => service.note(req.params.id, by, body.note));
  });
  return router;
}

/** NDJSON: `{"progress":0.42}` lines while the replay runs, then the result (or `{"error":…}`) as the last line. */
async function streamBacktest(
  service: AlertService,
  id: string,
  from: number,
  to: number,
  res: Response,
): Promise<void> {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.status(200).type('application/x-ndjson');
  };
  try {
    const result = await service.backtest(id, {
      from,
      to,
      onProgress(fraction) {
        start();
        res.write(JSON.stringify({ progress: Math.round(fraction * 1000) / 1000 }) + '\n');
      },
    });
    start();
    res.end(JSON.stringify(result) + '\n');
  } catch (err) {
    // Before the first line the error handler still answers with a proper status.
    if (!started) throw err;
    // Mid-stream the status is sent: the last line is the same body the error handler would answer.
    const known = toHttpError(err);
    res.end(JSON.stringify(errorBody(known ?? { code: 'internal', message: (err as Error).message })) + '\n');
  }
}

function bodyOf(req: Request): unknown {
  return (req.body as unknown) ?? {};
}

function parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data;
}

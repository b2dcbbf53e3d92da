import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  AlertStateSchema,
  DomainSchema,
  DurationSchema,
  QueryTimeSchema,
  SeveritySchema,
  type Rule,
  type RuleView,
} from '../../contract/index.js';
import type { AlertService } from './alert-service.js';
import { fromZodError } from './errors.js';

export interface AlertsRouterOptions {
  /** Time base for `snooze {for}` and the default backtest range. */
  clock?: () => number;
}

const DAY = 86_400_000;

const ByNoteSchema = z.strictObject({
  by: z.string().min(1).max(128).optional(),
  note: z.string().min(1).max(4000).optional(),
});
const AssignSchema = z.strictObject({
  assignee: z.string().min(1).max(128),
  by: z.string().min(1).max(128).optional(),
});
const NoteSchema = z.strictObject({ note: z.string().min(1).max(4000), by: z.string().min(1).max(128).optional() });
const BodyTimeSchema = z.union([
  z.number().int().nonnegative(),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);
const SnoozeSchema = z
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
const AlertsQuerySchema = z.strictObject({
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
const BacktestQuerySchema = z.strictObject({
  from: QueryTimeSchema.optional(),
  to: QueryTimeSchema.optional(),
  stream: z.enum(['0', '1', 'true', 'false']).optional(),
});

const DEFAULT_ACTOR = 'operator';

/**
 * REST endpoints for rules and alerts, mounted by the composition root under /api/v1. Errors are
 * thrown as AlertsError (status + code + issues) for the app's single error handler.
 */
export function createAlertsRouter(service: AlertService, options: AlertsRouterOptions = {}): Router {
  const clock = options.clock ?? Date.now;
  const router = express.Router();
  // Per route, never router-wide: this router shares /api/v1 with ingest, whose bodies it must not consume.
  // A no-op when the app has already parsed the body.
  const json = express.json({ limit: '1mb' });

  const view = (rule: Rule): RuleView => ({ ...rule, source: service.ruleSource(rule.id) });
  router.get('/rules', (_req, res) => {
    res.json({ rules: service.listRules().map(view) });
  });
  router.post('/rules', json, async (req, res) => {
    res.status(201).json(view(await service.createRule(req.body)));
  });
  router.get('/rules/:id', (req, res) => {
    res.json(view(service.getRule(req.params.id)));
  });
  router.put('/rules/:id', json, async (req, res) => {
    res.json(view(await service.replaceRule(req.params.id, req.body)));
  });
  router.delete('/rules/:id', async (req, res) => {
    await service.deleteRule(req.params.id);
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
    res.json({ alerts: await service.queryAlerts(parse(AlertsQuerySchema, req.query, 'query')) });
  });
  router.get('/alerts/:id', (req, res) => {
    res.json(service.getAlert(req.params.id));
  });
  router.post('/alerts/:id/ack', json, (req, res) => {
    const body = parse(ByNoteSchema, bodyOf(req), 'body');
    res.json(service.ack(req.params.id, body.by ?? DEFAULT_ACTOR, body.note));
  });
  router.post('/alerts/:id/resolve', json, (req, res) => {
    const body = parse(ByNoteSchema, bodyOf(req), 'body');
    res.json(service.resolve(req.params.id, body.by ?? DEFAULT_ACTOR, body.note));
  });
  router.post('/alerts/:id/assign', json, (req, res) => {
    const body = parse(AssignSchema, bodyOf(req), 'body');
    res.json(service.assign(req.params.id, body.assignee, body.by ?? DEFAULT_ACTOR));
  });
  router.post('/alerts/:id/snooze', json, (req, res) => {
    const body = parse(SnoozeSchema, bodyOf(req), 'body');
    const until = body.until ?? clock() + (body.for ?? 0);
    res.json(service.snooze(req.params.id, until, body.by ?? DEFAULT_ACTOR));
  });
  router.post('/alerts/:id/note', json, (req, res) => {
    const body = parse(NoteSchema, bodyOf(req), 'body');
    res.json(service.note(req.params.id, body.by ?? DEFAULT_ACTOR, body.note));
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
    const code = (err as { code?: unknown }).code;
    res.end(
      JSON.stringify({
        error: { code: typeof code === 'string' ? code : 'internal', message: (err as Error).message },
      }) + '\n',
    );
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

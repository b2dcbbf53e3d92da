import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { badRequest, DomainSchema, HttpError, listRejections, MAX_LISTED_REJECTIONS, type IngestResult } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { PayloadFormat } from '../formats/types.js';
import { startIngest, type IngestRules } from '../ingest-payload.js';
import { commitAsyncOf, REJECTION_EXAMPLE_CHARS, type IngestCounters, type ObservationSink } from '../sink.js';

export interface HttpIngestOptions {
  maxPayloadBytes: number;
  normalize: IngestRules;
  sink: ObservationSink;
  counters: IngestCounters;
  logger: Logger;
}

/** InfluxDB's `/write` precisions, with its one-letter spellings `n` and `u`; m = minutes, h = hours. */
const PRECISION_ALIASES = { n: 'ns', u: 'us' } as const;
const IngestQuerySchema = z.strictObject({
  domain: DomainSchema.optional(),
  precision: z
    .enum(['ns', 'n', 'us', 'u', 'ms', 's', 'm', 'h'])
    .transform((p) => (p === 'n' || p === 'u' ? PRECISION_ALIASES[p] : p))
    .optional(),
});

const FORMAT_BY_TYPE: Record<string, PayloadFormat> = {
  'application/json': 'json',
  'application/senml+json': 'senml',
  'text/plain': 'line',
};

/** Items validated and handed on between two turns of the event loop (about 20 ms of work each). */
const INGEST_SLICE_ITEMS = 1_000;

/** `POST /api/v1/ingest` (wire contract v1): JSON, SenML or line protocol; per-item rejection. */
export function createIngestRouter(options: HttpIngestOptions): Router {
  const router = express.Router();
  const { counters, sink } = options;
  const commitAsync = commitAsyncOf(sink);

  router.post(
    '/ingest',
    // Who may ingest (loopback, a token with scope `ingest`, a config token) is decided at the door: server/auth/authorizer.ts.
    express.raw({ type: () => true, limit: options.maxPayloadBytes }),
    // A refusal of the whole request is thrown to the app's one error handler, which shapes every error body.
    async (req: Request, res: Response) => {
      const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      const format = FORMAT_BY_TYPE[type];
      if (!format) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          `Content-Type "${type || '(none)'}" is not accepted: use application/json, application/senml+json (with ?domain=) or text/plain (InfluxDB line protocol).`,
        );
      }
      const query = IngestQuerySchema.safeParse(req.query);
      if (!query.success) throw badRequest(query.error, 'query');
      if (format === 'senml' && !query.data.domain) {
        throw new HttpError(400, 'bad_request', 'SenML needs the domain: POST /api/v1/ingest?domain=<domain>.');
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (body.length === 0) {
        throw new HttpError(400, 'bad_request', 'The request body is empty.');
      }
      counters.messages += 1;
      // A 1 MB body holds ~18 000 observations, a few hundred ms of validation, live state and rules in one
      // piece: taken a slice at a time with a turn of the event loop between, so /healthz and the live feed
      // keep answering meanwhile. The slices are accepted as they come and committed once, before the answer.
      const batch = startIngest(body, format, query.data, options.normalize, Date.now());
      for (;;) {
        const slice = batch.next(INGEST_SLICE_ITEMS);
        if (slice.length > 0) sink.accept(slice);
        if (batch.remaining === 0) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const outcome = batch.finish();
      counters.accepted += outcome.observations.length;
      counters.rejected += outcome.rejected.length;
      if (outcome.rejected.length > 0) {
        counters.rejectedBy.set('http', (counters.rejectedBy.get('http') ?? 0) + outcome.rejected.length);
        counters.onRejected?.({
          at: Date.now(),
          transport: 'http',
          domain: query.data.domain ?? 'unknown',
          source: 'POST /api/v1/ingest',
          errors: outcome.rejected.slice(0, MAX_LISTED_REJECTIONS),
          example: body.subarray(0, REJECTION_EXAMPLE_CHARS).toString('utf8'),
        });
      }
      if (outcome.observations.length > 0) {
        // 202 promises the data survives a killed process: durable before the answer (a failure answers 500).
        // The fdatasync runs off the event loop, so other requests and the live feed go on meanwhile.
        await new Promise<void>((resolve, reject) => commitAsync((err) => (err ? reject(err) : resolve())));
      }
      const result: IngestResult = { accepted: outcome.observations.length, ...listRejections(outcome.rejected) };
      if (result.accepted === 0) {
        res.status(400).json(result);
        return;
      }
      // Accepted either way; a saturated store tells the sender to slow down for the next batch.
      if (sink.saturated()) res.set('Retry-After', '1');
      res.status(202).json(result);
    },
  );

  // The parser's 413 named with this route's own limit; everything else goes on to the app's handler as it is.
  router.use('/ingest', (err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    const e = err as { type?: string };
    if (e.type === 'entity.too.large') {
      next(new HttpError(413, 'payload_too_large', `The body exceeds ${options.maxPayloadBytes} bytes: split it into smaller batches.`));
      return;
    }
    next(err);
  });

  return router;
}

import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { formatIssues, issuesOf, type ErrorBody, type ErrorCode } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';

/** The one error class with an HTTP status and a contract error code; routes and services throw it (or a subclass). */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** A 400 built from schema issues, naming each bad key. */
export function badRequest(error: z.ZodError, what: string): HttpError {
  // The same issue text as ingest's refusals (contract/zod-issues.ts), every issue listed.
  return new HttpError(400, 'bad_request', formatIssues(error, what, Number.POSITIVE_INFINITY), issuesOf(error, what));
}

function isCoded(err: unknown): err is { status: number; code: ErrorCode; message: string; issues?: ErrorBody['error']['issues'] } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { status?: unknown }).status === 'number' &&
    typeof (err as { code?: unknown }).code === 'string'
  );
}

/** The one error handler: known errors become `{error:{code,message}}`, the rest a logged 500. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) return;
    const bodyParser = err as { type?: string; status?: number; message?: string };
    if (bodyParser.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'bad_request', message: `Body is not valid JSON: ${bodyParser.message ?? ''}` } });
      return;
    }
    if (bodyParser.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'The request body is too large.' } });
      return;
    }
    if (bodyParser.type === 'encoding.unsupported' || bodyParser.type === 'charset.unsupported') {
      res.status(415).json({ error: { code: 'unsupported_media_type', message: `${bodyParser.message ?? 'Unsupported encoding'}: send the body uncompressed, or gzip, deflate or br, in UTF-8.` } });
      return;
    }
    if (bodyParser.type === 'request.aborted' || bodyParser.type === 'request.size.invalid') {
      res.status(400).json({ error: { code: 'bad_request', message: `The request body was cut short: ${bodyParser.message ?? ''}` } });
      return;
    }
    // The router could not percent-decode a path segment (e.g. `%E0%A4%A`).
    if (err instanceof URIError || (bodyParser.status === 400 && /decode param/i.test(bodyParser.message ?? ''))) {
      res.status(400).json({ error: { code: 'bad_request', message: 'The URL has malformed percent-encoding (a % not followed by two hex digits of valid UTF-8).' } });
      return;
    }
    // HttpError and its subclasses; the duck-typed rest are the state store's errors, which carry the same fields.
    if ((err instanceof HttpError || isCoded(err)) && err.status >= 400 && err.status < 600) {
      const body: ErrorBody = { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
      res.status(err.status).json(body);
      return;
    }
    const requestId = req.get('x-request-id') ?? Math.random().toString(36).slice(2, 10);
    logger.error('request failed', { requestId, method: req.method, path: req.path, error: (err as Error)?.stack ?? String(err) });
    res.status(500).json({ error: { code: 'internal', message: `Internal error (request ${requestId}); see the server log.` } });
  };
}

import type { NextFunction, Request, Response } from 'express';
import { errorBody, HttpError } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';

// The one error class and its constructors live in the contract (ingest throws them too); re-exported for the server's routes.
export { badRequest, conflict, errorBody, HttpError, notFound } from '../../contract/index.js';

/**
 * What express's parsers and router throw, as the one error class; undefined for anything else,
 * which is a bug and answers 500. Only an HttpError (or subclass) carries a status of ours.
 */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err.status >= 400 && err.status < 600 ? err : undefined;
  if (err instanceof URIError) return malformedUrl();
  if (typeof err !== 'object' || err === null) return undefined;
  const parser = err as { type?: unknown; status?: unknown; message?: unknown };
  const message = typeof parser.message === 'string' ? parser.message : '';
  switch (parser.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'bad_request', `Body is not valid JSON: ${message}`);
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', `${message || 'Unsupported encoding'}: send the body uncompressed, or gzip, deflate or br, in UTF-8.`);
    case 'request.aborted':
    case 'request.size.invalid':
      return new HttpError(400, 'bad_request', `The request body was cut short: ${message}`);
  }
  // The router could not percent-decode a path segment (e.g. `%E0%A4%A`).
  if (parser.status === 400 && /decode param/i.test(message)) return malformedUrl();
  return undefined;
}

function malformedUrl(): HttpError {
  return new HttpError(400, 'bad_request', 'The URL has malformed percent-encoding (a % not followed by two hex digits of valid UTF-8).');
}

/** The one error handler: known errors become `{error:{code,message,issues?}}` with their status, the rest a logged 500. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) return;
    const known = toHttpError(err);
    if (known) {
      res.status(known.status).json(errorBody(known));
      return;
    }
    const requestId = req.get('x-request-id') ?? Math.random().toString(36).slice(2, 10);
    logger.error('request failed', { requestId, method: req.method, path: req.path, error: (err as Error)?.stack ?? String(err) });
    res.status(500).json(errorBody({ code: 'internal', message: `Internal error (request ${requestId}); see the server log.` }));
  };
}

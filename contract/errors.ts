import type { z } from 'zod';
import type { ErrorBody, ErrorCode } from './api.js';
import { formatIssues, issuesOf, type IssueText } from './zod-issues.js';

/**
 * The one error class of the API: an HTTP status, a contract error code and, for a bad input, one
 * issue per bad key. Routes, services, stores and ingest throw it (or a subclass); the app's one
 * handler answers it as `{error: {code, message, issues?}}`. It lives in the contract so that
 * ingest, which may import only the contract, refuses through the same class.
 */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: IssueText[],
  ) {
    super(message);
  }
}

/** The error answer's body; the only place that shapes it, so every refusal reads the same. */
export function errorBody(error: Pick<HttpError, 'code' | 'message' | 'issues'>): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) } };
}

/** 404: what was asked for does not exist. */
export function notFound(message: string): HttpError {
  return new HttpError(404, 'not_found', message);
}

/** 409: the current state does not allow the change (a key taken, a lost compare-and-set). */
export function conflict(message: string): HttpError {
  return new HttpError(409, 'conflict', message);
}

/** A 400 built from schema issues, every issue listed and named by its dotted path (`what` at the top). */
export function badRequest(error: z.ZodError, what = 'body'): HttpError {
  // The same issue text as ingest's refusals (contract/zod-issues.ts).
  return new HttpError(400, 'bad_request', formatIssues(error, what, Number.POSITIVE_INFINITY), issuesOf(error, what));
}

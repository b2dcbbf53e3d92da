import type { z } from 'zod';
import type { ErrorCode } from '../../contract/api.js';
import { HttpError } from '../../contract/errors.js';
import { issuesOf } from '../../contract/zod-issues.js';

export interface IssueBody {
  path: string;
  message: string;
}

/** The alert service's HttpError: the app's one error handler turns it into `{error: {code, message, issues?}}` with `status`. */
export class AlertsError extends HttpError {
  override readonly name: string = 'AlertsError';

  constructor(status: number, code: ErrorCode, message: string, issues?: IssueBody[]) {
    super(status, code, message, issues);
  }
}

/** 404 for an unknown rule or alert id. */
export function notFound(what: string, id: string): AlertsError {
  return new AlertsError(404, 'not_found', `${what} "${id}" does not exist`);
}

/** 409 for a move the current state does not allow. */
export function conflict(message: string): AlertsError {
  return new AlertsError(409, 'conflict', message);
}

/** 400 naming the bad key: one issue per problem, its path dotted (`condition.clear`). */
export function badRequest(message: string, issues?: IssueBody[]): AlertsError {
  return new AlertsError(400, 'bad_request', message, issues);
}

/** 400 from a zod failure; the message names the first bad key so a human sees it at once. */
export function fromZodError(error: z.ZodError, what: string): AlertsError {
  // The contract's one issue formatter; a top-level issue keeps an empty path, so the message reads `invalid rule: ...`.
  const issues = issuesOf(error, '');
  const first = issues[0];
  const where = first ? (first.path === '' ? `: ${first.message}` : ` at "${first.path}": ${first.message}`) : '';
  return badRequest(`invalid ${what}${where}`, issues);
}

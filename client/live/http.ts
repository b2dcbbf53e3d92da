import type { ErrorBody } from '../../contract/api.js';
import { sessionEnded } from '../session/session.js';

/** A REST failure as the server put it: status, `error.code` and its message (shown verbatim to the operator). */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path: string; message: string }[] = [],
    /** Seconds from a 429's `Retry-After`, when it had one. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** `Retry-After` in seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Reads the server's `{error}` body (or the status line when it is not JSON) into an ApiFailure. */
export async function readFailure(response: Response): Promise<ApiFailure> {
  const text = await response.text().catch(() => '');
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error) {
      return new ApiFailure(response.status, body.error.code, body.error.message, body.error.issues, retryAfter);
    }
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  return new ApiFailure(
    response.status,
    'http',
    `HTTP ${response.status} ${response.statusText}`.trim(),
    [],
    retryAfter,
  );
}

export interface RequestOptions {
  body?: unknown;
  /** Default 15 s; null for none (a streamed backtest, which has its own abort signal). */
  timeoutMs?: number | null;
  signal?: AbortSignal;
  /** A 401 here is an answer, not an ended session (login, the first `auth/me`). */
  anonymous?: boolean;
}

/**
 * The one door to `/api/v1`: sends the session cookie, turns a failure into an ApiFailure, and on 401
 * ends the session so the console goes back to the login page. A 403 stays an ApiFailure with code
 * `forbidden`, which the failure text shows as "not allowed for your role".
 */
export async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const { body, timeoutMs = 15_000, signal, anonymous = false } = options;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      signal: signal ?? (timeoutMs === null ? null : AbortSignal.timeout(timeoutMs)),
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiFailure(0, 'network', (err as Error).message);
  }
  if (response.ok) return response;
  const failure = await readFailure(response);
  if (response.status === 401 && !anonymous) sessionEnded();
  throw failure;
}

/** A JSON call through `request`; 204 resolves with undefined. */
export async function call<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

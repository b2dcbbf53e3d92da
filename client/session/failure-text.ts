import type { Translate } from '../i18n/format.js';
import { ApiFailure } from '../live/http.js';

/** Whole minutes to tell someone to wait, from `Retry-After` seconds (at least one; rounded up). */
export function retryMinutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

/** A failed call as a person reads it: the server's words, framed by what kind of failure it was. */
export function failureText(err: unknown, tr: Translate): string {
  if (!(err instanceof ApiFailure)) return tr('alerts.networkError', { message: (err as Error).message });
  switch (err.status) {
    case 0:
      return tr('alerts.networkError', { message: err.message });
    case 401:
      return tr('auth.ended');
    case 403:
      return tr('auth.forbidden');
    case 409:
      return tr('alerts.conflict', { message: err.message });
    default:
      return tr('alerts.error', { status: err.status, message: err.message });
  }
}

/** A failed sign-in: wrong credentials, too many attempts (with the wait), or whatever else went wrong. */
export function loginFailureText(err: unknown, tr: Translate): string {
  if (err instanceof ApiFailure && err.status === 401) return tr('auth.wrong');
  if (err instanceof ApiFailure && err.status === 429) {
    return err.retryAfterS === undefined
      ? tr('auth.tooManyLater')
      : tr('auth.tooMany', { n: retryMinutes(err.retryAfterS) });
  }
  return failureText(err, tr);
}

import type { AuthOptions, LoginResponse, Me } from '../../contract/identity.js';
import { ApiFailure, call } from '../live/http.js';
import { signedOut } from './session.js';

/** Who is signed in, or null when the server answers 401 (no session, or it expired). */
export async function fetchMe(): Promise<Me | null> {
  try {
    return await call<Me>('GET', '/auth/me', { anonymous: true, timeoutMs: 8_000 });
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) return null;
    throw err;
  }
}

/** Signs in with a password; rejects with the server's 401 or 429 (with `retryAfterS`) as an ApiFailure. */
export async function login(username: string, password: string): Promise<Me> {
  const answer = await call<LoginResponse>('POST', '/auth/login', { body: { username, password }, anonymous: true });
  return answer.user;
}

/** Ends the session on the server (204); the cookie is cleared by the answer. */
export function logout(): Promise<void> {
  return call<void>('POST', '/auth/logout', { anonymous: true, timeoutMs: 8_000 });
}

/** How the login page may sign people in (single sign-on when configured); no options when unreachable. */
export async function fetchAuthOptions(): Promise<AuthOptions> {
  try {
    return await call<AuthOptions>('GET', '/auth/options', { anonymous: true, timeoutMs: 8_000 });
  } catch {
    return {};
  }
}

/** Signs out on the server, then shows the login page (also when the server could not be told). */
export async function signOut(): Promise<void> {
  try {
    await logout();
  } catch (err) {
    console.warn('sign-out: the server did not answer', err);
  }
  signedOut();
}

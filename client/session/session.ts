import type { Me } from '../../contract/identity.js';
import { observable } from '../state/observable.js';

/** Where the console stands with its server: still asking, signed out (perhaps because the session ended), or in. */
export type SessionState =
  { status: 'checking' } | { status: 'signedOut'; ended: boolean } | { status: 'signedIn'; me: Me };

/** The console's one session; `app/` shows the login page or the console from it, `features/` read `me`. */
export const session = observable<SessionState>({ status: 'checking' });

/** The signed-in caller, or null. */
export function currentMe(): Me | null {
  const state = session.get();
  return state.status === 'signedIn' ? state.me : null;
}

/** Records a successful sign-in (login answer or `auth/me`). */
export function signedIn(me: Me): void {
  session.set({ status: 'signedIn', me });
}

/** Records a sign-out the person asked for (no "session ended" notice). */
export function signedOut(): void {
  session.set({ status: 'signedOut', ended: false });
}

/** The server said the session is gone (401 from a call, `unauthorized` from the socket): back to login, with a notice. */
export function sessionEnded(): void {
  if (session.get().status === 'signedIn') session.set({ status: 'signedOut', ended: true });
}

import { useMemo, useSyncExternalStore } from 'react';
import type { Me } from '../../contract/identity.js';
import { alertPermissions, consoleAccess, type AlertPermissions, type ConsoleAccess } from './permissions.js';
import { session, type SessionState } from './session.js';

/** React hook: the session state, re-rendering on sign-in and sign-out. */
export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.get);
}

/** React hook: the signed-in caller, or null. */
export function useMe(): Me | null {
  const state = useSession();
  return state.status === 'signedIn' ? state.me : null;
}

/** React hook: what the header and editors offer to the signed-in caller (stable while `me` is). */
export function useAccess(): ConsoleAccess {
  const me = useMe();
  return useMemo(() => consoleAccess(me), [me]);
}

/** React hook: which alert actions rows show (stable while `me` is, so memoised rows stay memoised). */
export function useAlertPermissions(): AlertPermissions {
  const me = useMe();
  return useMemo(() => alertPermissions(me), [me]);
}

import type { Me, Permission } from '../../contract/identity.js';

export type { Permission };

/** Whether the caller may do `permission`; nobody signed in may do nothing. */
export function can(me: Me | null, permission: Permission): boolean {
  return me !== null && me.permissions.includes(permission);
}

/** Which lifecycle buttons an alert row shows. */
export interface AlertPermissions {
  /** Acknowledge, snooze, resolve, note. */
  act: boolean;
  assign: boolean;
}

/** The alert actions `me` may take (field users act but do not assign; analysts and displays only read). */
export function alertPermissions(me: Me | null): AlertPermissions {
  return { act: can(me, 'alerts.act'), assign: can(me, 'alerts.assign') };
}

/** Which doors the header offers. */
export interface ConsoleAccess {
  /** The rule editor, read-only without `rulesWrite`. */
  rules: boolean;
  rulesWrite: boolean;
  /** Backtests run over stored history. */
  backtest: boolean;
  admin: boolean;
  audit: boolean;
}

/** The header buttons and editor modes for `me`. */
export function consoleAccess(me: Me | null): ConsoleAccess {
  return {
    rules: can(me, 'rules.read'),
    rulesWrite: can(me, 'rules.write'),
    backtest: can(me, 'history.read'),
    admin: can(me, 'admin'),
    audit: can(me, 'audit.read'),
  };
}

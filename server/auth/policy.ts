import type { Permission, Role, TokenScope } from '../../contract/index.js';

/*
 * Who may do what: the one table every door consults (REST routes through the route catalog,
 * socket.io events, the console's hidden actions through /auth/me). See docs/ARCHITECTURE.md,
 * "Identity and access".
 */

export type { Permission };

const ALL_ROLES: readonly Role[] = ['admin', 'supervisor', 'operator', 'field', 'analyst', 'display'];

/** The role table (DESIGN, "Identity and access"). */
export const ROLE_PERMISSIONS: Record<Permission, readonly Role[]> = {
  'live.read': ALL_ROLES,
  'alerts.read': ALL_ROLES,
  'alerts.act': ['admin', 'supervisor', 'operator', 'field'],
  'alerts.assign': ['admin', 'supervisor', 'operator'],
  'rules.read': ['admin', 'supervisor', 'operator', 'analyst'],
  'rules.write': ['admin', 'supervisor'],
  'history.read': ['admin', 'supervisor', 'operator', 'analyst'],
  'kpis.read': ['admin', 'supervisor', 'operator', 'analyst', 'display'],
  // Licence plates read by cameras are personal data: only those who answer for them see them.
  'plates.read': ['admin', 'supervisor'],
  admin: ['admin'],
  'audit.read': ['admin', 'supervisor'],
  // The delivery log shows who was told what and when: the people who run the room.
  'notifications.read': ['admin', 'supervisor', 'operator'],
  ingest: [],
  metrics: [],
};

/** What each token scope allows; a token never acts for a person (no moves, no admin). */
export const SCOPE_PERMISSIONS: Record<TokenScope, readonly Permission[]> = {
  ingest: ['ingest'],
  read: ['live.read', 'alerts.read', 'rules.read', 'history.read', 'kpis.read'],
  display: ['live.read', 'alerts.read', 'kpis.read'],
  metrics: ['metrics'],
};

/** Who is asking: a signed-in person or an API token. */
export interface Identity {
  kind: 'session' | 'token';
  /** Username, or `token:<name>` for a token. */
  name: string;
  displayName: string;
  roles: readonly Role[];
  scopes: readonly TokenScope[];
  /** Zones a field user is limited to. */
  zones: readonly string[];
  /** Token id, for audit. */
  tokenId?: string;
}

/** Whether `identity` may do `permission`, by its roles (people) or scopes (tokens). */
export function allows(identity: Identity, permission: Permission): boolean {
  if (identity.kind === 'token') return identity.scopes.some((scope) => SCOPE_PERMISSIONS[scope].includes(permission));
  const roles = ROLE_PERMISSIONS[permission];
  return identity.roles.some((role) => roles.includes(role));
}

/** Every permission `identity` holds (sent to the console so it hides what it may not do). */
export function permissionsOf(identity: Identity): Permission[] {
  return (Object.keys(ROLE_PERMISSIONS) as Permission[]).filter((p) => allows(identity, p));
}

/**
 * A field user sees and acts only on items assigned to them or in their zones; every other role
 * holding the permission sees the whole city.
 */
export function limitedToZones(identity: Identity): boolean {
  return (
    identity.kind === 'session' &&
    identity.roles.includes('field') &&
    !identity.roles.some((role) => role === 'admin' || role === 'supervisor' || role === 'operator' || role === 'analyst')
  );
}

/** Whether a zone-limited caller may see an item in `zone` assigned to `assignee`. */
export function canSeeItem(identity: Identity, item: { zone?: string; assignee?: string }): boolean {
  if (!limitedToZones(identity)) return true;
  if (item.assignee !== undefined && item.assignee === identity.name) return true;
  return item.zone !== undefined && identity.zones.includes(item.zone);
}

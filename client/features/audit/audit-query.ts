import type { AuditAction, AuditEntry } from '../../../contract/identity.js';
import { parseCityDateTime } from '../../i18n/format.js';

/** The audit filters as typed: times are `datetime-local` values in Vietnam time, empty means no bound. */
export interface AuditFilters {
  actor: string;
  action: AuditAction | '';
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = { actor: '', action: '', from: '', to: '' };
export const AUDIT_LIMIT = 500;

/** The `GET /audit` query string for the filters (only those filled in). */
export function auditQuery(filters: AuditFilters, limit = AUDIT_LIMIT): string {
  const params = new URLSearchParams();
  const from = parseCityDateTime(filters.from);
  const to = parseCityDateTime(filters.to);
  if (from !== null) params.set('from', String(from));
  if (to !== null) params.set('to', String(to));
  if (filters.actor.trim() !== '') params.set('actor', filters.actor.trim());
  if (filters.action !== '') params.set('action', filters.action);
  params.set('limit', String(limit));
  return params.toString();
}

/** An entry's details on one line: `key: value` pairs, values that are not text as compact JSON. */
export function detailsText(details: AuditEntry['details']): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ');
}

/** Newest first, whatever order the server used. */
export function newestFirst(entries: readonly AuditEntry[]): AuditEntry[] {
  return [...entries].sort((a, b) => b.at - a.at || (b.id ?? 0) - (a.id ?? 0));
}

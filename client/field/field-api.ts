import type { Alert } from '../../contract/alert.js';
import type { ConsoleConfig } from '../../contract/api.js';
import type { AttachmentInfo, Report, ReportCategoryInfo } from '../../contract/field.js';
import { ApiFailure, call, readFailure } from '../live/http.js';
import { sessionEnded } from '../session/session.js';
import type { FieldAction } from './action-store.js';

/** The answer of a list route: `{<name>: T[]}` (the alerts' shape), or a bare array. */
function listOf<T>(answer: unknown, name: string): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const list = (answer as Record<string, unknown> | null)?.[name];
  return Array.isArray(list) ? (list as T[]) : [];
}

/** Open alerts the server lets me read (for a field user: assigned to me or in my zones). */
export async function fetchFieldAlerts(): Promise<Alert[]> {
  return listOf<Alert>(await call<unknown>('GET', '/alerts?state=firing,acknowledged,snoozed&limit=1000'), 'alerts');
}

/** Open citizen reports the server lets me read. */
export async function fetchFieldReports(): Promise<Report[]> {
  return listOf<Report>(await call<unknown>('GET', '/reports?status=received,assigned,in_progress&limit=1000'), 'reports');
}

/** One alert or report, whatever its state (the item page also shows what was just resolved). */
export function fetchItem(kind: 'alert', id: string): Promise<Alert>;
export function fetchItem(kind: 'report', id: string): Promise<Report>;
export function fetchItem(kind: 'alert' | 'report', id: string): Promise<Alert | Report> {
  return call<Alert | Report>('GET', `/${kind}s/${encodeURIComponent(id)}`);
}

/** Report categories with their names in both languages (a public route). */
export async function fetchCategories(): Promise<ReportCategoryInfo[]> {
  return listOf<ReportCategoryInfo>(await call<unknown>('GET', '/reports/categories', { anonymous: true }), 'categories');
}

/** Zone (ward) names from the console configuration; none when it cannot be read. */
export async function fetchZoneNames(): Promise<Map<string, { vi: string; en: string }>> {
  try {
    const config = await call<ConsoleConfig>('GET', '/console-config', { timeoutMs: 8_000 });
    return new Map(config.map.zones.map((zone) => [zone.id, zone.name]));
  } catch {
    return new Map();
  }
}

const PHOTO_TIMEOUT_MS = 120_000;

/** Uploads one photo (multipart field `photo`) with the same failure handling as `call`. */
async function uploadPhoto(kind: string, id: string, photo: Blob, name: string): Promise<AttachmentInfo> {
  const form = new FormData();
  form.append('photo', photo, name);
  let response: Response;
  try {
    response = await fetch(`/api/v1/${kind}s/${encodeURIComponent(id)}/attachments`, {
      method: 'POST',
      credentials: 'same-origin',
      body: form,
      signal: AbortSignal.timeout(PHOTO_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiFailure(0, 'network', (err as Error).message);
  }
  if (response.ok) return (await response.json()) as AttachmentInfo;
  const failure = await readFailure(response);
  if (response.status === 401) sessionEnded();
  throw failure;
}

/**
 * Sends one action. For reports "ack" is `start` (the officer takes it on); an alert's resolve carries
 * the result as its note.
 */
export async function sendAction(action: FieldAction): Promise<void> {
  const base = `/${action.kind}s/${encodeURIComponent(action.itemId)}`;
  const report = action.kind === 'report';
  switch (action.op) {
    case 'ack':
      await call('POST', `${base}/${report ? 'start' : 'ack'}`, { body: {} });
      return;
    case 'note':
      await call('POST', `${base}/note`, { body: report ? { text: action.text } : { note: action.text } });
      return;
    case 'resolve':
      await call('POST', `${base}/resolve`, { body: report ? { result: action.result } : { note: action.result } });
      return;
    case 'photo':
      await uploadPhoto(action.kind, action.itemId, action.photo, action.name);
      return;
  }
}

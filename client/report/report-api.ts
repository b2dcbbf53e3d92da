import type { ReportCategoryInfo, ReportCreate, ReportCreated, ReportTrack } from '../../contract/field.js';
import type { Basemap, ZoneInfo } from '../../contract/api.js';
import { ApiFailure, call, readFailure } from '../live/http.js';

/** What citizens may report, with names in both languages. */
export async function fetchCategories(): Promise<ReportCategoryInfo[]> {
  const answer = await call<{ categories?: ReportCategoryInfo[] } | ReportCategoryInfo[]>('GET', '/reports/categories', {
    anonymous: true,
  });
  return Array.isArray(answer) ? answer : (answer.categories ?? []);
}

const SEND_TIMEOUT_MS = 120_000;

/** Files a report: JSON, or multipart (`report` JSON + `photos` files) when there are photos. */
export async function fileReport(report: ReportCreate, photos: readonly File[]): Promise<ReportCreated> {
  if (photos.length === 0) return call<ReportCreated>('POST', '/reports', { body: report, anonymous: true, timeoutMs: 30_000 });
  const form = new FormData();
  form.append('report', JSON.stringify(report));
  for (const photo of photos) form.append('photos', photo, photo.name);
  let response: Response;
  try {
    response = await fetch('/api/v1/reports', {
      method: 'POST',
      body: form,
      credentials: 'same-origin',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiFailure(0, 'network', (err as Error).message);
  }
  if (!response.ok) throw await readFailure(response);
  return (await response.json()) as ReportCreated;
}

/** The public view of a report by its code (never personal data). */
export function trackReport(code: string): Promise<ReportTrack> {
  return call<ReportTrack>('GET', `/reports/track/${encodeURIComponent(code)}`, { anonymous: true });
}

/** Rates a resolved report once. */
export function rateReport(code: string, score: number, comment: string): Promise<ReportTrack> {
  const body = comment.trim() === '' ? { score } : { score, comment: comment.trim() };
  return call<ReportTrack>('POST', `/reports/track/${encodeURIComponent(code)}/rating`, { body, anonymous: true });
}

/** `GET /api/v1/reports/map`: what the place picker draws (centre, zoom, ward outlines, basemap). */
export interface PickerMap {
  center: [number, number];
  zoom: number;
  wards: ZoneInfo[];
  basemap: Basemap;
}

/** The place picker's map; public, like the rest of this page. */
export function fetchPickerMap(): Promise<PickerMap> {
  return call<PickerMap>('GET', '/reports/map', { anonymous: true });
}

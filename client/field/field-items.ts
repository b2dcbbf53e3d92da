import type { Alert } from '../../contract/alert.js';
import type { AttachmentInfo, Report, ReportCategoryInfo } from '../../contract/field.js';
import type { Severity } from '../../contract/rule.js';
import type { Locale } from '../i18n/messages.js';

export type ItemKind = 'alert' | 'report';

/** One thing a field officer may have to handle: an alert or a citizen report, in one shape for the list. */
export interface FieldItem {
  kind: ItemKind;
  id: string;
  /** `<kind>/<id>`: unique across both kinds. */
  key: string;
  title: string;
  /** The alert's entity or the report's description. */
  detail: string;
  zone: string | undefined;
  lat: number | null;
  lon: number | null;
  openedAt: number;
  /** Reports only: when it must be resolved, ms. */
  deadline: number | undefined;
  overdue: boolean;
  /** Alerts carry their rule's severity; an overdue report counts as critical. */
  severity: Severity;
  /** The alert's state or the report's status, as the server has it. */
  state: string;
  /** Someone has taken it on (alert acknowledged or snoozed, report in progress). */
  acked: boolean;
  /** Still to be handled (not resolved or rejected). */
  open: boolean;
  assignee: string | undefined;
  attachments: AttachmentInfo[];
  /** `step`: an escalation-policy step (1 is the first notice, later ones climbed because nobody took it on). */
  history: { at: number; by: string; action: string; note?: string | undefined; step?: number | undefined }[];
  result: string | undefined;
}

/** The category's name in the page's language, or its id when the category is unknown. */
export function categoryName(categories: readonly ReportCategoryInfo[], id: string, locale: Locale): string {
  return categories.find((c) => c.id === id)?.name[locale] ?? id;
}

/** An alert as a list item. */
export function alertItem(alert: Alert): FieldItem {
  return {
    kind: 'alert',
    id: alert.id,
    key: `alert/${alert.id}`,
    title: alert.message,
    detail: alert.entityId,
    zone: alert.zone,
    lat: alert.lat ?? null,
    lon: alert.lon ?? null,
    openedAt: alert.startedAt,
    deadline: undefined,
    overdue: false,
    severity: alert.severity,
    state: alert.state,
    acked: alert.state === 'acknowledged' || alert.state === 'snoozed',
    open: alert.state !== 'resolved',
    assignee: alert.assignee,
    attachments: alert.attachments ?? [],
    history: (alert.history ?? []).map((e) => ({ at: e.at, by: e.by, action: e.action, note: e.note, step: e.step })),
    result: undefined,
  };
}

/** A citizen report as a list item; `title` is its category's name. */
export function reportItem(
  report: Report,
  categories: readonly ReportCategoryInfo[],
  locale: Locale,
  now: number,
): FieldItem {
  const open = report.status !== 'resolved' && report.status !== 'rejected';
  const overdue = report.overdue || (open && report.deadline < now);
  return {
    kind: 'report',
    id: report.id,
    key: `report/${report.id}`,
    title: categoryName(categories, report.category, locale),
    detail: report.description,
    zone: report.zone,
    lat: report.lat,
    lon: report.lon,
    openedAt: report.createdAt,
    deadline: report.deadline,
    overdue,
    severity: overdue ? 'critical' : 'warning',
    state: report.status,
    acked: report.status === 'in_progress',
    open,
    assignee: report.assignee,
    attachments: report.attachments,
    history: report.history.map((e) => ({ at: e.at, by: e.by, action: e.action, note: e.note, step: e.step })),
    result: report.result,
  };
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
/** A report due within this long ranks with warnings even before it is overdue. */
const DUE_SOON_MS = 2 * 3_600_000;

function rank(item: FieldItem, now: number): number {
  if (item.kind === 'report' && !item.overdue) {
    return item.deadline !== undefined && item.deadline - now < DUE_SOON_MS ? 1 : 2;
  }
  return SEVERITY_RANK[item.severity];
}

/**
 * Worst first: critical alerts and overdue reports, then warnings and reports due soon, then the rest;
 * within a rank what nobody has taken on yet comes first, then the oldest (or the earliest deadline).
 */
export function worstFirst(items: readonly FieldItem[], now: number): FieldItem[] {
  return [...items].sort((a, b) => {
    const byRank = rank(a, now) - rank(b, now);
    if (byRank !== 0) return byRank;
    if (a.acked !== b.acked) return a.acked ? 1 : -1;
    return (a.deadline ?? a.openedAt) - (b.deadline ?? b.openedAt);
  });
}

/**
 * Keeps what is mine: assigned to me, or in one of my zones. A person with no zones (an operator
 * trying the app) sees what the server let them read.
 */
export function mine(items: readonly FieldItem[], username: string, zones: readonly string[]): FieldItem[] {
  if (zones.length === 0) return [...items];
  return items.filter((item) => item.assignee === username || (item.zone !== undefined && zones.includes(item.zone)));
}

const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in metres (haversine): plenty for "how far is it" within a city. */
export function distanceM(from: { lat: number; lon: number }, to: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (to.lat - from.lat) * rad;
  const dLon = (to.lon - from.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * rad) * Math.cos(to.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** "850 m" or "3,2 km" in the page's language. */
export function formatDistance(metres: number, locale: Locale): string {
  if (metres < 1000) return `${Math.round(metres / 10) * 10} m`;
  const km = new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 }).format(
    metres / 1000,
  );
  return `${km} km`;
}

/** Google Maps directions to the place (opens the phone's maps app where one is installed). */
export function directionsUrl(lat: number, lon: number): string {
  return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}`;
}

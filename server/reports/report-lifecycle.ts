import {
  OPEN_REPORT_STATUSES,
  type AttachmentInfo,
  type Report,
  type ReportEvent,
  type ReportRatingInput,
  type ReportStatus,
  type ReportTrack,
} from '../../contract/index.js';
import { HttpError } from '../http/errors.js';

/*
 * The moves of a citizen report as pure functions: each checks the status allows it (409 with
 * the reason otherwise) and appends exactly one event to the history.
 *
 *   received → assigned → in_progress → resolved | rejected
 */

/** Who the system's own moves (overdue, escalation) are recorded as. */
export const SYSTEM = 'system';
/** Who a report filed on the public page is recorded as. */
export const CITIZEN = 'citizen';

type Move = 'assign' | 'start' | 'resolve' | 'reject' | 'rate' | 'escalate';

/** Statuses each move may start from (notes and photos are allowed in every status). */
export const ALLOWED_FROM: Record<Move, readonly ReportStatus[]> = {
  assign: ['received', 'assigned', 'in_progress'],
  start: ['received', 'assigned'],
  // An officer on the spot may fix it at once, as with alerts: resolving needs no earlier step.
  resolve: ['received', 'assigned', 'in_progress'],
  reject: ['received', 'assigned', 'in_progress'],
  rate: ['resolved', 'rejected'],
  escalate: OPEN_REPORT_STATUSES,
};

export function isOpen(status: ReportStatus): boolean {
  return OPEN_REPORT_STATUSES.includes(status);
}

/** The report as answered at `now`: `overdue` is computed, never stored. */
export function withOverdue(report: Report, now: number): Report {
  return { ...report, overdue: isOpen(report.status) && now > report.deadline };
}

/** Contact details are personal data: this copy goes to those who do not act on reports. */
export function withoutContact(report: Report): Report {
  const { contact: _contact, ...rest } = report;
  return rest;
}

/** The public tracking view (of a report as answered, `overdue` computed): status and result, never the contact, the description or staff names. */
export function trackView(report: Report): ReportTrack {
  return {
    code: report.code,
    category: report.category,
    status: report.status,
    createdAt: report.createdAt,
    updatedAt: report.updatedAt,
    deadline: report.deadline,
    overdue: report.overdue,
    ...(report.resolvedAt !== undefined ? { resolvedAt: report.resolvedAt } : {}),
    ...(report.result !== undefined ? { result: report.result } : {}),
    ...(report.rating ? { rating: { score: report.rating.score, at: report.rating.at } } : {}),
    canRate: ALLOWED_FROM.rate.includes(report.status) && report.rating === undefined,
  };
}

function allow(report: Report, move: Move): void {
  if (ALLOWED_FROM[move].includes(report.status)) return;
  throw new HttpError(
    409,
    'conflict',
    `Report ${report.code} is ${report.status}; "${move}" needs it to be ${ALLOWED_FROM[move].join(' or ')}.`,
  );
}

function change(report: Report, patch: Partial<Report>, event: ReportEvent): Report {
  return { ...report, ...patch, updatedAt: event.at, history: [...report.history, event] };
}

const noteOf = (note: string | undefined) => (note !== undefined && note.trim() !== '' ? { note } : {});

export function assign(report: Report, assignee: string, by: string, at: number, note?: string): Report {
  allow(report, 'assign');
  // A report already being worked on keeps its status when it changes hands.
  const status: ReportStatus = report.status === 'in_progress' ? 'in_progress' : 'assigned';
  return change(
    report,
    { assignee, status },
    { at, by, action: 'assign', note: note ? `${assignee}: ${note}` : assignee },
  );
}

/** The officer takes it on (the report's "acknowledge"); it becomes theirs when nobody had it. */
export function start(report: Report, by: string, at: number, note?: string): Report {
  allow(report, 'start');
  return change(
    report,
    { status: 'in_progress', assignee: report.assignee ?? by },
    { at, by, action: 'start', ...noteOf(note) },
  );
}

export function resolve(report: Report, by: string, at: number, result: string): Report {
  allow(report, 'resolve');
  return change(
    report,
    { status: 'resolved', result, resolvedAt: at, assignee: report.assignee ?? by },
    { at, by, action: 'resolve', note: result },
  );
}

/** Refused (a duplicate, not the city's to handle): the reason is the result the citizen sees. */
export function reject(report: Report, by: string, at: number, reason: string): Report {
  allow(report, 'reject');
  return change(
    report,
    { status: 'rejected', result: reason, resolvedAt: at },
    { at, by, action: 'reject', note: reason },
  );
}

export function note(report: Report, by: string, at: number, text: string): Report {
  return change(report, {}, { at, by, action: 'note', note: text });
}

export function attach(report: Report, attachment: AttachmentInfo): Report {
  return change(
    report,
    { attachments: [...report.attachments, attachment] },
    { at: attachment.at, by: attachment.by, action: 'attach', note: attachment.id },
  );
}

export function escalate(report: Report, at: number, step: number, targets: readonly string[]): Report {
  allow(report, 'escalate');
  return change(report, {}, { at, by: SYSTEM, action: 'escalate', step, targets: [...targets] });
}

/** Whether the `overdue` event was already recorded (it is recorded once per report). */
export function markedOverdue(report: Report): boolean {
  return report.history.some((event) => event.action === 'overdue');
}

export function overdue(report: Report, at: number): Report {
  return change(report, {}, { at, by: SYSTEM, action: 'overdue' });
}

/** Once, after the report is resolved or rejected. */
export function rate(report: Report, rating: ReportRatingInput, at: number): Report {
  allow(report, 'rate');
  if (report.rating !== undefined) throw new HttpError(409, 'conflict', `Report ${report.code} was already rated.`);
  const stored = { score: rating.score, ...(rating.comment ? { comment: rating.comment } : {}), at };
  return change(report, { rating: stored }, { at, by: CITIZEN, action: 'rate', note: String(rating.score) });
}

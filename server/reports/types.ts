import type { AttachmentInfo, Report, ReportCategoryInfo, ReportCreate, ReportEvent, ReportRatingInput, ReportsQuery } from '../../contract/index.js';

/*
 * Citizen reports (phản ánh hiện trường): filed on the public page, routed to the zone's field
 * team with the category's deadline, tracked by a code, rated once resolved. Stored as records in
 * the state store; every move is compare-and-set, so two nodes never both win.
 */

/** A photo as it arrives (multipart), before its type is checked from the bytes. */
export interface PhotoUpload {
  bytes: Buffer;
  /** What the sender claimed; never trusted. */
  declaredType?: string;
  fileName?: string;
}

/** A report change: the report after it and what happened. */
export interface ReportChange {
  report: Report;
  action: ReportEvent['action'];
  by: string;
}

export interface ReportService {
  /** Loads open reports; call once before use. */
  load(): Promise<void>;
  /** Starts the overdue check (`reports.overdueCheckInterval`). */
  start(): void;
  close(): Promise<void>;
  categories(): ReportCategoryInfo[];
  /** Files a report (zone from the place, deadline from the category); photos checked and stored. */
  create(input: ReportCreate, photos: readonly PhotoUpload[], by?: string): Promise<Report>;
  get(id: string): Promise<Report | undefined>;
  getByCode(code: string): Promise<Report | undefined>;
  query(query: ReportsQuery): Promise<Report[]>;
  /** Open reports (received, assigned, in progress), for escalation and auto-assignment. */
  open(): Promise<Report[]>;
  assign(id: string, assignee: string, by: string, note?: string): Promise<Report>;
  /** The field officer takes it on: for reports, this is the "acknowledge". */
  start(id: string, by: string, note?: string): Promise<Report>;
  resolve(id: string, by: string, result: string): Promise<Report>;
  reject(id: string, by: string, reason: string): Promise<Report>;
  note(id: string, by: string, text: string): Promise<Report>;
  attach(id: string, photo: PhotoUpload, by: string): Promise<AttachmentInfo>;
  rate(code: string, rating: ReportRatingInput): Promise<Report>;
  /** Appends an escalation step to the history (escalation policies). */
  recordEscalation(id: string, step: number, targets: readonly string[]): Promise<Report>;
  /** Marks open reports past their deadline (once each, an `overdue` event); returns them. */
  checkOverdue(now?: number): Promise<Report[]>;
  onChange(listener: (change: ReportChange) => void): () => void;
  /** Counts for the KPI board: handled on time, overdue, average rating, over a window. */
  stats(from: number, to: number): Promise<{ resolved: number; resolvedOnTime: number; open: number; overdue: number; rated: number; ratingSum: number }>;
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '../../config/logger.js';
import type { ReportsConfig } from '../../config/field-schema.js';
import type { AttachmentInfo, Report, ReportCategoryInfo, ReportEvent, ReportsQuery } from '../../contract/index.js';
import type { AttachmentStore, PreparedPhoto } from '../attachments/attachment-store.js';
import { HttpError } from '../http/errors.js';
import type { StateStore, StoredRecord } from '../state/types.js';
import * as lifecycle from './report-lifecycle.js';
import { CITIZEN, isOpen, withOverdue, withoutContact } from './report-lifecycle.js';
import { newTrackingCode, normalizeTrackingCode } from './tracking-code.js';
import type { ReportChange, ReportService } from './types.js';

/*
 * Citizen reports as `report` records in the state store (key = tracking code, ref = assignee,
 * open = still to handle). Nothing is cached: every node reads the store, and every change is a
 * compare-and-set on the record's version, so of two moves made from the same version exactly
 * one is stored, on one node or several.
 */

export interface ReportServiceDeps {
  state: StateStore;
  config: ReportsConfig;
  attachments: AttachmentStore;
  /** The zone (ward) of a place; 'city' outside every zone. */
  zoneOf: (lat: number | null, lon: number | null) => string;
  logger: Logger;
  /** Each change, without the contact, for the live map and queue (socket.io `report`). */
  publish?: (report: Report) => void;
  /** Test clock; ms since epoch. */
  clock?: () => number;
}

/** Reports read at most per list, before the filters the store cannot apply (status, zone, category, overdue). */
const SCAN_LIMIT = 10_000;
/** Tries of a system move (photo, overdue mark, escalation step) that lost a race to a person's move. */
const SYSTEM_RETRIES = 5;
/** New codes tried when one is taken (31^8 codes: a second try is already rare). */
const CODE_TRIES = 5;

interface Loaded {
  report: Report;
  version: number;
}

function toRecord(report: Report, version: number): StoredRecord {
  return {
    kind: 'report',
    id: report.id,
    version,
    key: report.code,
    ...(report.assignee !== undefined ? { ref: report.assignee } : {}),
    at: report.createdAt,
    updatedAt: report.updatedAt,
    open: isOpen(report.status),
    json: JSON.stringify({ ...report, overdue: false }),
  };
}

const fromRecord = (record: StoredRecord): Loaded => ({
  report: JSON.parse(record.json) as Report,
  version: record.version,
});

export function createReportService(deps: ReportServiceDeps): ReportService {
  const { state, config, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const listeners = new Set<(change: ReportChange) => void>();
  const categories = new Map(config.categories.map((c) => [c.id, c]));
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<unknown> | undefined;

  const emit = (report: Report, action: ReportEvent['action'], by: string) => {
    const view = withOverdue(report, clock());
    for (const listener of listeners) {
      try {
        listener({ report: view, action, by });
      } catch (err) {
        logger.error('report listener failed', { action, id: report.id, error: (err as Error).message });
      }
    }
    try {
      deps.publish?.(withoutContact(view));
    } catch (err) {
      logger.error('report publish failed', { id: report.id, error: (err as Error).message });
    }
  };

  const load = async (id: string): Promise<Loaded> => {
    const record = await state.getRecord('report', id);
    if (record === undefined) throw new HttpError(404, 'not_found', `report "${id}" does not exist`);
    return fromRecord(record);
  };

  const store = async (next: Report, basedOn: number): Promise<boolean> =>
    state.casRecord(toRecord(next, basedOn + 1), basedOn);

  /** A person's move: one try; losing the race is a 409 to reload and try again. */
  const move = async (
    id: string,
    action: ReportEvent['action'],
    by: string,
    make: (report: Report, now: number) => Report,
  ): Promise<Report> => {
    const { report, version } = await load(id);
    const next = make(report, clock());
    if (!(await store(next, version))) {
      throw new HttpError(
        409,
        'conflict',
        `Report ${report.code} was changed by someone else at the same moment; reload it and try again.`,
      );
    }
    emit(next, action, by);
    return withOverdue(next, clock());
  };

  /** A move of the system or one that must not be lost (a photo): retried from the new version. */
  const systemMove = async (
    id: string,
    action: ReportEvent['action'],
    by: string,
    make: (report: Report, now: number) => Report,
  ): Promise<Report> => {
    for (let attempt = 1; ; attempt++) {
      const { report, version } = await load(id);
      const next = make(report, clock());
      if (await store(next, version)) {
        emit(next, action, by);
        return withOverdue(next, clock());
      }
      if (attempt >= SYSTEM_RETRIES)
        throw new HttpError(409, 'conflict', `Report ${report.code} keeps changing; try again.`);
    }
  };

  const listOpen = async (): Promise<Report[]> =>
    (await state.listRecords('report', { open: true, limit: SCAN_LIMIT })).map((r) => fromRecord(r).report);

  const checkOverdue = async (now = clock()): Promise<Report[]> => {
    const due = (await listOpen()).filter((r) => now > r.deadline && !lifecycle.markedOverdue(r));
    const marked: Report[] = [];
    for (const report of due) {
      try {
        // Several nodes may check at once: the compare-and-set lets one record it; the others see it marked.
        const next = await systemMove(report.id, 'overdue', lifecycle.SYSTEM, (current, at) => {
          if (lifecycle.markedOverdue(current) || !isOpen(current.status))
            throw new HttpError(409, 'conflict', 'already marked or closed');
          return lifecycle.overdue(current, at);
        });
        marked.push(next);
      } catch (err) {
        if ((err as { status?: number }).status !== 409) throw err;
      }
    }
    return marked;
  };

  const getByCode = async (code: string): Promise<Report | undefined> => {
    const key = normalizeTrackingCode(code);
    if (key === undefined) return undefined;
    const record = await state.getRecordByKey('report', key);
    return record && withOverdue(fromRecord(record).report, clock());
  };

  const startTimer = () => {
    if (timer !== undefined) return;
    timer = setInterval(() => {
      if (checking !== undefined) return;
      checking = checkOverdue()
        .catch((err: Error) => logger.error('overdue check failed', { error: err.message }))
        .finally(() => {
          checking = undefined;
        });
    }, config.overdueCheckInterval);
    timer.unref();
  };

  /** The interface's two `start`s: no arguments starts the overdue check; with a report id, the officer takes the report on. */
  function startEither(id?: string, by?: string, note?: string): Promise<Report> | undefined {
    if (id === undefined) {
      startTimer();
      return undefined;
    }
    const actor = by ?? lifecycle.SYSTEM;
    return move(id, 'start', actor, (r, at) => lifecycle.start(r, actor, at, note));
  }

  const prepareAll = async (photos: readonly { bytes: Buffer }[]): Promise<PreparedPhoto[]> => {
    if (photos.length > config.maxPhotos)
      throw new HttpError(400, 'bad_request', `At most ${config.maxPhotos} photos per report.`);
    const prepared: PreparedPhoto[] = [];
    for (const photo of photos) prepared.push(await deps.attachments.prepare(photo.bytes));
    return prepared;
  };

  return {
    // Nothing is cached (every node reads the store), so there is nothing to load.
    load: () => Promise.resolve(),
    start: startEither as ReportService['start'],
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await checking;
    },
    categories: (): ReportCategoryInfo[] =>
      config.categories.map((c) => ({ id: c.id, name: { ...c.name }, deadline: c.deadline })),

    async create(input, photos, by = CITIZEN) {
      const category = categories.get(input.category);
      if (category === undefined) {
        const known = [...categories.keys()].join(', ');
        throw new HttpError(
          400,
          'bad_request',
          `body.category: unknown category "${input.category}"; known: ${known}`,
          [{ path: 'body.category', message: `unknown category "${input.category}"; known: ${known}` }],
        );
      }
      // Every photo is checked before anything is stored: a refused photo leaves no half-made report.
      const prepared = await prepareAll(photos);
      const now = clock();
      const id = `rep-${randomUUID()}`;
      const attachments: AttachmentInfo[] = [];
      for (const photo of prepared) attachments.push(await deps.attachments.store(photo, { kind: 'report', id }, by));
      const base: Omit<Report, 'code'> = {
        id,
        category: category.id,
        description: input.description,
        lat: input.lat,
        lon: input.lon,
        zone: deps.zoneOf(input.lat, input.lon),
        status: 'received',
        createdAt: now,
        updatedAt: now,
        deadline: now + category.deadline,
        overdue: false,
        ...(input.contact && (input.contact.name || input.contact.phone) ? { contact: input.contact } : {}),
        attachments,
        history: [{ at: now, by, action: 'create' }],
      };
      for (let attempt = 0; attempt < CODE_TRIES; attempt++) {
        const report: Report = { ...base, code: newTrackingCode() };
        if (await state.insertRecord(toRecord(report, 1))) {
          emit(report, 'create', by);
          return withOverdue(report, now);
        }
      }
      throw new HttpError(503, 'unavailable', 'No free tracking code was found; try again.');
    },

    async get(id) {
      const record = await state.getRecord('report', id);
      return record && withOverdue(fromRecord(record).report, clock());
    },
    getByCode,

    async query(query: ReportsQuery) {
      const statuses = query.status;
      const open =
        statuses === undefined ? undefined : statuses.every(isOpen) ? true : statuses.some(isOpen) ? undefined : false;
      const filtered =
        statuses !== undefined ||
        query.zone !== undefined ||
        query.category !== undefined ||
        query.overdue !== undefined;
      const records = await state.listRecords('report', {
        ...(query.assignee !== undefined ? { ref: query.assignee } : {}),
        ...(open !== undefined ? { open } : {}),
        ...(query.from !== undefined ? { from: query.from } : {}),
        ...(query.to !== undefined ? { to: query.to } : {}),
        limit: filtered ? SCAN_LIMIT : query.limit,
      });
      const now = clock();
      return records
        .map((r) => withOverdue(fromRecord(r).report, now))
        .filter(
          (r) =>
            (statuses === undefined || statuses.includes(r.status)) &&
            (query.zone === undefined || r.zone === query.zone) &&
            (query.category === undefined || r.category === query.category) &&
            (query.overdue === undefined || r.overdue === query.overdue),
        )
        .slice(0, query.limit);
    },
    async open() {
      const now = clock();
      return (await listOpen()).map((r) => withOverdue(r, now));
    },

    assign: (id, assignee, by, note) => move(id, 'assign', by, (r, at) => lifecycle.assign(r, assignee, by, at, note)),
    resolve: (id, by, result) => move(id, 'resolve', by, (r, at) => lifecycle.resolve(r, by, at, result)),
    reject: (id, by, reason) => move(id, 'reject', by, (r, at) => lifecycle.reject(r, by, at, reason)),
    note: (id, by, text) => move(id, 'note', by, (r, at) => lifecycle.note(r, by, at, text)),
    async attach(id, photo, by) {
      await load(id);
      const info = await deps.attachments.save(photo.bytes, { kind: 'report', id }, by);
      await systemMove(id, 'attach', by, (r) => lifecycle.attach(r, info));
      return info;
    },
    async rate(code, rating) {
      const report = await getByCode(code);
      if (report === undefined) throw new HttpError(404, 'not_found', `No report has the code "${code}".`);
      return move(report.id, 'rate', CITIZEN, (r, at) => lifecycle.rate(r, rating, at));
    },
    recordEscalation: (id, step, targets) =>
      systemMove(id, 'escalate', lifecycle.SYSTEM, (r, at) => lifecycle.escalate(r, at, step, targets)),
    checkOverdue,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async stats(from, to) {
      const now = clock();
      const reports = (await state.listRecords('report', { from, to, limit: SCAN_LIMIT })).map(
        (r) => fromRecord(r).report,
      );
      let resolved = 0;
      let resolvedOnTime = 0;
      let open = 0;
      let overdue = 0;
      let rated = 0;
      let ratingSum = 0;
      for (const r of reports) {
        if (r.status === 'resolved') {
          resolved += 1;
          if ((r.resolvedAt ?? Number.POSITIVE_INFINITY) <= r.deadline) resolvedOnTime += 1;
        }
        if (isOpen(r.status)) {
          open += 1;
          if (now > r.deadline) overdue += 1;
        }
        if (r.rating) {
          rated += 1;
          ratingSum += r.rating.score;
        }
      }
      return { resolved, resolvedOnTime, open, overdue, rated, ratingSum };
    },
  };
}

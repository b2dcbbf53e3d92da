import { useEffect, useState } from 'react';
import type { Report, ReportCategoryInfo } from '../../../contract/field.js';
import { call } from '../../live/http.js';
import type { LiveClient } from '../../live/live-client.js';
import { reportPoints } from '../../map/report-layer.js';
import { observable, type Observable } from '../../state/observable.js';

/** A move staff make on a report (`POST /reports/<id>/<kind>`). */
export type ReportAction =
  | { kind: 'assign'; assignee: string }
  | { kind: 'start' }
  | { kind: 'resolve'; result: string }
  | { kind: 'reject'; reason: string };

/** The console's open reports: loaded on every (re)connect, then followed through the `report` socket event. */
export interface ReportsRuntime {
  open: Observable<ReadonlyMap<string, Report>>;
  categories: Observable<readonly ReportCategoryInfo[]>;
  loaded: Observable<boolean>;
  loadError: Observable<string | null>;
  /** Runs a move and merges its answer; rejects with the server's error (ApiFailure). */
  act: (id: string, action: ReportAction) => Promise<Report>;
  stop(): void;
}

const OPEN = new Set(['received', 'assigned', 'in_progress']);

function listOf(answer: unknown): Report[] {
  if (Array.isArray(answer)) return answer as Report[];
  const list = (answer as { reports?: unknown } | null)?.reports;
  return Array.isArray(list) ? (list as Report[]) : [];
}

/** Starts following reports over `live`; the map's report layer is fed from here. */
export function startReportsRuntime(live: LiveClient): ReportsRuntime {
  const open = observable<ReadonlyMap<string, Report>>(new Map());
  const categories = observable<readonly ReportCategoryInfo[]>([]);
  const loaded = observable(false);
  const loadError = observable<string | null>(null);
  let stopped = false;

  const publish = (next: Map<string, Report>) => {
    open.set(next);
    reportPoints.set(
      [...next.values()].map((r) => ({ id: r.id, lat: r.lat, lon: r.lon, overdue: r.overdue, started: r.status === 'in_progress' })),
    );
  };
  const merge = (report: Report) => {
    const current = open.get().get(report.id);
    // An older copy (a late socket event after a REST answer) never replaces a newer one.
    if (current && current.updatedAt > report.updatedAt) return;
    if (current && current.updatedAt === report.updatedAt && current.contact && !report.contact) return;
    // The socket's copy carries no contact; keep the one REST gave staff.
    const merged = current?.contact && !report.contact ? { ...report, contact: current.contact } : report;
    const next = new Map(open.get());
    if (OPEN.has(report.status)) next.set(report.id, merged);
    else next.delete(report.id);
    publish(next);
  };

  const reload = async () => {
    try {
      const answer = await call<unknown>('GET', '/reports?status=received,assigned,in_progress&limit=1000');
      if (stopped) return;
      publish(new Map(listOf(answer).map((r) => [r.id, r])));
      loadError.set(null);
      loaded.set(true);
    } catch (err) {
      loadError.set((err as Error).message);
    }
  };
  const onStatus = () => {
    if (live.status.get().state === 'live') void reload();
  };
  const offStatus = live.status.subscribe(onStatus);
  // The socket never carries the contact: a report first seen there is read once over REST, which
  // gives it to staff who may act on reports.
  const onReport = (report: Report) => {
    const known = open.get().has(report.id);
    merge(report);
    if (known || !OPEN.has(report.status)) return;
    call<Report>('GET', `/reports/${encodeURIComponent(report.id)}`)
      .then((full) => {
        if (!stopped) merge(full);
      })
      .catch(() => undefined);
  };
  const offReport = live.onReport?.(onReport);
  onStatus();
  void call<{ categories?: ReportCategoryInfo[] }>('GET', '/reports/categories', { anonymous: true })
    .then((answer) => categories.set(answer.categories ?? []))
    .catch(() => undefined);
  // The overdue flag is computed when answered: re-read once a minute so a deadline passing shows.
  const timer = setInterval(() => void reload(), 60_000);

  return {
    open,
    categories,
    loaded,
    loadError,
    async act(id, action) {
      const { kind, ...body } = action;
      const report = await call<Report>('POST', `/reports/${encodeURIComponent(id)}/${kind}`, { body });
      merge(report);
      return report;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      offStatus();
      offReport?.();
      reportPoints.set([]);
    },
  };
}

/** React hook: the reports runtime for this live connection (when `enabled`: the caller may read reports), stopped on unmount. */
export function useReportsRuntime(live: LiveClient, enabled: boolean): ReportsRuntime | null {
  const [runtime, setRuntime] = useState<ReportsRuntime | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const started = startReportsRuntime(live);
    setRuntime(started);
    return () => {
      started.stop();
      setRuntime(null);
    };
  }, [live, enabled]);
  return runtime;
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { Alert } from '../../contract/alert.js';
import type { Report, ReportCategoryInfo } from '../../contract/field.js';
import { keepCategories, keepList, keepZoneNames, lastCategories, lastList, lastZoneNames } from './offline-start.js';
import { fetchCategories, fetchFieldAlerts, fetchFieldReports, fetchZoneNames } from './field-api.js';

/** What the list is made from, as last loaded. */
export interface FieldData {
  alerts: Alert[];
  reports: Report[];
  categories: ReportCategoryInfo[];
  zoneNames: Map<string, { vi: string; en: string }>;
  /** Per source, the last failure (kept until a load of that source succeeds). */
  errors: { alerts?: unknown; reports?: unknown };
  loaded: boolean;
  updatedAt: number | null;
}

/**
 * The field app polls rather than holding a socket: on patchy 4G a poll every half minute (and on
 * focus, after every sent action and when a push arrives) costs less than keeping a live connection
 * up, and the console's socket client stays out of the phone's bundle.
 */
const POLL_MS = 30_000;

/** Loads my open alerts and reports, category and zone names; reloads on a timer and on request. */
export function useFieldData(username: string): FieldData & { reload: () => void } {
  const [data, setData] = useState<FieldData>(() => {
    const last = lastList(username);
    return {
      alerts: last?.alerts ?? [],
      reports: last?.reports ?? [],
      categories: lastCategories(),
      zoneNames: lastZoneNames(),
      errors: {},
      loaded: last !== null,
      updatedAt: last?.at ?? null,
    };
  });
  const loading = useRef(false);
  // A reload asked for while one runs happens after it: its answer may predate what was just sent.
  const again = useRef(false);

  const reload = useCallback(() => {
    if (loading.current) {
      again.current = true;
      return;
    }
    loading.current = true;
    void Promise.allSettled([fetchFieldAlerts(), fetchFieldReports()])
      .then(([alerts, reports]) => {
        if (alerts.status === 'fulfilled' && reports.status === 'fulfilled') keepList(username, alerts.value, reports.value);
        setData((previous) => ({
          ...previous,
          alerts: alerts.status === 'fulfilled' ? alerts.value : previous.alerts,
          reports: reports.status === 'fulfilled' ? reports.value : previous.reports,
          errors: {
            ...(alerts.status === 'rejected' ? { alerts: alerts.reason as unknown } : {}),
            ...(reports.status === 'rejected' ? { reports: reports.reason as unknown } : {}),
          },
          loaded: true,
          updatedAt: alerts.status === 'fulfilled' || reports.status === 'fulfilled' ? Date.now() : previous.updatedAt,
        }));
      })
      .finally(() => {
        loading.current = false;
        if (again.current) {
          again.current = false;
          reloadRef.current();
        }
      });
  }, [username]);
  const reloadRef = useRef(reload);

  useEffect(() => {
    reload();
    void fetchCategories()
      .then((categories) => {
        keepCategories(categories);
        setData((d) => ({ ...d, categories }));
      })
      .catch(() => undefined);
    void fetchZoneNames().then((zoneNames) => {
      if (zoneNames.size === 0) return;
      keepZoneNames(zoneNames);
      setData((d) => ({ ...d, zoneNames }));
    });
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') reload();
    };
    const onMessage = (event: MessageEvent) => {
      if ((event.data as { type?: string } | null)?.type === 'refresh') reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('online', reload);
    navigator.serviceWorker?.addEventListener('message', onMessage);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('online', reload);
      navigator.serviceWorker?.removeEventListener('message', onMessage);
    };
  }, [reload]);

  return { ...data, reload };
}

/** Where the phone is, watched while the app is open; null until known or when refused. */
export function usePosition(): { position: { lat: number; lon: number } | null; refused: boolean } {
  const [state, setState] = useState<{ position: { lat: number; lon: number } | null; refused: boolean }>({
    position: null,
    refused: !('geolocation' in navigator),
  });
  useEffect(() => {
    if (!('geolocation' in navigator)) return;
    const id = navigator.geolocation.watchPosition(
      (p) => setState({ position: { lat: p.coords.latitude, lon: p.coords.longitude }, refused: false }),
      (err) => setState((s) => ({ ...s, refused: err.code === err.PERMISSION_DENIED || s.position === null })),
      { enableHighAccuracy: false, maximumAge: 60_000, timeout: 20_000 },
    );
    return () => navigator.geolocation.clearWatch(id);
  }, []);
  return state;
}

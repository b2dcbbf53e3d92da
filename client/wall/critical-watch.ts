import type { Alert } from '../../contract/alert.js';
import type { AlertsRuntime } from '../features/alerts/alerts-runtime.js';
import { observable, type ReadonlyObservable } from '../state/observable.js';

/** How long a new critical alert holds the wall, unless someone handles it sooner. */
export const CRITICAL_HOLD_MS = 60_000;

export interface CriticalWatch {
  /** The critical alert taking over the wall, or null while the rotation runs. */
  current: ReadonlyObservable<Alert | null>;
  stop(): void;
}

/**
 * Follows the alerts runtime's announcements (a critical alert newly firing, or escalated to critical)
 * and holds each on the wall for `holdMs`, or until it stops firing (acknowledged, snoozed or resolved
 * anywhere). A newer announcement replaces the one on screen.
 */
export function watchCritical(alerts: AlertsRuntime, holdMs: number = CRITICAL_HOLD_MS): CriticalWatch {
  const current = observable<Alert | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    current.set(null);
  };
  const offToast = alerts.toast.subscribe(() => {
    const alert = alerts.toast.get();
    if (alert === null || alert.id === current.get()?.id) return;
    current.set(alert);
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(release, holdMs);
  });
  const offBook = alerts.version.subscribe(() => {
    const shown = current.get();
    if (shown === null) return;
    const latest = alerts.book.get(shown.id);
    if (latest !== undefined && latest.state !== 'firing') release();
    else if (latest !== undefined && latest !== shown) current.set(latest);
  });
  return {
    current,
    stop() {
      offToast();
      offBook();
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

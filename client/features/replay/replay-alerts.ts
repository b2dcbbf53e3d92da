import type { Alert } from '../../../contract/alert.js';
import type { AlertSummary } from '../../../contract/alert.js';
import { observable } from '../../state/observable.js';
import type { AlertsRuntime } from '../alerts/alerts-runtime.js';
import type { ReplayController } from './replay-controller.js';

/**
 * The alert queue's source in replay: the alerts open at the playhead, with the live rule names.
 * Nothing here acts: the queue is shown read-only and `act` refuses.
 */
export function replayAlertsSource(replay: ReplayController, live: AlertsRuntime): AlertsRuntime {
  return {
    book: replay.book,
    version: replay.alertsVersion,
    storms: observable<ReadonlyMap<string, AlertSummary>>(new Map()),
    rules: live.rules,
    ruleNames: live.ruleNames,
    toast: observable<Alert | null>(null),
    muted: live.muted,
    loaded: observable(true),
    loadError: observable<string | null>(null),
    act: () => Promise.reject(new Error('replay is read-only')),
    reloadRules: () => live.reloadRules(),
    stop: () => undefined,
  };
}

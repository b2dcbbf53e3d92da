import type { Alert, AlertSummary, RuleInput } from '../../../contract/index.js';
import { createAlertService, type AlertServiceDeps } from '../../../server/alerts/alert-service.js';
import { FakeAlertsStore, fakeClock, memoryLogger } from './fake-store.js';

export const T0 = 1_700_000_000_000;

export const PM25_RULE: RuleInput = {
  id: 'pm25-high',
  name: 'PM2.5 high',
  domain: 'sensor',
  condition: { field: 'pm25', op: '>', value: 100, clear: 80 },
  severity: 'warning',
};

/** A service over a fake store and clock, recording what it emits. */
export async function serviceWith(configRules: RuleInput[] = [PM25_RULE], extra: Partial<AlertServiceDeps> = {}) {
  const store = (extra.store as FakeAlertsStore | undefined) ?? new FakeAlertsStore();
  const clock = fakeClock(T0);
  const logger = memoryLogger();
  const service = createAlertService({ store, clock: clock.now, logger, configRules, saveDelayMs: 1, ...extra });
  await service.load();
  const emitted: Alert[] = [];
  const summaries: AlertSummary[][] = [];
  service.onAlert((alert) => emitted.push(alert));
  service.onSummary((batch) => summaries.push(batch));
  const pm25 = (id: string, value: number, ts = clock.now()) =>
    service.observe([{ domain: 'sensor', id, ts, fields: { pm25: value } }]);
  return { service, store, clock, logger, emitted, summaries, pm25 };
}

import type { Alert, WebhookEvent } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { AlertService } from '../alerts/alert-service.js';
import { withoutContact } from '../escalation/escalation-service.js';
import type { Notifier } from '../notify/types.js';
import type { ReportChange, ReportService } from '../reports/types.js';

/*
 * Lifecycle events on webhooks: every alert and report move a city system may subscribe to
 * (notify.webhooks[].events). Escalation steps publish their own `*.escalated` events.
 */

/** The webhook event of an alert version, from the last entry of its history. */
export function alertEventOf(alert: Alert): WebhookEvent | undefined {
  const last = alert.history?.at(-1);
  switch (last?.action) {
    case 'fire':
    case 'unsnooze':
      return alert.state === 'firing' ? 'alert.firing' : undefined;
    case 'ack':
      return 'alert.acknowledged';
    case 'assign':
      return 'alert.assigned';
    case 'resolve':
    case 'clear':
      return alert.state === 'resolved' ? 'alert.resolved' : undefined;
    default:
      return undefined;
  }
}

const REPORT_EVENTS: Partial<Record<ReportChange['action'], WebhookEvent>> = {
  create: 'report.created',
  assign: 'report.assigned',
  resolve: 'report.resolved',
  reject: 'report.rejected',
  overdue: 'report.overdue',
  rate: 'report.rated',
};

/** Publishes alert and report moves to the webhooks; returns the unsubscribe. */
export function publishItemEvents(deps: {
  alerts: Pick<AlertService, 'onAlert'>;
  reports?: Pick<ReportService, 'onChange'>;
  notifier: Pick<Notifier, 'publish'>;
  logger: Pick<Logger, 'warn'>;
}): () => void {
  const { notifier, logger } = deps;
  const send = (work: Promise<unknown>, id: string) =>
    void work.catch((err: unknown) =>
      logger.warn('webhook event not queued', { item: id, error: (err as Error).message }),
    );
  const offs = [
    deps.alerts.onAlert((alert) => {
      const event = alertEventOf(alert);
      // The history length names the version: every node that sees the same move queues it once.
      if (event)
        send(
          notifier.publish(event, { kind: 'alert', item: alert }, `${event}:${alert.id}:${alert.history?.length ?? 0}`),
          alert.id,
        );
    }),
  ];
  if (deps.reports) {
    offs.push(
      deps.reports.onChange(({ report, action }) => {
        const event = REPORT_EVENTS[action];
        if (event)
          send(
            notifier.publish(
              event,
              { kind: 'report', item: withoutContact(report) },
              `${event}:${report.id}:${report.history.length}`,
            ),
            report.id,
          );
      }),
    );
  }
  return () => {
    for (const off of offs) off();
  };
}

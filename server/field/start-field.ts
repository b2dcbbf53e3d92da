import type { Router } from 'express';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { StateStore } from '../state/types.js';
import { createNotifier } from '../notify/notifier.js';
import { alertAcker, createNotifyRouter, type AckHandler } from '../notify/routes.js';
import { HttpError } from '../http/errors.js';

/*
 * The field side: citizen reports and photos, notifications and escalation policies, wired
 * together (the composition root calls startField once, after the alert service).
 */

export interface FieldDeps {
  config: Config;
  state: StateStore;
  alerts: AlertService;
  audit: AuditLog;
  /** The zone (ward) of a place; 'city' outside every zone. */
  zoneOf: (lat: number | null, lon: number | null) => string;
  /** Base of links in notifications (config.publicUrl, else the bound address). */
  publicUrl: () => string;
  logger: Logger;
  clock?: () => number;
}

export interface FieldParts {
  /** Mounted under /api/v1 (after the JSON body parser, which leaves multipart alone). */
  routers: Router[];
  stop(): Promise<void>;
}

export async function startField(deps: FieldDeps): Promise<FieldParts> {
  const routers: Router[] = [];
  const stops: (() => Promise<void> | void)[] = [];

  // Notifications: one delivery path (Web Push, email, webhooks, Telegram, Zalo) with its log and retry loop.
  const notifier = await createNotifier({
    config: deps.config.notify,
    state: deps.state,
    logger: deps.logger.child({ module: 'notify' }),
    publicUrl: deps.publicUrl,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  notifier.start();
  stops.push(() => notifier.close());
  const ackAlert = alertAcker(deps.alerts);
  // A report is acknowledged by starting it (ReportService.start); until reports are wired, none can be.
  const ackReport: AckHandler = (_kind, id) => Promise.reject(new HttpError(404, 'not_found', `report "${id}" does not exist`));
  routers.push(
    createNotifyRouter({
      notifier,
      config: deps.config.notify,
      state: deps.state,
      audit: deps.audit,
      logger: deps.logger.child({ module: 'notify' }),
      ack: (kind, id, username, identity) => (kind === 'alert' ? ackAlert : ackReport)(kind, id, username, identity),
      ...(deps.clock ? { clock: deps.clock } : {}),
    }),
  );

  return {
    routers,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

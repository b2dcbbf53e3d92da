import type { Router } from 'express';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { StateStore } from '../state/types.js';
import { createNotifier } from '../notify/notifier.js';
import { alertAcker, createNotifyRouter, type AckHandler } from '../notify/routes.js';
import { HttpError } from '../http/errors.js';
import type { Basemap, Report } from '../../contract/index.js';
import { canSeeItem } from '../auth/policy.js';
import { createAttachmentStore } from '../attachments/attachment-store.js';
import { createAttachmentsRouter } from '../attachments/routes.js';
import { createReportService } from '../reports/report-service.js';
import { createReportsRouter, reportMapOf } from '../reports/routes.js';
import type { ReportService } from '../reports/types.js';
import { EscalationPolicyInputSchema } from '../../contract/index.js';
import { DEMO_POLICIES } from '../escalation/demo-policies.js';
import { createEscalationService } from '../escalation/escalation-service.js';
import { createPolicyBook } from '../escalation/policy-book.js';
import { createEscalationRouter } from '../escalation/routes.js';
import { publishItemEvents } from './item-events.js';
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
  /** The basemap the console draws; the public report page's place picker draws it too. */
  basemap: Basemap;
  /** Base of links in notifications (config.publicUrl, else the bound address). */
  publicUrl: () => string;
  logger: Logger;
  clock?: () => number;
  /** Each report change without the contact, for the map and queue (socket.io `report` to the alert rooms). */
  publish?: (report: Report) => void;
}

export interface FieldParts {
  /** Citizen reports: escalation, notifications and the KPIs build on it. */
  reports: ReportService;
  /** Mounted under /api/v1 (after the JSON body parser, which leaves multipart alone). */
  routers: Router[];
  /** Notification outcomes on this node, for /metrics. */
  notifyStats(): { channel: string; state: string; count: number }[];
  stop(): Promise<void>;
}

export async function startField(deps: FieldDeps): Promise<FieldParts> {
  const routers: Router[] = [];
  const stops: (() => Promise<void> | void)[] = [];

  // Citizen reports and photos (originals kept as evidence, resized copies served).
  const attachments = createAttachmentStore({ state: deps.state, ...(deps.clock ? { clock: deps.clock } : {}) });
  const reports = createReportService({
    state: deps.state,
    config: deps.config.reports,
    attachments,
    zoneOf: deps.zoneOf,
    logger: deps.logger.child({ module: 'reports' }),
    ...(deps.publish ? { publish: deps.publish } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  await reports.load();
  reports.start();
  stops.push(() => reports.close());
  routers.push(
    createReportsRouter({
      service: reports,
      config: deps.config.reports,
      audit: deps.audit,
      map: reportMapOf(deps.config.map, deps.basemap),
    }),
    createAttachmentsRouter({ attachments, alerts: deps.alerts, reports, audit: deps.audit }),
  );

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
  // A report is acknowledged by starting it; one already started (or closed) answers 409.
  const ackReport: AckHandler = async (_kind, id, username, identity) => {
    const report = await reports.get(id);
    if (report === undefined || !canSeeItem(identity, report))
      throw new HttpError(404, 'not_found', `report "${id}" does not exist`);
    await reports.start(id, username);
  };
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

  // Escalation: policies from the config (the demo city's when it names none) and the API.
  const configPolicies =
    deps.config.escalation.policies.length > 0
      ? deps.config.escalation.policies
      : deps.config.simulate
        ? DEMO_POLICIES.map((p) => EscalationPolicyInputSchema.parse(p))
        : [];
  const policies = createPolicyBook({
    state: deps.state,
    configPolicies,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const categoryNames = new Map(deps.config.reports.categories.map((category) => [category.id, category.name.vi]));
  const escalation = createEscalationService({
    state: deps.state,
    policies,
    alerts: deps.alerts,
    reports,
    notifier,
    publicUrl: deps.publicUrl,
    categoryName: (id) => categoryNames.get(id) ?? id,
    overdueNotify: deps.config.escalation.overdueNotify,
    logger: deps.logger.child({ module: 'escalation' }),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  escalation.start(deps.config.escalation.tickInterval);
  // Stopped before the notifier closes (stops run in reverse).
  stops.push(() => escalation.stop());
  stops.push(
    publishItemEvents({ alerts: deps.alerts, reports, notifier, logger: deps.logger.child({ module: 'webhooks' }) }),
  );
  routers.push(createEscalationRouter({ policies, audit: deps.audit }));

  return {
    routers,
    reports,
    notifyStats: () => notifier.stats(),
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

import type { Router } from 'express';
import type { Logger } from '../../config/logger.js';
import type { Config } from '../../config/schema.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { StateStore } from '../state/types.js';

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

export function startField(deps: FieldDeps): Promise<FieldParts> {
  void deps;
  const routers: Router[] = [];
  const stops: (() => Promise<void> | void)[] = [];
  return Promise.resolve({
    routers,
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  });
}

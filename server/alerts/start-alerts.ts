import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { entityKey, type Alert } from '../../contract/index.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../config/logger.js';
import { createAlertService, type AlertService } from './alert-service.js';
import { DEFAULT_RULES } from './default-rules.js';
import type { LiveServer } from '../live/live-server.js';
import type { LiveState } from '../live/live-state.js';
import type { Pipeline } from '../pipeline.js';
import type { StateStore } from '../state/types.js';
import type { TelemetryStore } from '../store/types.js';

export interface AlertsWiring {
  service: AlertService;
  close(): Promise<void>;
}

/** Names the configured zone a position falls in ('city' outside every zone), for storm summaries. */
export function createZoneLookup(config: Config): (lat: number | null, lon: number | null) => string {
  const zones = config.map.zones;
  return (lat, lon) => {
    if (lat === null || lon === null || zones.length === 0) return 'city';
    for (const zone of zones) {
      if (booleanPointInPolygon([lon, lat], zone.geometry)) return zone.id;
    }
    return 'city';
  };
}

/** Starts the alert service: rules from defaults + config + store, fed by the pipeline, pushed on /live. */
export async function startAlerts(deps: {
  config: Config;
  store: TelemetryStore;
  /** Rules and alerts live here. */
  state: StateStore;
  live: LiveState;
  liveServer: LiveServer;
  pipeline: Pipeline;
  logger: Logger;
}): Promise<AlertsWiring> {
  const { config, store, state, live, liveServer, pipeline, logger } = deps;
  const service = createAlertService({
    store: {
      saveRule: (rule) => state.saveRule(rule),
      deleteRule: (id) => state.deleteRule(id),
      loadRules: () => state.loadRules(),
      saveAlerts: (alerts) => state.saveAlerts(alerts),
      loadAlerts: (since) => state.loadAlerts(since),
      getAlert: (id) => state.getAlert(id),
      casAlert: (next, basedOn) => state.casAlert(next, basedOn),
      scan: (options) => store.scan(options),
    },
    logger,
    maxBacktestRangeMs: config.limits.backtestRange,
    // Demo-city defaults first; a config rule with the same id replaces one.
    configRules: [...DEFAULT_RULES, ...config.rules],
    zoneOf: createZoneLookup(config),
  });
  await service.load();
  service.seed([...live.all()]);

  // Entity status follows its open alerts: 'alert' while any is not resolved.
  const openByEntity = new Map<string, Set<string>>();
  const track = (alert: Alert) => {
    const key = entityKey(alert.domain, alert.entityId);
    let open = openByEntity.get(key);
    if (alert.state === 'resolved') open?.delete(alert.id);
    else {
      if (!open) openByEntity.set(key, (open = new Set()));
      open.add(alert.id);
    }
    live.setAlertCount(alert.domain, alert.entityId, open?.size ?? 0);
    if (open?.size === 0) openByEntity.delete(key);
  };
  for (const alert of await service.queryAlerts({ state: ['firing', 'acknowledged', 'snoozed'], limit: 1_000_000 })) {
    track(alert);
  }

  const offAlert = service.onAlert((alert) => {
    track(alert);
    liveServer.broadcastAlert(alert);
  });
  const offSummary = service.onSummary((summaries) => liveServer.broadcastSummary(summaries));
  pipeline.addObserver(service);
  service.start();
  logger.info('alert rules loaded', { rules: service.listRules().length });
  return {
    service,
    close: async () => {
      offAlert();
      offSummary();
      await service.close();
    },
  };
}

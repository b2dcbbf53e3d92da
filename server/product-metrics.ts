import type { BrokerCounters } from '../ingest/mqtt/subscriber.js';
import type { IngestCounters } from '../ingest/sink.js';
import type { AlertServiceStats } from './alerts/alert-service.js';
import type { Sample } from './http/metrics.js';
import type { LiveServer } from './live/live-server.js';
import type { LiveState } from './live/live-state.js';
import type { TelemetryStore } from './store/types.js';

export interface MetricSources {
  counters: IngestCounters;
  store: TelemetryStore;
  live: LiveState;
  liveServer: LiveServer;
  alerts?: AlertServiceStats;
  /** Embedded broker's device checks (absent with an external broker). */
  broker?: { refusedConnects: number; droppedPublishes: number };
  /** An external broker's own counters from $SYS (absent with the embedded broker). */
  externalBroker?: BrokerCounters;
  audit?: { written: number; failed: number };
  /** Outcomes of notification attempts on this node. */
  notify?: { channel: string; state: string; count: number }[];
}

/** Gathers the product's counters for GET /metrics. */
export function collectMetrics({
  counters,
  store,
  live,
  liveServer,
  alerts,
  broker,
  externalBroker,
  audit,
  notify,
}: MetricSources): Sample[] {
  const storeStats = store.stats();
  const liveStats = liveServer.stats();
  const entityValues = Object.entries(live.countByDomainAndStatus()).flatMap(([domain, byStatus]) =>
    Object.entries(byStatus).map(([status, value]) => ({ labels: { domain, status }, value })),
  );
  return [
    {
      name: 'ioc_ingest_messages_total',
      help: 'MQTT messages and HTTP requests received',
      type: 'counter',
      values: [{ value: counters.messages }],
    },
    {
      name: 'ioc_ingest_accepted_total',
      help: 'Observations accepted',
      type: 'counter',
      values: [{ value: counters.accepted }],
    },
    {
      name: 'ioc_ingest_rejected_total',
      help: 'Observations or payloads rejected, by transport',
      type: 'counter',
      values: [...counters.rejectedBy].map(([transport, value]) => ({ labels: { transport }, value })),
    },
    {
      name: 'ioc_store_written_total',
      help: 'Observations written to the store',
      type: 'counter',
      values: [{ labels: { store: store.kind }, value: storeStats.written }],
    },
    {
      name: 'ioc_store_buffered',
      help: 'Observations waiting to be written',
      type: 'gauge',
      values: [{ labels: { store: store.kind }, value: storeStats.buffered }],
    },
    {
      name: 'ioc_store_dropped_total',
      help: 'Observations the store could not keep',
      type: 'counter',
      values: [{ labels: { store: store.kind }, value: storeStats.dropped }],
    },
    {
      name: 'ioc_store_failed_writes_total',
      help: 'Failed store write attempts',
      type: 'counter',
      values: [{ labels: { store: store.kind }, value: storeStats.failedWrites }],
    },
    { name: 'ioc_entities', help: 'Entities in the live state', type: 'gauge', values: entityValues },
    {
      name: 'ioc_live_sockets',
      help: 'Connected /live sockets',
      type: 'gauge',
      values: [{ value: liveStats.sockets }],
    },
    {
      name: 'ioc_live_groups',
      help: "Subscription groups (layers + bbox) this node sends deltas for, its own and other nodes'",
      type: 'gauge',
      values: [{ value: liveStats.groups }],
    },
    {
      name: 'ioc_live_deltas_total',
      help: 'Delta events sent',
      type: 'counter',
      values: [{ value: liveStats.deltasSent }],
    },
    {
      name: 'ioc_live_lagging_sockets',
      help: 'Sockets owed coalesced updates because they read slowly',
      type: 'gauge',
      values: [{ value: liveStats.laggingSockets }],
    },
    ...(alerts
      ? ([
          { name: 'ioc_alerts_open', help: 'Alerts not resolved', type: 'gauge', values: [{ value: alerts.open }] },
          {
            name: 'ioc_alerts_saved_total',
            help: 'Alert changes persisted',
            type: 'counter',
            values: [{ value: alerts.saved }],
          },
          {
            name: 'ioc_alerts_failed_saves_total',
            help: 'Alert changes that failed to persist',
            type: 'counter',
            values: [{ value: alerts.failedSaves }],
          },
          {
            name: 'ioc_alerts_pending_writes',
            help: 'Alert changes waiting to be persisted',
            type: 'gauge',
            values: [{ value: alerts.pendingWrites }],
          },
        ] satisfies Sample[])
      : []),
    ...(broker
      ? ([
          {
            name: 'ioc_mqtt_refused_connects_total',
            help: 'MQTT connections refused (bad credentials, not allowed)',
            type: 'counter',
            values: [{ value: broker.refusedConnects }],
          },
          {
            name: 'ioc_mqtt_dropped_publishes_total',
            help: 'Device publishes outside their own topic, dropped',
            type: 'counter',
            values: [{ value: broker.droppedPublishes }],
          },
        ] satisfies Sample[])
      : []),
    ...(externalBroker?.dropped !== undefined
      ? ([
          {
            name: 'ioc_mqtt_broker_dropped_messages_total',
            help: 'Messages the MQTT broker dropped since it started, all clients ($SYS; queue limit or size): lost before ingest',
            type: 'counter',
            values: [{ value: externalBroker.dropped }],
          },
        ] satisfies Sample[])
      : []),
    ...(externalBroker?.held !== undefined
      ? ([
          {
            name: 'ioc_mqtt_broker_held_messages',
            help: 'Messages the MQTT broker holds ($SYS): queued for sessions, in flight, retained',
            type: 'gauge',
            values: [{ value: externalBroker.held }],
          },
        ] satisfies Sample[])
      : []),
    ...(audit
      ? ([
          {
            name: 'ioc_audit_written_total',
            help: 'Audit entries written',
            type: 'counter',
            values: [{ value: audit.written }],
          },
          {
            name: 'ioc_audit_failed_total',
            help: 'Audit entries that could not be written',
            type: 'counter',
            values: [{ value: audit.failed }],
          },
        ] satisfies Sample[])
      : []),
    ...(notify
      ? ([
          {
            name: 'ioc_notify_attempts_total',
            help: 'Notification delivery attempts on this node, by channel and outcome (sent, retrying, failed)',
            type: 'counter',
            values: notify.map((entry) => ({
              labels: { channel: entry.channel, outcome: entry.state },
              value: entry.count,
            })),
          },
        ] satisfies Sample[])
      : []),
  ];
}

/**
 * Samples ingest-to-store latency once a second while data flows: the time for everything accepted
 * so far to be confirmed written (`store.flush()`). A probe, not a per-observation stamp, so the
 * write path carries no timing work; one probe runs at a time.
 */
export function startIngestToStoreProbe(deps: {
  store: Pick<TelemetryStore, 'flush'>;
  counters: IngestCounters;
  observe: (seconds: number) => void;
  intervalMs?: number;
}): () => void {
  let lastAccepted = deps.counters.accepted;
  let probing = false;
  const timer = setInterval(() => {
    if (probing || deps.counters.accepted === lastAccepted) return;
    lastAccepted = deps.counters.accepted;
    probing = true;
    const started = performance.now();
    deps.store.flush().then(
      () => {
        deps.observe((performance.now() - started) / 1000);
        probing = false;
      },
      () => {
        probing = false;
      },
    );
  }, deps.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One product sample: a metric name, optional labels and a value (product-metrics.ts lists them). */
export interface Sample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: { labels?: Record<string, string>; value: number }[];
}

export interface MetricsRegistry {
  /** Prometheus text exposition of every metric: the product's samples, process, GC and event loop. */
  render(samples: readonly Sample[]): Promise<string>;
  contentType: string;
  /** Seconds from an observation's own time to the delta that carried it to the consoles. */
  publishToDelta: Histogram;
  /** Seconds from accepting a batch to the store confirming it written. */
  ingestToStore: Histogram;
  /** Seconds each fdatasync of the write-ahead log took (acknowledgements wait for it). */
  walSync: Histogram;
}

/**
 * Metrics through prom-client (chosen: the Prometheus client every Node service uses, with the
 * process, GC and event-loop collectors built in). The product's own counts live in its modules;
 * at each scrape they are copied into prom-client metrics made on first sight.
 */
export function createMetricsRegistry(): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ioc_', eventLoopMonitoringPrecision: 20 });
  const made = new Map<string, Counter | Gauge>();
  const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30];

  const metricFor = (sample: Sample): Counter | Gauge => {
    let metric = made.get(sample.name);
    if (!metric) {
      const labelNames = [...new Set(sample.values.flatMap((v) => Object.keys(v.labels ?? {})))];
      const config = { name: sample.name, help: sample.help, labelNames, registers: [registry] };
      metric = sample.type === 'counter' ? new Counter(config) : new Gauge(config);
      made.set(sample.name, metric);
    }
    return metric;
  };

  return {
    contentType: registry.contentType,
    publishToDelta: new Histogram({
      name: 'ioc_publish_to_delta_seconds',
      help: "Time from an observation's own timestamp to the delta that sent it to the consoles",
      buckets: latencyBuckets,
      registers: [registry],
    }),
    ingestToStore: new Histogram({
      name: 'ioc_ingest_to_store_seconds',
      help: 'Time from accepting a batch to the store confirming it written',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    walSync: new Histogram({
      name: 'ioc_wal_sync_seconds',
      help: 'Time each fdatasync of the write-ahead log took; MQTT and HTTP acknowledgements wait for it',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    async render(samples) {
      for (const sample of samples) {
        // A labelled metric with no values yet (no refusals so far) waits until its label names are known.
        if (sample.values.length === 0 && !made.has(sample.name)) continue;
        const metric = metricFor(sample);
        // Values are running totals kept by the modules: each scrape sets them afresh.
        metric.reset();
        for (const { labels, value } of sample.values) {
          const finite = Number.isFinite(value) ? value : 0;
          if (metric instanceof Counter) metric.inc(labels ?? {}, Math.max(0, finite));
          else metric.set(labels ?? {}, finite);
        }
      }
      return registry.metrics();
    },
  };
}

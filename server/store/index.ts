import type { Config } from '../../config/schema.js';
import { EmbeddedStore } from './embedded.js';
import { InfluxStore } from './influx.js';
import type { TelemetryStore } from './types.js';
import type { RetentionOptions } from './retention.js';
import { quietLogger, type StoreLogger } from './types-logger.js';

export type { TelemetryStore, StoreStats } from './types.js';
export type { StoreLogger } from './types-logger.js';
export { EmbeddedStore } from './embedded.js';
export { InfluxStore } from './influx.js';
export { backpressureMarks } from './backpressure.js';

/** The configured store: InfluxDB when `influx.url` is set, else the embedded SQLite file in `dataDir`. */
export function createStore(config: Config, logger: StoreLogger = quietLogger): TelemetryStore {
  const { influx } = config;
  const { retention: r } = config.store;
  const retention: RetentionOptions = {
    enabled: r.enabled,
    rawMs: r.raw,
    downsampledMs: r.downsampled,
    intervalMs: r.interval,
  };
  if (influx.url) {
    return new InfluxStore(
      {
        url: influx.url,
        db: influx.db,
        token: influx.token,
        batchSize: influx.batchSize,
        flushInterval: influx.flushInterval,
        idleFlush: influx.idleFlush,
        maxBufferLines: influx.maxBufferLines,
        retention,
      },
      logger,
    );
  }
  return new EmbeddedStore(
    { dataDir: config.dataDir, maxBuffered: config.store.embedded.maxBuffered, retention },
    logger,
  );
}

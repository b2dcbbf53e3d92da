import type { Observation } from '../contract/index.js';

/** Where ingest delivers valid observations (the server's pipeline). */
export interface ObservationSink {
  accept(batch: Observation[]): void;
  /** True while downstream buffers are past their high-water mark: transports should slow down. */
  saturated(): boolean;
  /** Resolves once downstream buffers are below their low-water mark again. */
  drained(): Promise<void>;
}

/** Ingest counters, exported on /metrics. */
export interface IngestCounters {
  messages: number;
  accepted: number;
  rejected: number;
  /** Rejections by transport and reason class, e.g. "mqtt:invalid". */
  rejectedBy: Map<string, number>;
}

export function createIngestCounters(): IngestCounters {
  return { messages: 0, accepted: 0, rejected: 0, rejectedBy: new Map() };
}

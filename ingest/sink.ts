import type { Observation } from '../contract/index.js';

/** Where ingest delivers valid observations (the server's pipeline). */
export interface ObservationSink {
  accept(batch: Observation[]): void;
  /**
   * Makes everything accepted so far durable (written to a local log the server replays after a crash).
   * Transports call it before they acknowledge: a PUBACK or a 202 promises the data survives a killed process.
   */
  commit(): void;
  /**
   * `commit` without holding the event loop: `done` runs once everything accepted before the call is durable
   * (with the error, if it could not be made so). Absent, transports fall back to `commit`.
   */
  commitAsync?(done: (err?: Error) => void): void;
  /** True while downstream buffers are past their high-water mark: transports should slow down. */
  saturated(): boolean;
  /** Resolves once downstream buffers are below their low-water mark again. */
  drained(): Promise<void>;
}

/** The sink's asynchronous commit, or its synchronous one behind the same signature. */
export function commitAsyncOf(sink: ObservationSink): (done: (err?: Error) => void) => void {
  if (sink.commitAsync) return (done) => sink.commitAsync!(done);
  return (done) => {
    let failure: Error | undefined;
    try {
      sink.commit();
    } catch (err) {
      failure = err as Error;
    }
    done(failure);
  };
}

/** Ingest counters, exported on /metrics. */
export interface IngestCounters {
  messages: number;
  accepted: number;
  rejected: number;
  /** Rejections by transport and reason class, e.g. "mqtt:invalid". */
  rejectedBy: Map<string, number>;
  /** Hears every refusal with its reasons (the data-quality view keeps the latest examples). */
  onRejected?: (rejection: IngestRejection) => void;
}

/** One refused message or request, as the data-quality view records it. */
export interface IngestRejection {
  at: number;
  transport: 'mqtt' | 'http';
  /** The domain it was meant for, `unknown` when even that could not be read. */
  domain: string;
  /** The topic, or `POST /api/v1/ingest`. */
  source: string;
  errors: { index: number; error: string }[];
  /** The start of the payload. */
  example: string;
}

/** How much of a refused payload an example keeps. */
export const REJECTION_EXAMPLE_CHARS = 200;

export function createIngestCounters(): IngestCounters {
  return { messages: 0, accepted: 0, rejected: 0, rejectedBy: new Map() };
}

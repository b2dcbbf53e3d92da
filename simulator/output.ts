import type { ObservationInput } from '../contract/index.js';

/** Where the simulator's messages go: an MQTT publish, and optionally an HTTP post. */
export interface SimulatorTransport {
  /** Publish one MQTT message (QoS 1 is the caller's choice). */
  publish(topic: string, payload: string): void | Promise<void>;
  /** Optional: POST observations over HTTP (array of ObservationInput); when absent everything goes over MQTT. */
  postHttp?(observations: ObservationInput[]): Promise<void>;
}

/** Running totals; observations count once handed over and are taken back if the hand-over fails. */
export interface Counters {
  published: number;
  httpPosted: number;
  messages: number;
  errors: number;
}

/** Collects one tick's messages: device messages go out at once, batches and HTTP posts at `flush`. */
export interface Output {
  begin(): void;
  device(topic: string, payload: string): void;
  batchItem(domain: number, item: string): void;
  line(domain: number, line: string): void;
  http(observation: ObservationInput): void;
  flush(): Promise<void>;
}

// Keeps batch payloads far below the ingest payload limit (1 MiB by default).
const MAX_BATCH = 250;
const MAX_HTTP_BATCH = 1000;

const isThenable = (x: unknown): x is PromiseLike<void> =>
  typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';

/** Creates the output stage over a transport; `report` hears at most one error per tick. */
export function createOutput(
  transport: SimulatorTransport,
  batchTopics: readonly string[],
  counters: Counters,
  report: (err: Error) => void,
): Output {
  const items: string[][] = batchTopics.map(() => []);
  const lines: string[][] = batchTopics.map(() => []);
  let posts: ObservationInput[] = [];
  let pending: Promise<void>[] = [];
  let reported = false;

  const fail = (err: unknown): void => {
    counters.errors++;
    if (reported) return;
    reported = true;
    report(err instanceof Error ? err : new Error(String(err)));
  };

  const publish = (topic: string, payload: string, count: number): void => {
    counters.messages++;
    counters.published += count;
    try {
      const result: unknown = transport.publish(topic, payload);
      if (isThenable(result)) {
        pending.push(
          Promise.resolve(result).then(undefined, (err: unknown) => {
            counters.published -= count;
            fail(err);
          }),
        );
      }
    } catch (err) {
      counters.published -= count;
      fail(err);
    }
  };

  const post = (batch: ObservationInput[]): void => {
    if (!transport.postHttp) return;
    counters.httpPosted += batch.length;
    try {
      pending.push(
        transport.postHttp(batch).then(undefined, (err: unknown) => {
          counters.httpPosted -= batch.length;
          fail(err);
        }),
      );
    } catch (err) {
      counters.httpPosted -= batch.length;
      fail(err);
    }
  };

  const flushBatch = (domain: number): void => {
    const list = items[domain] as string[];
    if (list.length === 0) return;
    publish(batchTopics[domain] as string, `[${list.join(',')}]`, list.length);
    list.length = 0;
  };
  const flushLines = (domain: number): void => {
    const list = lines[domain] as string[];
    if (list.length === 0) return;
    publish(batchTopics[domain] as string, list.join('\n'), list.length);
    list.length = 0;
  };

  return {
    begin() {
      reported = false;
    },
    device(topic, payload) {
      publish(topic, payload, 1);
    },
    batchItem(domain, item) {
      const list = items[domain] as string[];
      list.push(item);
      if (list.length >= MAX_BATCH) flushBatch(domain);
    },
    line(domain, line) {
      const list = lines[domain] as string[];
      list.push(line);
      if (list.length >= MAX_BATCH) flushLines(domain);
    },
    http(observation) {
      posts.push(observation);
      if (posts.length >= MAX_HTTP_BATCH) {
        post(posts);
        posts = [];
      }
    },
    async flush() {
      for (let d = 0; d < batchTopics.length; d++) {
        flushBatch(d);
        flushLines(d);
      }
      if (posts.length > 0) {
        post(posts);
        posts = [];
      }
      if (pending.length === 0) return;
      const waiting = pending;
      pending = [];
      await Promise.all(waiting);
    },
  };
}

import mqtt, { type MqttClient } from 'mqtt';
import { buildMessage, type LoadSpec } from './payloads.js';
import { wallClockMs } from './stats.js';

const CONNECT = { protocolVersion: 4 as const, reconnectPeriod: 0, connectTimeout: 10_000 };

/** The filters the product's ingest subscribes to under `root` (contract/topics.ts). */
export function ingestFilters(root: string): string[] {
  return [`${root}/+`, `${root}/+/+`];
}

/** Creates a persistent session subscribed at QoS 1, so the broker queues what is published while it is offline. */
export async function primeSession(url: string, clientId: string, filters: string[]): Promise<void> {
  const client = await mqtt.connectAsync(url, { ...CONNECT, clientId, clean: false });
  try {
    await client.subscribeAsync(filters, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

/** Removes a persistent session (and whatever is still queued for it) from the broker. */
export async function clearSession(url: string, clientId: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { ...CONNECT, clientId, clean: true });
  await client.endAsync();
}

export interface PublishOutcome {
  messages: number;
  observations: number;
  ms: number;
}

/**
 * Publishes `messages` messages of a load as fast as the broker acknowledges them, with at most
 * `window` unacknowledged at a time (bounded memory). Used to pre-load a QoS 1 backlog.
 */
export async function publishBacklog(
  url: string,
  spec: LoadSpec,
  messages: number,
  options: { qos?: 0 | 1; window?: number; timeoutMs?: number } = {},
): Promise<PublishOutcome> {
  const client = await mqtt.connectAsync(url, {
    ...CONNECT,
    clientId: `bench-pub-${process.pid}-${Date.now()}`,
    clean: true,
  });
  const started = Date.now();
  const window = options.window ?? 2000;
  const qos = options.qos ?? 1;
  const deadline = started + (options.timeoutMs ?? 120_000);
  let observations = 0;
  let acked = 0;
  let sent = 0;
  let failure: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        if (failure) return reject(failure);
        if (Date.now() > deadline) return reject(new Error(`publishing ${messages} messages took over the time limit`));
        while (sent < messages && sent - acked < window) {
          const message = buildMessage(spec, sent, wallClockMs());
          observations += message.observations;
          sent += 1;
          client.publish(message.topic, message.payload, { qos }, (err) => {
            if (err) failure = err;
            acked += 1;
            if (acked === messages) resolve();
            else if (sent - acked < window / 2 || failure) pump();
          });
        }
      };
      pump();
    });
  } finally {
    await client.endAsync();
  }
  return { messages, observations, ms: Date.now() - started };
}

export interface DrainOutcome {
  messages: number;
  /** Wall-clock ms of the first and last message received. */
  firstAt: number;
  lastAt: number;
}

/**
 * The ceiling for one ingest process: a bare mqtt.js subscriber that resumes a primed persistent
 * session and only counts messages until `expected` have arrived (or `timeoutMs` passes). With
 * `work`, each payload also goes through it (e.g. the parse every ingest must do at the least).
 */
export async function drainBare(
  url: string,
  clientId: string,
  filters: string[],
  expected: number,
  timeoutMs: number,
  work?: (payload: Buffer) => unknown,
): Promise<DrainOutcome> {
  let client: MqttClient | undefined;
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bare subscriber got ${count} of ${expected} messages in ${timeoutMs} ms`)),
        timeoutMs,
      );
      client = mqtt.connect(url, { ...CONNECT, clientId, clean: false });
      client.on('message', (_topic, payload) => {
        if (work) work(payload);
        count += 1;
        if (count === 1) firstAt = wallClockMs();
        if (count === expected) {
          lastAt = wallClockMs();
          clearTimeout(timer);
          resolve();
        }
      });
      client.on('connect', () => client?.subscribe(filters, { qos: 1 }));
      client.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    await client?.endAsync();
  }
  return { messages: count, firstAt, lastAt };
}

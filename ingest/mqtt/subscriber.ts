import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { ingestSubscriptions, MAX_LISTED_REJECTIONS, parseTopic, rejectedTopic, type Observation } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import { hasContent, type FieldTypeRegistry } from '../field-types.js';
import { ingestPayload, type IngestRules } from '../ingest-payload.js';
import { REJECTION_EXAMPLE_CHARS, type IngestCounters, type ObservationSink } from '../sink.js';

export interface MqttIngestOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  topicRoot: string;
  rejectedTopicRoot: string;
  sharedGroup?: string;
  maxPayloadBytes: number;
  normalize: IngestRules;
  sink: ObservationSink;
  counters: IngestCounters;
  logger: Logger;
  /** Other systems' own topics taken unchanged (e.g. Frigate's `frigate/events`). */
  adapters?: MqttAdapter[];
}

/** A topic outside `<topicRoot>/…` whose messages another system publishes in its own format. */
export interface MqttAdapter {
  /** An exact topic (no wildcards), subscribed besides the city topics. */
  topic: string;
  /** The domain its refusals are reported under (`ioc/rejected/<domain>`). */
  domain: string;
  /** Turns one message into observations, or refuses it with the reason. */
  handle(payload: Buffer, now: number): { observations: Observation[]; rejected: { index: number; error: string }[] };
}

export interface MqttIngest {
  client: MqttClient;
  connected(): boolean;
  close(): Promise<void>;
}

const REJECTED_PAYLOAD_PREVIEW = 1024;

type AdapterOutcome = ReturnType<MqttAdapter['handle']>;

/** Holds an adapter's observations to the field kinds too: another system's odd value must not poison a field either. */
function admitKinds(outcome: AdapterOutcome, fieldTypes: FieldTypeRegistry | undefined): AdapterOutcome {
  if (fieldTypes === undefined) return outcome;
  const observations: Observation[] = [];
  const rejected = [...outcome.rejected];
  for (const obs of outcome.observations) {
    const problems = fieldTypes.admit(obs);
    if (problems.length > 0) rejected.push({ index: 0, error: problems.join('; ') });
    if (hasContent(obs)) observations.push(obs);
  }
  return { observations, rejected };
}
/** Messages handled back to back before ingest lets the event loop run other work. */
const YIELD_EVERY = 256;

/** Groups the messages mqtt.js hands over back to back into turns of at most YIELD_EVERY. */
interface AckTurns {
  /** Called for every message: opens a turn if none is open; true when this message fills the turn. */
  begin(): boolean;
  /** Runs `resume` when the turn ends (in the check phase), before its PUBACKs leave. */
  resumeAfterTurn(resume: () => void): void;
}

/**
 * Corks the client's socket for the messages of one turn and uncorks it in a `setImmediate`, so their
 * PUBACKs (and anything else written meanwhile) leave in one write instead of one each (BENCHMARKS.md hot
 * spot 2). The uncork does not depend on another message arriving, so the socket is never left corked:
 * the immediate runs in this loop iteration even when the stream closed meanwhile, and a stream replaced
 * by a reconnect is uncorked before the new one is corked.
 */
function createAckTurns(client: MqttClient): AckTurns {
  let corked: MqttClient['stream'] | undefined;
  let open = false;
  let messages = 0;
  let resume: (() => void) | undefined;

  const end = () => {
    open = false;
    messages = 0;
    const pending = resume;
    resume = undefined;
    const stream = corked;
    corked = undefined;
    try {
      // The PUBACK of the message that filled the turn joins the same write; should mqtt.js hand over the
      // next message synchronously, that message opens (and corks) a turn of its own.
      pending?.();
    } finally {
      stream?.uncork();
    }
  };

  return {
    begin() {
      const stream = client.stream;
      if (corked !== stream) {
        corked?.uncork();
        stream.cork();
        corked = stream;
      }
      if (!open) {
        open = true;
        setImmediate(end);
      }
      return ++messages >= YIELD_EVERY;
    },
    resumeAfterTurn(next) {
      resume = next;
    },
  };
}

/**
 * Subscribes to `<root>/+` and `<root>/+/+` at QoS 1 with a persistent session, so that the broker
 * keeps what arrives while ingest is down. A message is acknowledged only after it has been handed
 * to the pipeline; while the pipeline is saturated we stop acknowledging, which makes the broker
 * hold the backlog instead of us dropping it.
 */
export async function startMqttIngest(options: MqttIngestOptions): Promise<MqttIngest> {
  const { logger, counters, sink } = options;
  const adapters = new Map((options.adapters ?? []).map((adapter) => [adapter.topic, adapter]));
  const client = mqtt.connect(options.url, {
    clientId: options.clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    username: options.username,
    password: options.password,
    // Resubscribe ourselves on every connect: a broker that lost our session must get the filters back.
    resubscribe: false,
  });

  const reject = (topic: string, domain: string, payload: Buffer, errors: { index: number; error: string }[]) => {
    counters.rejected += errors.length;
    counters.rejectedBy.set('mqtt', (counters.rejectedBy.get('mqtt') ?? 0) + errors.length);
    counters.onRejected?.({
      at: Date.now(),
      transport: 'mqtt',
      domain,
      source: topic,
      errors: errors.slice(0, MAX_LISTED_REJECTIONS),
      example: payload.subarray(0, REJECTION_EXAMPLE_CHARS).toString('utf8'),
    });
    const report = JSON.stringify({
      topic,
      receivedAt: new Date().toISOString(),
      ...(errors.length > MAX_LISTED_REJECTIONS ? { errors: errors.slice(0, MAX_LISTED_REJECTIONS), errorsTotal: errors.length } : { errors }),
      payload: payload.subarray(0, REJECTED_PAYLOAD_PREVIEW).toString('utf8'),
    });
    client.publish(rejectedTopic(domain, options.rejectedTopicRoot), report, { qos: 0 }, (err) => {
      if (err) logger.debug('could not republish rejected message', { error: err.message });
    });
  };

  const handle = (packet: IPublishPacket): void => {
    counters.messages += 1;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const adapter = adapters.get(packet.topic);
    if (adapter) {
      const outcome =
        payload.length > options.maxPayloadBytes
          ? { observations: [], rejected: [{ index: 0, error: `payload of ${payload.length} bytes exceeds the limit of ${options.maxPayloadBytes} bytes` }] }
          : admitKinds(adapter.handle(payload, Date.now()), options.normalize.fieldTypes);
      if (outcome.observations.length > 0) {
        counters.accepted += outcome.observations.length;
        sink.accept(outcome.observations);
      }
      if (outcome.rejected.length > 0) reject(packet.topic, adapter.domain, payload, outcome.rejected);
      return;
    }
    const parsed = parseTopic(packet.topic, options.topicRoot);
    if (!parsed) {
      reject(packet.topic, 'unknown', payload, [{ index: 0, error: `topic must be ${options.topicRoot}/<domain>[/<id>]` }]);
      return;
    }
    if (payload.length > options.maxPayloadBytes) {
      reject(packet.topic, parsed.domain, payload, [
        { index: 0, error: `payload of ${payload.length} bytes exceeds the limit of ${options.maxPayloadBytes} bytes` },
      ]);
      return;
    }
    const outcome = ingestPayload(payload, 'auto', parsed, options.normalize, Date.now());
    if (outcome.observations.length > 0) {
      counters.accepted += outcome.observations.length;
      sink.accept(outcome.observations);
    }
    if (outcome.rejected.length > 0) reject(packet.topic, parsed.domain, payload, outcome.rejected);
  };

  const turns = createAckTurns(client);
  // mqtt.js reads the next packet only after this callback: delaying it is our backpressure (docs/PERFORMANCE.md).
  client.handleMessage = (packet, done) => {
    const yieldNow = turns.begin();
    try {
      handle(packet);
    } catch (err) {
      logger.error('ingest failed on a message; it was skipped', { topic: packet.topic, error: (err as Error).message });
    }
    // mqtt.js writes the PUBACK when `done` runs: only ever after the pipeline took the message.
    if (sink.saturated()) {
      sink.drained().then(
        () => done(),
        () => done(),
      );
    } else if (yieldNow) {
      // mqtt.js handles queued packets in next-ticks, which never let timers, store commits or HTTP run
      // during a backlog drain; yielding now and then keeps deltas and the API on time (BENCHMARKS.md).
      turns.resumeAfterTurn(done);
    } else done();
  };

  const subscriptions = [
    ...ingestSubscriptions(options.topicRoot, options.sharedGroup),
    ...[...adapters.keys()].map((topic) => (options.sharedGroup ? `$share/${options.sharedGroup}/${topic}` : topic)),
  ];
  client.on('connect', (connack) => {
    logger.info('connected to MQTT broker', { url: options.url, sessionPresent: connack.sessionPresent });
    client.subscribe(subscriptions, { qos: 1 }, (err) => {
      if (err) logger.error('MQTT subscribe failed', { error: err.message, subscriptions });
    });
  });
  client.on('reconnect', () => logger.debug('reconnecting to MQTT broker', { url: options.url }));
  client.on('offline', () => logger.warn('MQTT broker unreachable; the broker keeps our QoS 1 backlog', { url: options.url }));
  client.on('error', (err) => logger.warn('MQTT error', { error: err.message }));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not fatal: mqtt.js keeps reconnecting; readiness reports the broker as down meanwhile.
      logger.warn('MQTT broker not reachable yet; will keep trying', { url: options.url });
      resolve();
    }, 10_000);
    timer.unref();
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.once('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return;
      clearTimeout(timer);
      reject(err);
    });
  });

  return {
    client,
    connected: () => client.connected,
    close: () => client.endAsync().then(() => undefined),
  };
}

import mqtt, { type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import { z } from 'zod';
import { ingestSubscriptions } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { IngestRules } from '../ingest-payload.js';
import { commitAsyncOf, type IngestCounters, type ObservationSink } from '../sink.js';
import { createMessageHandler, type MqttAdapter } from './message-handler.js';

export type { MqttAdapter } from './message-handler.js';

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

export interface MqttIngest {
  client: MqttClient;
  connected(): boolean;
  /** What the broker last said about itself on `$SYS` (empty until it has, or when it shares nothing). */
  brokerCounters(): BrokerCounters;
  close(): Promise<void>;
}

/**
 * Mosquitto's own counters (published on `$SYS` every `sys_interval`, 10 s by default). Past its queue
 * limit for a session (`max_queued_messages`) the broker throws messages away before any ingest sees
 * them: only the broker can tell, so ingest listens and reports it (`/metrics`, a warning in the log).
 */
export interface BrokerCounters {
  /** Messages the broker dropped since it started, for every client (a session's queue full, a message too large). */
  dropped?: number;
  /** Messages the broker holds now (queued for sessions, in flight, retained). */
  held?: number;
}

const BROKER_DROPPED = '$SYS/broker/publish/messages/dropped';
const BROKER_HELD = '$SYS/broker/store/messages/count';
// The broker's counters are decimal text; anything else is not a counter of ours to report.
const BrokerCounterSchema = z
  .string()
  .trim()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/** Keeps the broker's $SYS counters and warns when the dropped one grows. */
export function createBrokerWatch(logger: Logger) {
  const counters: BrokerCounters = {};
  return {
    counters: () => ({ ...counters }),
    receive(topic: string, payload: Buffer): void {
      const parsed = BrokerCounterSchema.safeParse(payload.toString('utf8'));
      if (!parsed.success) {
        logger.debug('ignored a $SYS value that is not a counter', { topic });
        return;
      }
      if (topic === BROKER_HELD) {
        counters.held = parsed.data;
        return;
      }
      if (topic !== BROKER_DROPPED) return;
      const before = counters.dropped;
      counters.dropped = parsed.data;
      if (before === undefined) {
        if (parsed.data > 0) logger.warn('the MQTT broker has dropped messages since it started', { dropped: parsed.data });
      } else if (parsed.data > before) {
        logger.warn(
          'the MQTT broker dropped messages: a session queue was full (max_queued_messages) or a message too large; they are lost. Raise the broker limit or add ingest capacity',
          { dropped: parsed.data - before, droppedSinceBrokerStart: parsed.data, heldByBroker: counters.held },
        );
      }
    },
  };
}

const noTrace = (): void => {};

/**
 * A turn (messages handled back to back before the event loop runs other work) ends at whichever comes first.
 * Each turn costs one log commit (a write and an fdatasync), so turns are as long as the event loop allows:
 * 10 ms keeps deltas and the API on time; 256 messages per turn spent a fifth of a backlog drain in fdatasync.
 */
export const TURN_MAX_MESSAGES = 2048;
const TURN_MAX_MS = 10;
/** The clock is read every this many messages, not on each. */
const TURN_CLOCK_EVERY = 32;

/** Groups the messages mqtt.js hands over back to back into turns (TURN_MAX_MESSAGES, TURN_MAX_MS). */
interface AckTurns {
  /** Called for every message: opens a turn if none is open; true when this message fills the turn. */
  begin(): boolean;
  /** Runs `resume` when the turn ends (in the check phase), before its PUBACKs leave. */
  resumeAfterTurn(resume: () => void): void;
}

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: unknown, noStore?: boolean) => void;

/** MQTT 3.1.1 PUBACK: fixed header 0x40, remaining length 2, then the packet id. */
function pubackBytes(ids: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(4 * ids.length);
  for (let i = 0; i < ids.length; i++) {
    bytes[4 * i] = 0x40;
    bytes[4 * i + 1] = 2;
    bytes.writeUInt16BE(ids[i]!, 4 * i + 2);
  }
  return bytes;
}

/** PUBACKs waiting for the commit that makes their messages durable, on the connection they belong to. */
interface HeldAcks {
  ids: number[];
  stream: MqttClient['stream'];
  durable: boolean;
}

/**
 * Holds the PUBACKs of one turn and sends them in one write once the turn's observations are durable
 * (group commit: one log commit per turn). mqtt.js would write each PUBACK through the stream machinery
 * (packet generation, the corked stream, a process.nextTick per packet: 5-7 % of ingest CPU in the
 * profile; BENCHMARKS.md hot spot 2), so its `_sendPacket` is wrapped for PUBACKs: their ids are kept, the message's callback runs
 * at once (mqtt.js then reads the next packet), and they leave as one buffer when the commit is durable.
 * The commit's fdatasync runs off the event loop, so the next turns are handled meanwhile; PUBACKs still
 * leave in the order their messages came, as MQTT asks. Should the log fail, the connection is dropped
 * with the PUBACKs unsent, so the broker redelivers; PUBACKs of a connection that closed meanwhile are
 * dropped for the same reason. A turn ends in a `setImmediate`, which does not depend on another message.
 */
function createAckTurns(client: MqttClient, commitAsync: (done: (err?: Error) => void) => void, logger: Logger): AckTurns {
  let open = false;
  // Also true while the message that filled the turn gets its PUBACK, as the turn ends.
  let holding = false;
  let messages = 0;
  let openedAt = 0;
  let resume: (() => void) | undefined;
  let turn: HeldAcks | undefined;
  // Turns whose commit is in flight, oldest first.
  const queue: HeldAcks[] = [];

  const sendDurable = () => {
    while (queue[0]?.durable) {
      const { ids, stream } = queue.shift()!;
      if (ids.length > 0 && stream === client.stream && !stream.destroyed) stream.write(pubackBytes(ids));
    }
  };

  const wrapped = client as unknown as { _sendPacket: SendPacket };
  const send = wrapped._sendPacket.bind(client);
  wrapped._sendPacket = (packet, cb, cbStorePut, noStore) => {
    if (packet.cmd !== 'puback' || packet.messageId === undefined || !client.connected) {
      send(packet, cb, cbStorePut, noStore);
    } else if (holding) {
      if (turn?.stream !== client.stream) turn = { ids: [], stream: client.stream, durable: false };
      turn.ids.push(packet.messageId);
      cb?.();
    } else if (queue.length > 0) {
      // Outside a turn (a message acknowledged after the store drained, already committed): after the PUBACKs before it.
      queue.push({ ids: [packet.messageId], stream: client.stream, durable: true });
      cb?.();
    } else send(packet, cb, cbStorePut, noStore);
  };

  const release = () => {
    const held = turn;
    turn = undefined;
    // Nothing to acknowledge (QoS 0): no fdatasync; the pipeline writes the observations to the log as it delivers.
    if (held === undefined || held.ids.length === 0) return;
    queue.push(held);
    commitAsync((err) => {
      if (err) {
        logger.error('could not make accepted messages durable; dropping the connection so the broker resends them', {
          error: err.message,
        });
        held.stream.destroy();
      }
      held.durable = true;
      sendDurable();
    });
  };

  const end = () => {
    open = false;
    messages = 0;
    const pending = resume;
    resume = undefined;
    try {
      // The PUBACK of the message that filled the turn joins the same write; should mqtt.js hand over the
      // next message synchronously, that message opens a turn of its own (its PUBACK is held too, and its
      // observations are in the log before the commit below).
      pending?.();
    } finally {
      holding = open;
      release();
    }
  };

  return {
    begin() {
      if (!open) {
        open = true;
        holding = true;
        openedAt = performance.now();
        setImmediate(end);
      }
      messages += 1;
      if (messages >= TURN_MAX_MESSAGES) return true;
      return messages % TURN_CLOCK_EVERY === 0 && performance.now() - openedAt >= TURN_MAX_MS;
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
  const { logger, sink } = options;
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
    // mqtt.js traces every packet through `debug`; even switched off that was 3-5 % of ingest CPU. DEBUG=mqttjs* keeps it.
    ...(process.env.DEBUG === undefined ? { log: noTrace } : {}),
  });

  const handleMessage = createMessageHandler({
    ...options,
    publishRejected: (topic, report) =>
      client.publish(topic, report, { qos: 0 }, (err) => {
        if (err) logger.debug('could not republish rejected message', { error: err.message });
      }),
  });
  const handle = (packet: IPublishPacket): void =>
    handleMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);

  const turns = createAckTurns(client, commitAsyncOf(sink), logger);
  const brokerWatch = createBrokerWatch(logger);
  let toldNoSys = false;
  // mqtt.js reads the next packet only after this callback: delaying it is our backpressure (docs/PERFORMANCE.md).
  client.handleMessage = (packet, done) => {
    // QoS 0 and never ours to ingest (wildcards do not match `$` topics, so only our own $SYS filters bring these).
    if (packet.topic.startsWith('$SYS/')) {
      brokerWatch.receive(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
      done();
      return;
    }
    const yieldNow = turns.begin();
    try {
      handle(packet);
    } catch (err) {
      logger.error('ingest failed on a message; it was skipped', { topic: packet.topic, error: (err as Error).message });
    }
    // mqtt.js writes the PUBACK when `done` runs: only ever after the pipeline took the message.
    if (sink.saturated()) {
      // Outside a turn: the PUBACK leaves at once, so the message is made durable first.
      const ack = () => {
        try {
          sink.commit();
        } catch (err) {
          logger.error('could not make an accepted message durable; dropping the connection', { error: (err as Error).message });
          client.stream.destroy();
          return;
        }
        done();
      };
      sink.drained().then(ack, ack);
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
    // Not shared: every node hears the broker's counters. A broker that refuses (its ACL, or no $SYS) costs nothing.
    client.subscribe([BROKER_DROPPED, BROKER_HELD], { qos: 0 }, (err, granted) => {
      const refused = err !== null || (granted ?? []).some((grant) => grant.qos === 128);
      if (refused && !toldNoSys) {
        toldNoSys = true;
        logger.info('the MQTT broker does not share its $SYS counters with ingest: messages it drops are not reported', {
          error: err?.message,
        });
      }
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
    brokerCounters: () => brokerWatch.counters(),
    close: () => client.endAsync().then(() => undefined),
  };
}

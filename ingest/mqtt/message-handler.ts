import { MAX_LISTED_REJECTIONS, parseTopic, rejectedTopic, type Observation } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import { hasContent, type FieldTypeRegistry } from '../field-types.js';
import { ingestPayload, type IngestRules } from '../ingest-payload.js';
import { REJECTION_EXAMPLE_CHARS, type IngestCounters, type ObservationSink } from '../sink.js';

/** A topic outside `<topicRoot>/…` whose messages another system publishes in its own format. */
export interface MqttAdapter {
  /** An exact topic (no wildcards), subscribed besides the city topics. */
  topic: string;
  /** The domain its refusals are reported under (`ioc/rejected/<domain>`). */
  domain: string;
  /** Turns one message into observations, or refuses it with the reason. */
  handle(payload: Buffer, now: number): { observations: Observation[]; rejected: { index: number; error: string }[] };
}

export interface MessageHandlerOptions {
  topicRoot: string;
  rejectedTopicRoot: string;
  maxPayloadBytes: number;
  normalize: IngestRules;
  sink: ObservationSink;
  counters: IngestCounters;
  logger: Logger;
  adapters?: MqttAdapter[];
  /** Sends a refusal report (QoS 0) on `ioc/rejected/<domain>`. */
  publishRejected(topic: string, report: string): void;
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

/**
 * One MQTT message in, observations to the sink and refusals out on `ioc/rejected/<domain>`: the same for a
 * subscription on an external broker and for messages the in-process broker hands over directly.
 */
export function createMessageHandler(options: MessageHandlerOptions): (topic: string, payload: Buffer) => void {
  const { counters, sink } = options;
  const adapters = new Map((options.adapters ?? []).map((adapter) => [adapter.topic, adapter]));

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
    options.publishRejected(rejectedTopic(domain, options.rejectedTopicRoot), report);
  };

  const tooLarge = (payload: Buffer) => [
    { index: 0, error: `payload of ${payload.length} bytes exceeds the limit of ${options.maxPayloadBytes} bytes` },
  ];

  return (topic, payload) => {
    counters.messages += 1;
    const adapter = adapters.get(topic);
    if (adapter) {
      const outcome =
        payload.length > options.maxPayloadBytes
          ? { observations: [], rejected: tooLarge(payload) }
          : admitKinds(adapter.handle(payload, Date.now()), options.normalize.fieldTypes);
      if (outcome.observations.length > 0) {
        counters.accepted += outcome.observations.length;
        sink.accept(outcome.observations);
      }
      if (outcome.rejected.length > 0) reject(topic, adapter.domain, payload, outcome.rejected);
      return;
    }
    const parsed = parseTopic(topic, options.topicRoot);
    if (!parsed) {
      reject(topic, 'unknown', payload, [{ index: 0, error: `topic must be ${options.topicRoot}/<domain>[/<id>]` }]);
      return;
    }
    if (payload.length > options.maxPayloadBytes) {
      reject(topic, parsed.domain, payload, tooLarge(payload));
      return;
    }
    const outcome = ingestPayload(payload, 'auto', parsed, options.normalize, Date.now());
    if (outcome.observations.length > 0) {
      counters.accepted += outcome.observations.length;
      sink.accept(outcome.observations);
    }
    if (outcome.rejected.length > 0) reject(topic, parsed.domain, payload, outcome.rejected);
  };
}

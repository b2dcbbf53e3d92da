import { commitAsyncOf } from '../sink.js';
import { createMessageHandler, type MessageHandlerOptions } from './message-handler.js';

/** Ingest inside the in-process broker: messages are taken before the broker acknowledges them. */
export interface BrokerIngest {
  /** True for the topics ingest takes: `<topicRoot>/<domain>[/<id>]` and the adapters' topics. */
  takes(topic: string): boolean;
  /** Handles one message; `done` (after which the broker sends the device its PUBACK) runs once it is durable. */
  onPublish(topic: string, payload: Buffer, done: (err: Error | null) => void): void;
}

/**
 * The in-process broker acknowledges a publisher as soon as its authorisation hook lets the message
 * through, and its state dies with the process. So ingest runs in that hook instead of behind a
 * subscription: the messages of one event-loop turn are made durable together (one log write, group
 * commit), and only then are they let through and acknowledged. While the store is behind, the
 * acknowledgements wait, which slows the publishers down (backpressure), as on an external broker.
 */
export function createBrokerIngest(options: MessageHandlerOptions): BrokerIngest {
  const { sink, logger } = options;
  const handle = createMessageHandler(options);
  const adapterTopics = new Set((options.adapters ?? []).map((adapter) => adapter.topic));
  const prefix = `${options.topicRoot}/`;
  let waiting: ((err: Error | null) => void)[] = [];

  const commitAsync = commitAsyncOf(sink);
  const release = () => {
    const ready = waiting;
    waiting = [];
    // The fdatasync runs off the event loop: the next turn's messages are taken meanwhile.
    commitAsync((err) => {
      if (err) {
        // The publishers are refused (the broker drops their connections) and send again after reconnecting.
        logger.error('could not make accepted messages durable; refusing them', { error: err.message });
        for (const done of ready) done(err);
        return;
      }
      const letThrough = () => {
        for (const done of ready) done(null);
      };
      if (sink.saturated()) sink.drained().then(letThrough, letThrough);
      else letThrough();
    });
  };

  return {
    takes(topic) {
      if (adapterTopics.has(topic)) return true;
      if (!topic.startsWith(prefix)) return false;
      // The subscriber's filters `<root>/+` and `<root>/+/+`: one or two levels under the root.
      const rest = topic.slice(prefix.length);
      const slash = rest.indexOf('/');
      return slash === -1 || rest.indexOf('/', slash + 1) === -1;
    },
    onPublish(topic, payload, done) {
      try {
        handle(topic, payload);
      } catch (err) {
        logger.error('ingest failed on a message; it was skipped', { topic, error: (err as Error).message });
      }
      waiting.push(done);
      if (waiting.length === 1) setImmediate(release);
    },
  };
}

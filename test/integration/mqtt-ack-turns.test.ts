import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import type { Observation } from '../../contract/index.js';
import { startMqttIngest, TURN_MAX_MESSAGES, type MqttIngest } from '../../ingest/mqtt/subscriber.js';
import { createIngestCounters, type ObservationSink } from '../../ingest/sink.js';
import { startMosquitto, uniqueName, type RunningService } from '../support/services.js';
import { waitFor } from '../support/ports.js';

// The subscriber holds the PUBACKs of a turn of messages and writes them as one buffer once the turn is
// committed; these tests read the PUBACKs back from what reaches the socket of a real Mosquitto connection,
// and break the connection mid-turn.

const NORMALIZE = {
  maxFutureMs: 5 * 60_000,
  maxPastMs: 7 * 86_400_000,
  domains: new Set(['sensor', 'traffic', 'health', 'queue']),
};

/** A sink that records what it takes and runs `onAccept` inside the handling of each message. */
function recordingSink(onAccept: (observations: Observation[]) => void = () => undefined) {
  const seqs: number[] = [];
  const sink: ObservationSink = {
    accept(batch) {
      for (const observation of batch) seqs.push(observation.fields.seq as number);
      onAccept(batch);
    },
    commit: () => undefined,
    saturated: () => false,
    drained: () => Promise.resolve(),
  };
  return { sink, seqs };
}

/**
 * Counts the writes a stream hands to its socket (each is one syscall) and the PUBACKs in them, read back
 * from the bytes (the subscriber writes a turn's PUBACKs itself, as one buffer).
 */
function countWrites(client: MqttClient) {
  const counts = { writes: 0, pubacks: 0, ids: [] as number[] };
  // MQTT framing: a type byte, the remaining length as a base-128 varint, then that many bytes.
  let pending = Buffer.alloc(0);
  const parser = {
    parse(chunk: Buffer) {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        let length = 0;
        let at = 1;
        for (let shift = 0; at < pending.length; shift += 7) {
          const byte = pending[at++]!;
          length += (byte & 0x7f) << shift;
          if ((byte & 0x80) === 0) break;
        }
        if (pending.length < 2 || at + length > pending.length) return;
        if (pending[0] === 0x40) {
          counts.pubacks += 1;
          counts.ids.push(pending.readUInt16BE(at));
        }
        pending = pending.subarray(at + length);
      }
    },
  };
  const stream = client.stream as unknown as {
    _write: (chunk: Buffer, ...rest: unknown[]) => void;
    _writev?: (chunks: { chunk: Buffer }[], ...rest: unknown[]) => void;
  };
  const write = stream._write.bind(stream);
  stream._write = (chunk, ...rest) => {
    counts.writes += 1;
    parser.parse(chunk);
    write(chunk, ...rest);
  };
  const writev = stream._writev?.bind(stream);
  if (writev) {
    stream._writev = (chunks, ...rest) => {
      counts.writes += 1;
      for (const { chunk } of chunks) parser.parse(chunk);
      writev(chunks, ...rest);
    };
  }
  return counts;
}

async function publishSequence(url: string, topic: string, from: number, count: number): Promise<void> {
  const publisher = await mqtt.connectAsync(url, { clientId: uniqueName('pub') });
  const base = Date.now() - 60_000;
  const acked: Promise<unknown>[] = [];
  for (let seq = from; seq < from + count; seq++) {
    acked.push(publisher.publishAsync(topic, JSON.stringify({ ts: base + seq, seq }), { qos: 1 }));
  }
  await Promise.all(acked);
  await publisher.endAsync();
}

const nextLoopTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** The product's MQTT ingest on `url`, feeding `sink`. */
function startIngest(url: string, sink: Parameters<typeof startMqttIngest>[0]['sink']) {
  return startMqttIngest({
    url,
    clientId: uniqueName('ingest'),
    topicRoot: 'city',
    rejectedTopicRoot: 'city-rejected',
    maxPayloadBytes: 65_536,
    normalize: NORMALIZE,
    sink,
    counters: createIngestCounters(),
    logger: silentLogger,
  });
}

describe('MQTT ingest: PUBACKs per turn', () => {
  let broker: RunningService | undefined;
  let ingest: MqttIngest | undefined;

  afterEach(async () => {
    await ingest?.close();
    ingest = undefined;
    await broker?.stop();
    broker = undefined;
  });

  it('sends the PUBACKs of a turn in one write, and leaves nothing corked', async () => {
    broker = await startMosquitto();
    const { sink, seqs } = recordingSink();
    ingest = await startIngest(broker.url, sink);
    const client = ingest.client;
    await waitFor(() => client.connected, 'the subscriber to connect');
    // Subscribed once the broker routes a probe to us.
    await waitFor(async () => {
      await publishSequence(broker!.url, 'city/sensor/probe', -1, 1);
      return seqs.includes(-1);
    }, 'the subscription');
    const counts = countWrites(client);
    // Messages handled between two check phases: a turn ends there, so the loop still runs between turns.
    let mostPerLoopTurn = 0;
    let lastSeen = seqs.length;
    let probing = true;
    const probe = () => {
      mostPerLoopTurn = Math.max(mostPerLoopTurn, seqs.length - lastSeen);
      lastSeen = seqs.length;
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);

    // More than two full turns, so the bound below says the loop ran between them. The socket stops
    // reading while they are published, so they wait as a backlog (in the broker and the socket's
    // buffers) as they do after an outage, whether or not this host handles them faster than one
    // publisher sends them.
    const total = 3 * TURN_MAX_MESSAGES;
    client.stream.pause();
    await publishSequence(broker.url, 'city/sensor/S1', 0, total);
    client.stream.resume();
    await waitFor(() => counts.pubacks >= total, `${total} PUBACKs`, 20_000);
    await nextLoopTurn();
    probing = false;

    expect(new Set(seqs.filter((s) => s >= 0)).size).toBe(total);
    expect(counts.pubacks).toBe(total);
    // Every packet id once (a PUBACK lost or doubled would show here), in the order the messages came
    // (Mosquitto numbers the messages it sends us in sequence).
    expect(new Set(counts.ids).size).toBe(total);
    expect(counts.ids).toEqual([...counts.ids].sort((a, b) => a - b));
    // One write per PUBACK without corking; a turn holds many messages (up to 10 ms of them).
    expect(counts.writes).toBeLessThan(total / 8);
    // At most one turn ends and the next begins within one loop iteration.
    expect(mostPerLoopTurn).toBeLessThanOrEqual(2 * TURN_MAX_MESSAGES);
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);

    // A lone message still gets its PUBACK out, without waiting for another message to end the turn.
    const before = counts.pubacks;
    const writesBefore = counts.writes;
    await publishSequence(broker.url, 'city/sensor/S1', total, 1);
    await waitFor(() => counts.pubacks > before, 'the PUBACK of a lone message');
    await nextLoopTurn();
    expect(counts.writes).toBeGreaterThan(writesBefore);
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
  });

  it('loses nothing when the connection breaks while a turn holds its PUBACKs', async () => {
    broker = await startMosquitto();
    const connection: { client?: MqttClient; counts?: ReturnType<typeof countWrites> } = {};
    let broken: MqttClient['stream'] | undefined;
    let ackedWhenBroken = Number.NaN;
    const breakAt = 700;
    let accepted = 0;
    const { sink, seqs } = recordingSink(() => {
      accepted += 1;
      if (accepted === breakAt && connection.client) {
        broken = connection.client.stream;
        ackedWhenBroken = connection.counts?.pubacks ?? Number.NaN;
        broken.destroy();
      }
    });
    ingest = await startIngest(broker.url, sink);
    const client = ingest.client;
    connection.client = client;
    connection.counts = countWrites(client);
    await waitFor(async () => {
      await publishSequence(broker!.url, 'city/sensor/probe', -1, 1);
      return seqs.includes(-1);
    }, 'the subscription');

    const total = 2000;
    await publishSequence(broker.url, 'city/sensor/S2', 0, total);
    const all = (n: number) => {
      const seen = new Set(seqs.filter((s) => s >= 0));
      return seen.size === n;
    };
    // mqtt.js reconnects after its 1 s period; the persistent session redelivers what was not acknowledged.
    await waitFor(() => all(total), `all ${total} messages after the reconnect`, 30_000);
    expect(broken).toBeDefined();
    // The turn's PUBACKs were held when the connection broke: the broker had to redeliver those messages.
    expect(ackedWhenBroken).toBeLessThan(breakAt);
    expect(client.stream).not.toBe(broken);
    expect(client.connected).toBe(true);

    // Messages keep flowing on the new connection, and its socket is not left corked either.
    await publishSequence(broker.url, 'city/sensor/S2', total, 500);
    await waitFor(() => all(total + 500), 'the messages published after the reconnect', 20_000);
    await nextLoopTurn();
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
  });
});

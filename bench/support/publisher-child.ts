// A paced MQTT publisher in its own process, so that it never shares an event loop with the
// product or the clients being measured. Takes jobs over IPC (see publisher.ts), one at a time.
import mqtt, { type MqttClient } from 'mqtt';
import { buildMessage } from './payloads.js';
import type { PublishJob, PublishReport } from './publisher.js';
import { wallClockMs } from './stats.js';

const TICK_MS = 5;
let client: MqttClient | undefined;
let clientUrl = '';

async function connect(url: string): Promise<MqttClient> {
  if (client && clientUrl === url && client.connected) return client;
  await client?.endAsync();
  clientUrl = url;
  client = await mqtt.connectAsync(url, {
    clientId: `bench-publisher-${process.pid}`,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  return client;
}

/** Publishes at `rate` messages/s for `durationMs`, catching up in bursts of at most one tick's worth when late. */
async function publish(job: PublishJob): Promise<PublishReport> {
  const mq = await connect(job.url);
  const started = wallClockMs();
  const end = started + job.durationMs;
  let sent = 0;
  let observations = 0;
  let acked = 0;
  let lateTicks = 0;
  const maxBurst = Math.max(1, Math.ceil((job.rate * TICK_MS * 4) / 1000));
  while (wallClockMs() < end) {
    const due = Math.floor(((wallClockMs() - started) / 1000) * job.rate);
    let burst = due - sent;
    if (burst > maxBurst) {
      lateTicks += 1;
      burst = maxBurst;
    }
    for (let i = 0; i < burst; i++) {
      const message = buildMessage(job.spec, job.firstSeq + sent, wallClockMs());
      mq.publish(message.topic, message.payload, { qos: job.qos }, () => {
        acked += 1;
      });
      sent += 1;
      observations += message.observations;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  const deadline = Date.now() + 10_000;
  while (job.qos > 0 && acked < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return { type: 'report', messages: sent, observations, ms: wallClockMs() - started, lateTicks };
}

process.on('message', (job: PublishJob | { type: 'stop' }) => {
  if (job.type === 'stop') {
    void (client?.endAsync() ?? Promise.resolve()).finally(() => process.exit(0));
    return;
  }
  publish(job).then(
    (report) => process.send?.(report),
    (err: Error) => process.send?.({ type: 'error', message: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });

// What Mosquitto says about itself on $SYS (every sys_interval, 10 s by default): the messages it holds
// and those it dropped. A benchmark that feeds the product through the broker reads these to tell "the
// product is behind" (the broker holds the rest) from "the broker threw some away" (its queue limit).
import mqtt from 'mqtt';

export interface BrokerSys {
  /** Messages the broker holds now (queued for sessions, in flight, retained); undefined before its first report. */
  held(): number | undefined;
  /** Messages the broker dropped since it started (a session's queue full, or too large). */
  dropped(): number | undefined;
  close(): Promise<void>;
}

const HELD = '$SYS/broker/store/messages/count';
const DROPPED = '$SYS/broker/publish/messages/dropped';

/** Subscribes to the broker's own counters; resolves once subscribed. */
export async function watchBrokerSys(url: string): Promise<BrokerSys> {
  const values = new Map<string, number>();
  const client = await mqtt.connectAsync(url, {
    clientId: `bench-sys-${process.pid}`,
    clean: true,
    reconnectPeriod: 1000,
  });
  client.on('message', (topic, payload) => {
    const value = Number(payload.toString());
    if (Number.isFinite(value)) values.set(topic, value);
  });
  await client.subscribeAsync([HELD, DROPPED], { qos: 0 });
  return {
    held: () => values.get(HELD),
    dropped: () => values.get(DROPPED),
    close: () => client.endAsync(),
  };
}

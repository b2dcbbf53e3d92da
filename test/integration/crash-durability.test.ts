import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { freePort, waitFor } from '../support/ports.js';
import { influxQuery, startInfluxd, startMosquitto, uniqueName, type RunningService } from '../support/services.js';

// Nothing acknowledged is lost when the product is killed: numbered QoS 1 messages are published under load,
// the real process (server/main.ts) gets SIGKILL mid-stream, starts again on the same data dir, and every
// sequence number the broker acknowledged must then be in the store. On both stores, with the in-process
// broker (whose PUBACK is the product's own promise) and with an external Mosquitto (which keeps what our
// ingest did not acknowledge).

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOTAL = 12_000;
const ENTITIES = 10;

interface Child {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runMain(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, IOC_LOG_LEVEL: 'warn', IOC_SIMULATE: '0', IOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

type StoreKind = 'embedded' | 'influx';
type BrokerKind = 'in-process' | 'mosquitto';

let influxd: RunningService;
let mosquitto: RunningService;
const dirs: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  [influxd, mosquitto] = await Promise.all([startInfluxd(), startMosquitto()]);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await Promise.all([influxd?.stop(), mosquitto?.stop()]);
});

/** Rows the embedded store holds per run (a sequence number stored twice counts twice). */
const rowCounts = new Map<string, number>();

/** Every `seq` the store holds for this run's entities. */
async function storedSeqs(store: StoreKind, dataDir: string, db: string, prefix: string): Promise<Set<number>> {
  if (store === 'influx') {
    const result = (await influxQuery(influxd.url, `SELECT seq FROM sensor WHERE id =~ /^${prefix}/`, db)) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    return new Set((result.results[0]?.series?.[0]?.values ?? []).map((v) => v[1]));
  }
  const sqlite = new Database(path.join(dataDir, 'ioc.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = sqlite
      .prepare<[string], { seq: number }>(`SELECT json_extract(fields, '$.seq') AS seq FROM observations WHERE id LIKE ? || '%'`)
      .all(prefix);
    const seqs = new Set(rows.map((r) => r.seq));
    rowCounts.set(prefix, rows.length);
    return seqs;
  } finally {
    sqlite.close();
  }
}

async function crashRun(store: StoreKind, broker: BrokerKind) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-crash-'));
  dirs.push(dataDir);
  const db = uniqueName('crash');
  const prefix = `${store}-${broker === 'mosquitto' ? 'mq' : 'ip'}-`;
  const [port, mqttPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = { IOC_PORT: String(port), IOC_DATA_DIR: dataDir };
  if (broker === 'mosquitto') env.IOC_MQTT_URL = mosquitto.url;
  else env.IOC_MQTT_PORT = String(mqttPort);
  // A client id of its own, so no other run's persistent session on the shared Mosquitto is taken over.
  const configFile = path.join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ mqtt: { clientId: uniqueName('ingest').slice(0, 60) } }));
  env.IOC_CONFIG = configFile;
  if (store === 'influx') Object.assign(env, { IOC_INFLUX_URL: influxd.url, IOC_INFLUX_DB: db });
  const brokerUrl = broker === 'mosquitto' ? mosquitto.url : `mqtt://127.0.0.1:${mqttPort}`;
  const start = async () => {
    const run = runMain(env);
    children.push(run.child);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `readyz (output: ${run.output()})`, 30_000, 100);
    return run;
  };

  const first = await start();
  const publisher: MqttClient = await mqtt.connectAsync(brokerUrl, { clientId: uniqueName('crash-pub'), reconnectPeriod: 200 });
  const acked = new Set<number>();
  const base = Date.now() - 120_000;
  for (let seq = 0; seq < TOTAL; seq++) {
    const payload = JSON.stringify({ ts: base + seq, seq });
    publisher.publish(`city/sensor/${prefix}${seq % ENTITIES}`, payload, { qos: 1 }, (err) => {
      if (!err) acked.add(seq);
    });
    // Let the socket drain now and then so acknowledgements come back while the stream goes on.
    if (seq % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  // Mid-stream: part acknowledged, the rest still in flight.
  await waitFor(() => acked.size >= TOTAL / 4, 'a quarter acknowledged', 30_000, 5);
  first.child.kill('SIGKILL');
  await first.exited;
  const ackedAtKill = acked.size;

  const second = await start();
  // Mosquitto resends what our ingest did not acknowledge; in-process, the publisher resends after reconnecting.
  const stored = await waitFor(
    async () => {
      const seqs = await storedSeqs(store, dataDir, db, prefix);
      return [...acked].every((seq) => seqs.has(seq)) ? seqs : undefined;
    },
    'every acknowledged sequence number stored',
    60_000,
    250,
  );
  const replayed = /"observations":(\d+)[^\n]*write-ahead log|write-ahead log[^\n]*"observations":(\d+)/.exec(second.output());
  await publisher.endAsync(true);
  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
  const missing = [...acked].filter((seq) => !stored.has(seq));
  const duplicates = (rowCounts.get(prefix) ?? stored.size) - stored.size;
  return { ackedAtKill, acked: acked.size, stored: stored.size, missing, duplicates, replayed: Number(replayed?.[1] ?? replayed?.[2] ?? 0) };
}

describe('SIGKILL mid-stream loses no acknowledged QoS 1 observation', () => {
  const cases: [StoreKind, BrokerKind][] = [
    ['embedded', 'in-process'],
    ['influx', 'in-process'],
    ['embedded', 'mosquitto'],
    ['influx', 'mosquitto'],
  ];
  it.each(cases)('%s store, %s broker', async (store, broker) => {
    const result = await crashRun(store, broker);
    console.log(`crash ${store}/${broker}:`, JSON.stringify(result));
    expect(result.ackedAtKill).toBeGreaterThan(0);
    expect(result.missing).toEqual([]);
    expect(result.stored).toBeGreaterThanOrEqual(result.acked);
    // In-process, every repeat would be the log's own: its replay skips rows the store already holds. An
    // external broker redelivers the messages whose PUBACKs died with the process (QoS 1 is at least once):
    // InfluxDB overwrites those points, the embedded store keeps the repeat.
    if (broker === 'in-process') expect(result.duplicates).toBe(0);
  }, 120_000);
});

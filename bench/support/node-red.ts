import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../test/support/ports.js';
import { WORK } from './context.js';
import type { Teardown } from './teardown.js';

/** Where the peer is installed (gitignored): `npm install --prefix bench/.work/node-red ...`. */
export const NODE_RED_DIR = path.join(WORK, 'node-red');
const RED_JS = path.join(NODE_RED_DIR, 'node_modules', 'node-red', 'red.js');
const INFLUX_NODE = path.join(NODE_RED_DIR, 'node_modules', 'node-red-contrib-influxdb', 'package.json');

/** True when node-red and node-red-contrib-influxdb are installed in bench/.work/node-red. */
export function nodeRedInstalled(): boolean {
  return existsSync(RED_JS) && existsSync(INFLUX_NODE);
}

/** Installs the peer into its own folder (never into the repository's dependencies); returns an error text on failure. */
export function installNodeRed(timeoutMs = 300_000): string | undefined {
  mkdirSync(NODE_RED_DIR, { recursive: true });
  const result = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      NODE_RED_DIR,
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      'node-red@4',
      'node-red-contrib-influxdb',
    ],
    { encoding: 'utf8', timeout: timeoutMs },
  );
  if (result.error) return result.error.message;
  if (result.status !== 0)
    return `npm install exited with ${result.status}: ${(result.stderr || result.stdout).slice(-500)}`;
  return nodeRedInstalled() ? undefined : 'npm install finished but node-red is not where expected';
}

export interface NodeRedFlow {
  brokerPort: number;
  topic: string;
  influxPort: number;
  db: string;
  clientId: string;
}

/**
 * The flow docs/PERFORMANCE.md measured: mqtt in (QoS 1, parsed JSON) → influxdb out (one write per
 * message). A function node between them turns the per-entity payload into fields + tags with the
 * payload's own time, so that Node-RED stores the same points as the product (without it, the
 * `tags` object makes every write invalid line protocol).
 */
export function flowJson(flow: NodeRedFlow): unknown[] {
  const toPoint = [
    "const p = msg.payload; const fields = {}; const tags = { id: msg.topic.split('/').pop() };",
    "for (const k in p) { if (k === 'ts') fields.time = p.ts; else if (k === 'tags') Object.assign(tags, p.tags); else fields[k] = p[k]; }",
    'msg.payload = [fields, tags]; return msg;',
  ].join('\n');
  return [
    { id: 'tab1', type: 'tab', label: 'bench' },
    {
      id: 'broker1',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(flow.brokerPort),
      clientid: flow.clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: true,
    },
    {
      id: 'influx1',
      type: 'influxdb',
      hostname: '127.0.0.1',
      port: String(flow.influxPort),
      database: flow.db,
      name: 'influxd',
      influxdbVersion: '1.x',
      usetls: false,
    },
    {
      id: 'in1',
      type: 'mqtt in',
      z: 'tab1',
      name: '',
      topic: flow.topic,
      qos: '1',
      datatype: 'json',
      broker: 'broker1',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 100,
      y: 100,
      wires: [['fn1']],
    },
    {
      id: 'fn1',
      type: 'function',
      z: 'tab1',
      name: 'to point',
      func: toPoint,
      outputs: 1,
      x: 300,
      y: 100,
      wires: [['out1']],
    },
    {
      id: 'out1',
      type: 'influxdb out',
      z: 'tab1',
      influxdb: 'influx1',
      name: '',
      measurement: 'sensor',
      precision: 'ms',
      retentionPolicy: '',
      x: 500,
      y: 100,
      wires: [],
    },
  ];
}

/** A running Node-RED. */
export interface NodeRedProcess {
  pid: number;
  /** Last lines of its log (errors of the influxdb node show up only here). */
  output(): string;
  stop(): Promise<void>;
}

/** Writes settings + flow into a fresh userDir under bench/.work and starts Node-RED; ready once flows run and MQTT is connected. */
export async function startNodeRed(flow: NodeRedFlow, teardown: Teardown, timeoutMs = 60_000): Promise<NodeRedProcess> {
  const userDir = path.join(WORK, `node-red-user-${process.pid}-${Date.now()}`);
  mkdirSync(userDir, { recursive: true });
  const port = await freePort();
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flowJson(flow), null, 2));
  const settings = {
    uiPort: port,
    uiHost: '127.0.0.1',
    userDir,
    nodesDir: path.join(NODE_RED_DIR, 'node_modules'),
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
  };
  // .cjs: the repository's package.json says "type": "module", and Node-RED require()s its settings.
  const settingsFile = path.join(userDir, 'settings.cjs');
  writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=2048', RED_JS, '--settings', settingsFile, '--userDir', userDir],
    {
      cwd: NODE_RED_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  let started = false;
  let connected = false;
  teardown.add('node-red user dir', () => rmSync(userDir, { recursive: true, force: true }));
  const stop = teardown.child('node-red', child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Node-RED was not ready within ${timeoutMs} ms:\n${log.slice(-1500)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
      started ||= log.includes('Started flows');
      connected ||= /Connected to broker/.test(log);
      if (started && connected) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited with code ${code}:\n${log.slice(-1500)}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { pid: child.pid ?? -1, output: () => log.slice(-3000), stop };
}

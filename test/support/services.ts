import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor, waitForPort } from './ports.js';

const INSTALL_HINT =
  'Install the test services with: apt-get update && apt-get install -y mosquitto mosquitto-clients influxdb influxdb-client redis-server chromium';

function requireBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not installed. ${INSTALL_HINT}`);
}

/** A server process started for a test, stopped by `stop()` (idempotent). */
export interface RunningService {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  /** Last lines the process wrote to stderr/stdout, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

function startProcess(
  command: string,
  args: string[],
  dir: string,
  port: number,
  url: string,
  keepDir = false,
): RunningService {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopped: Promise<void> | undefined;
  return {
    port,
    url,
    dir,
    process: child,
    output: () => tail,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }).then(() => {
        if (keepDir) return;
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch {
          // A service running as another user may leave files we cannot remove; the OS cleans tmp.
        }
      });
      return stopped;
    },
  };
}

export interface MosquittoOptions {
  port?: number;
  /** Keep messages for offline persistent sessions across restarts (uses `dir`). */
  persistence?: boolean;
  dir?: string;
  maxQueuedMessages?: number;
  maxInflightMessages?: number;
  /** Extra lines appended to mosquitto.conf. */
  extra?: string[];
}

/** Starts Debian's mosquitto on a free port (or `options.port`, to restart on the same one). */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningService> {
  const binary = requireBinary('mosquitto');
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'ioc-mosquitto-'));
  // mosquitto drops root privileges to the mosquitto user: its persistence dir must be writable by it.
  chmodSync(dir, 0o777);
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    `persistence ${options.persistence ? 'true' : 'false'}`,
    ...(options.persistence ? [`persistence_location ${dir}/`, 'autosave_interval 1'] : []),
    `max_queued_messages ${options.maxQueuedMessages ?? 1_000_000}`,
    `max_inflight_messages ${options.maxInflightMessages ?? 0}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ...(options.extra ?? []),
  ];
  const configFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(configFile, lines.join('\n') + '\n');
  chmodSync(configFile, 0o644);
  const service = startProcess(binary, ['-c', configFile], dir, port, `mqtt://127.0.0.1:${port}`, options.dir !== undefined);
  try {
    await waitForPort(port);
  } catch (err) {
    await service.stop();
    throw new Error(`mosquitto did not start: ${(err as Error).message}\n${service.output()}`);
  }
  return service;
}

export interface MosquittoDynsecService extends RunningService {
  /** The plugin's admin (made by `mosquitto_ctrl dynsec init`); may publish to the control topic and subscribe to `#`. */
  admin: { username: string; password: string };
  controlTopic: string;
}

function dynsecPlugin(): string {
  const libDir = '/usr/lib';
  for (const entry of readdirSync(libDir)) {
    const candidate = path.join(libDir, entry, 'mosquitto_dynamic_security.so');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`mosquitto_dynamic_security.so is not installed. ${INSTALL_HINT}`);
}

/** Starts Debian's mosquitto on a free port with the dynamic-security plugin and no anonymous access. */
export async function startMosquittoDynsec(): Promise<MosquittoDynsecService> {
  const binary = requireBinary('mosquitto');
  const ctrl = requireBinary('mosquitto_ctrl');
  const plugin = dynsecPlugin();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-mosquitto-dynsec-'));
  // mosquitto drops root privileges to the mosquitto user, and the plugin rewrites its file on every change.
  chmodSync(dir, 0o777);
  const admin = { username: 'admin', password: randomBytes(12).toString('base64url') };
  const dynsecFile = path.join(dir, 'dynsec.json');
  const init = spawnSync(ctrl, ['dynsec', 'init', dynsecFile, admin.username, admin.password], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mosquitto_ctrl dynsec init failed: ${init.stderr || init.stdout}`);
  chmodSync(dynsecFile, 0o666);
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous false',
    'persistence false',
    `plugin ${plugin}`,
    `plugin_opt_config_file ${dynsecFile}`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
  ];
  const configFile = path.join(dir, 'mosquitto.conf');
  writeFileSync(configFile, lines.join('\n') + '\n');
  chmodSync(configFile, 0o644);
  const service = startProcess(binary, ['-c', configFile], dir, port, `mqtt://127.0.0.1:${port}`);
  try {
    await waitForPort(port);
  } catch (err) {
    await service.stop();
    throw new Error(`mosquitto (dynamic security) did not start: ${(err as Error).message}\n${service.output()}`);
  }
  return { ...service, admin, controlTopic: '$CONTROL/dynamic-security/v1' };
}

export interface InfluxdOptions {
  /** Listen on this port (e.g. to bring a stopped server back where clients expect it). */
  port?: number;
}

/** Starts Debian's influxd 1.x on a free port (or `options.port`) with a temp data dir; ready when /ping answers 204. */
export async function startInfluxd(options: InfluxdOptions = {}): Promise<RunningService> {
  const binary = requireBinary('influxd');
  const port = options.port ?? (await freePort());
  const rpcPort = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-influxd-'));
  const printed = spawnSync(binary, ['config'], { encoding: 'utf8' });
  if (printed.status !== 0) throw new Error(`influxd config failed: ${printed.stderr}`);
  let config = printed.stdout
    .replaceAll('/var/lib/influxdb', dir)
    .replace(/^\s*bind-address = "[^"]*:8088"/m, `bind-address = "127.0.0.1:${rpcPort}"`)
    .replace(/^(\s*)bind-address = ":8086"/m, `$1bind-address = "127.0.0.1:${port}"`)
    .replace(/^\s*reporting-enabled = .*$/m, '');
  config = `reporting-disabled = true\n${config}`;
  const configFile = path.join(dir, 'influxdb.conf');
  writeFileSync(configFile, config);
  const url = `http://127.0.0.1:${port}`;
  const service = startProcess(binary, ['-config', configFile], dir, port, url);
  try {
    await waitFor(
      async () => {
        if (service.process.exitCode !== null) throw new Error(`influxd exited: ${service.output()}`);
        const res = await fetch(`${url}/ping`);
        return res.status === 204;
      },
      'influxd /ping',
      30_000,
      100,
    );
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

/** Runs an InfluxQL statement against a test influxd (e.g. CREATE DATABASE). */
export async function influxQuery(url: string, q: string, db?: string): Promise<unknown> {
  const params = new URLSearchParams({ q });
  if (db) params.set('db', db);
  const res = await fetch(`${url}/query`, { method: 'POST', body: params });
  if (!res.ok) throw new Error(`influx query failed ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Starts Debian's redis-server on a free port, no persistence. */
export async function startRedis(): Promise<RunningService> {
  const binary = requireBinary('redis-server');
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-redis-'));
  const service = startProcess(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
    dir,
    port,
    `redis://127.0.0.1:${port}`,
  );
  await waitForPort(port);
  return service;
}

let dbCounter = 0;
/** A database name unique to this process and call, so tests never see each other's data. */
export function uniqueName(prefix: string): string {
  dbCounter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${dbCounter}`;
}

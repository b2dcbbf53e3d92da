import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Teardown } from './teardown.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The admin password every benchmarked product starts with (config `auth.adminPassword`). */
const BENCH_ADMIN_PASSWORD = 'bench-admin-password';
/** An API token (scopes read + metrics) per running product, for /metrics and /live clients. */
const tokens = new Map<string, string>();

/** The bearer token of the product at `baseUrl` (made by startProduct); /metrics and /live need one. */
export function tokenFor(baseUrl: string): string {
  const token = tokens.get(baseUrl);
  if (token === undefined) throw new Error(`no API token for ${baseUrl}: start the product with startProduct()`);
  return token;
}

/** Signs in as admin and makes a read + metrics token, as an operator would for Prometheus and a dashboard. */
async function makeToken(baseUrl: string): Promise<string> {
  const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: BENCH_ADMIN_PASSWORD }),
  });
  const cookie = /ioc_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0];
  if (login.status !== 200 || cookie === undefined) throw new Error(`bench sign-in failed: ${login.status}`);
  const created = await fetch(`${baseUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'bench', scopes: ['read', 'metrics'] }),
  });
  if (created.status !== 201) throw new Error(`bench token not created: ${created.status}`);
  return ((await created.json()) as { token: string }).token;
}

/** Event-loop delay percentiles in ms. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The product process's memory in bytes (process.memoryUsage()). */
export interface ProductMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** The product running in a child process. */
export interface ProductProcess {
  port: number;
  baseUrl: string;
  pid: number;
  /** Asks the product to close (flushing its store) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Event-loop delay (ms) inside the product since the previous call (the histogram is reset). */
  loopDelay(): Promise<LoopDelay>;
  /** Its memory now. */
  memory(): Promise<ProductMemory>;
  /** Starts the V8 sampling profiler inside the product. */
  startProfile(): Promise<void>;
  /** Stops it and writes the profile (.cpuprofile JSON, as `node --cpu-prof` writes) to `file`. */
  stopProfile(file: string): Promise<string>;
}

export interface ProductOptions {
  /** Config overrides as in the config file; port 0, 127.0.0.1, no simulator and silent logs are added. */
  overrides: Record<string, unknown>;
  teardown: Teardown;
  /** Directory for the embedded store's file (a temp dir inside it is used and removed). */
  workDir: string;
  startTimeoutMs?: number;
}

/** Starts the product (server/app.ts startIoc) via tsx in a child process and waits until it listens. */
export async function startProduct(options: ProductOptions): Promise<ProductProcess> {
  mkdirSync(options.workDir, { recursive: true });
  const dataDir = mkdtempSync(path.join(options.workDir, 'data-'));
  const overrides = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    simulate: false,
    logLevel: 'silent',
    ...options.overrides,
    auth: { adminPassword: BENCH_ADMIN_PASSWORD, ...(options.overrides.auth as Record<string, unknown> | undefined) },
  };
  const child = fork(path.join(HERE, 'product-child.ts'), [JSON.stringify(overrides)], {
    execArgv: ['--import', 'tsx', ...(process.env.IOC_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const kill = options.teardown.child('product', child);
  const cleanData = options.teardown.add('product data dir', () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the product did not start within ${options.startTimeoutMs ?? 30_000} ms\n${stderr}`)),
      options.startTimeoutMs ?? 30_000,
    );
    child.on('message', (message: { type: string; port?: number; message?: string }) => {
      if (message.type === 'ready' && message.port !== undefined) {
        clearTimeout(timer);
        resolve(message.port);
      } else if (message.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`the product failed to start: ${message.message}\n${stderr}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the product exited with code ${code} while starting\n${stderr}`));
    });
  }).catch(async (err: unknown) => {
    await kill();
    await cleanData();
    throw err;
  });
  const request = <T = unknown>(message: object, reply: string, timeoutMs = 30_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the product did not answer ${reply}`)), timeoutMs);
      const listener = (answer: { type: string; message?: string }) => {
        if (answer.type !== reply && answer.type !== 'error') return;
        clearTimeout(timer);
        child.off('message', listener);
        if (answer.type === 'error') reject(new Error(answer.message));
        else resolve(answer as T);
      };
      child.on('message', listener);
      child.send(message);
    });
  const baseUrl = `http://127.0.0.1:${port}`;
  tokens.set(baseUrl, await makeToken(baseUrl));
  return {
    port,
    baseUrl,
    pid: child.pid ?? -1,
    stop: async () => {
      tokens.delete(baseUrl);
      if (child.connected) child.send({ type: 'stop' });
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(resolve, 20_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await kill();
      await cleanData();
    },
    loopDelay: () => request<LoopDelay>({ type: 'loop-delay' }, 'loop-delay'),
    memory: () => request<ProductMemory>({ type: 'memory' }, 'memory'),
    startProfile: () => request({ type: 'profile-start' }, 'profile-started').then(() => undefined),
    stopProfile: async (file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      await request({ type: 'profile-stop', file }, 'profile-stopped');
      return file;
    },
  };
}

/** Reads counters from the product's Prometheus /metrics: name (labels ignored, summed) → value. */
export async function readMetrics(baseUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000), headers: { authorization: `Bearer ${tokenFor(baseUrl)}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const brace = line.indexOf('{');
    const name = line.slice(0, brace === -1 ? space : brace);
    values.set(name, (values.get(name) ?? 0) + Number(line.slice(space + 1)));
  }
  return values;
}

/** Polls /metrics until `name` reaches `target`; resolves with the wall-clock time it was first seen there and the slowest answer. */
export async function waitForCounter(
  baseUrl: string,
  name: string,
  target: number,
  timeoutMs: number,
  intervalMs = 20,
): Promise<{ at: number; value: number; metrics: Map<string, number>; slowestMs: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = Number.NaN;
  // The longest the product took to answer: a request waits as long as its event loop is blocked.
  let slowestMs = 0;
  for (;;) {
    const asked = performance.now();
    const metrics = await readMetrics(baseUrl);
    slowestMs = Math.max(slowestMs, performance.now() - asked);
    const at = performance.timeOrigin + performance.now();
    last = metrics.get(name) ?? Number.NaN;
    if (last >= target) return { at, value: last, metrics, slowestMs };
    if (Date.now() > deadline) throw new Error(`${name} reached ${last} of ${target} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

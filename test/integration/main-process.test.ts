import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestIoc } from '../support/ioc.js';
import { freePort, waitFor } from '../support/ports.js';
import { signIn, TEST_ADMIN_PASSWORD } from '../support/auth.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function runMain(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, IOC_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

// `npm start`'s entry point as a real process: start, ingest, Ctrl-C, and nothing buffered is lost.
describe('server/main.ts', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('flushes buffered writes on SIGINT and exits 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-main-'));
    dirs.push(dataDir);
    const [port, mqttPort] = [await freePort(), await freePort()];
    const run = runMain({ IOC_PORT: String(port), IOC_MQTT_PORT: String(mqttPort), IOC_DATA_DIR: dataDir, IOC_SIMULATE: '0', IOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
    children.push(run.child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, `readyz (output: ${run.output()})`, 30_000, 100);

    const t0 = Date.now() - 60_000;
    const total = 20_000;
    for (let start = 0; start < total; start += 5000) {
      const batch = Array.from({ length: 5000 }, (_, i) => ({ domain: 'sensor', id: 'flush-1', ts: t0 + start + i, fields: { n: start + i } }));
      const res = await fetch(`${base}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
      expect(res.status).toBe(202);
    }
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);

    const reopened = await startTestIoc({ mqtt: { port: 0 } }, dataDir);
    try {
      const body = (await (
        await reopened.api.fetch(`/api/v1/entities/sensor/flush-1/history?from=${t0}&to=${t0 + total}`)
      ).json()) as { points: unknown[] };
      expect(body.points).toHaveLength(total);
    } finally {
      await reopened.stop();
    }
  });

  it('prints how to sign in on a first start: a generated admin password kept 0600, demo accounts, a wall link', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-main-'));
    dirs.push(dataDir);
    const [port, mqttPort] = [await freePort(), await freePort()];
    const run = runMain({ IOC_PORT: String(port), IOC_MQTT_PORT: String(mqttPort), IOC_DATA_DIR: dataDir, IOC_SIMULATE: '1', IOC_SIMULATE_RATE: '20' });
    children.push(run.child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => run.output().includes('Wall display:'), `the banner (output: ${run.output()})`, 30_000, 100);
    const password = /Sign in as admin with password: (\S+)/.exec(run.output())?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
    const file = path.join(dataDir, 'admin-password.txt');
    expect(readFileSync(file, 'utf8').trim()).toBe(password);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const admin = await signIn(base, 'admin', password);
    expect(((await (await admin.fetch('/api/v1/auth/me')).json()) as { roles: string[] }).roles).toEqual(['admin']);
    // Every demo account named in the banner signs in with the role it is shown with.
    const demo = [...run.output().matchAll(/^ {2}(operator|supervisor|field|analyst) +(\S+) +\((.+)\)$/gm)];
    expect(demo.map((m) => m[1])).toEqual(['operator', 'supervisor', 'field', 'analyst']);
    for (const [, username, pw] of demo) {
      const me = (await (await (await signIn(base, username, pw)).fetch('/api/v1/auth/me')).json()) as { roles: string[]; zones: string[] };
      expect(me.roles).toEqual([username]);
      if (username === 'field') expect(me.zones).toEqual(['bac-giang']);
    }
    const wallToken = /Wall display: \S+\/wall\?token=(\S+)/.exec(run.output())?.[1] ?? '';
    const asWall = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${wallToken}` } });
    expect(((await asWall.json()) as { scopes: string[] }).scopes).toEqual(['display']);
    // The password never reaches the log lines (stderr is JSON lines; the banner is plain stdout).
    expect(run.output().split('\n').filter((line) => line.startsWith('{') && line.includes(password ?? '?'))).toEqual([]);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    // A second start does not print the password again; it names the file.
    const again = runMain({ IOC_PORT: String(port), IOC_MQTT_PORT: String(mqttPort), IOC_DATA_DIR: dataDir, IOC_SIMULATE: '0' });
    children.push(again.child);
    await waitFor(() => again.output().includes('Admin password: see'), `second banner (output: ${again.output()})`, 30_000, 100);
    expect(again.output()).not.toContain(password);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('says how to use a broker already on the MQTT port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const mqttPort = (blocker.address() as net.AddressInfo).port;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-main-'));
    dirs.push(dataDir);
    const run = runMain({ IOC_PORT: String(await freePort()), IOC_MQTT_PORT: String(mqttPort), IOC_DATA_DIR: dataDir });
    children.push(run.child);
    const code = await run.exited;
    blocker.close();
    expect(code).not.toBe(0);
    expect(run.output()).toContain(`MQTT port ${mqttPort} is already in use`);
    expect(run.output()).toContain(`IOC_MQTT_URL=mqtt://localhost:${mqttPort}`);
  });

  it('refuses a bad setting and names it', async () => {
    const run = runMain({ IOC_PORT: 'eighty' });
    children.push(run.child);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('IOC_PORT="eighty" is not an integer');
  });
});

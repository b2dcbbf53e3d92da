import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';

const run = promisify(execFile);
const INSTALL_HINT = 'Install it with: apt-get update && apt-get install -y postgresql';
const ROOT = '/usr/lib/postgresql';

/** A PostgreSQL server started for a test; `stop()` is idempotent. */
export interface RunningPostgres {
  /** postgres://ioc@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The bin directory of the newest installed Debian PostgreSQL (`/usr/lib/postgresql/<version>/bin`). */
function binDir(): string {
  const versions = existsSync(ROOT)
    ? readdirSync(ROOT)
        .filter((v) => existsSync(path.join(ROOT, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`PostgreSQL is not installed (no ${ROOT}/*/bin/pg_ctl). ${INSTALL_HINT}`);
  return path.join(ROOT, versions[0]!, 'bin');
}

/** uid and gid of the `postgres` account, which the Debian package creates. */
function postgresAccount(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) throw new Error(`no postgres user in /etc/passwd. ${INSTALL_HINT}`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs a PostgreSQL binary. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user (through su); as anyone else it runs directly.
 */
async function pgCommand(binary: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? 'su' : binary;
  const argv = asRoot ? ['postgres', '-s', '/bin/sh', '-c', [binary, ...args].map(quote).join(' ')] : args;
  try {
    await run(command, argv, { timeout: 60_000 });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(binary)} failed: ${(err as Error).message}\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}

/** Reads the postmaster's PID, to stop it even if the test process exits without `stop()`. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts Debian's PostgreSQL on a free port in a temp dir (trust auth, user `ioc`, fsync off). */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-pg-'));
  const dataDir = path.join(dir, 'data');
  if (process.getuid?.() === 0) {
    const { uid, gid } = postgresAccount();
    chownSync(dir, uid, gid);
  }
  await pgCommand(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'ioc', '-E', 'UTF8', '--locale=C', '--no-sync']);

  let port = 0;
  let lastError: unknown;
  // Another process may take the free port between choosing it and binding it: try a few.
  for (let attempt = 0; attempt < 3 && port === 0; attempt++) {
    const candidate = await freePort();
    const options = `-p ${candidate} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    try {
      await pgCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']);
      port = candidate;
    } catch (err) {
      lastError = err;
    }
  }
  if (port === 0) {
    const log = existsSync(path.join(dir, 'log')) ? readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(lastError as Error).message}\n${log}`);
  }

  // If the test process dies without stop(), do not leave a server behind: fast shutdown by PID.
  const onExit = () => {
    const pid = postmasterPid(dataDir);
    if (pid) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onExit);

  const url = `postgres://ioc@127.0.0.1:${port}/postgres`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://ioc@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stopped ??= (async () => {
        process.removeListener('exit', onExit);
        try {
          await pgCommand(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Role } from '../../contract/index.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../config/logger.js';
import type { StateStore, StoredUser } from '../state/types.js';
import { hashPassword, newTokenSecret, randomPassword, sha256Hex } from './secrets.js';

/** What the start banner tells a newcomer about signing in. */
export interface SignInBanner {
  /** The generated admin password, on the start that created it (printed once). */
  generatedAdminPassword?: string;
  /** Where a generated admin password is kept until it is changed. */
  adminPasswordFile?: string;
  /** Demo accounts (simulator on): username, password, what they show. */
  demo: { username: string; password: string; role: string }[];
  /** Wall display link with a display token (simulator on). */
  wallUrl?: string;
}

export const ADMIN_PASSWORD_FILE = 'admin-password.txt';
const DEMO_FILE = 'demo-accounts.json';

function user(username: string, displayName: string, roles: Role[], zones: string[], passwordHash: string, now: number): StoredUser {
  return { username, displayName, roles, zones, disabled: false, source: 'local', passwordHash, createdAt: now, updatedAt: now };
}

/** Removes the kept admin password once the admin has chosen their own. */
export function forgetGeneratedAdminPassword(dataDir: string): void {
  rmSync(path.join(dataDir, ADMIN_PASSWORD_FILE), { force: true });
}

/**
 * First start: creates `admin` (password from config, or generated and kept 0600 in the data dir);
 * with demo accounts on, an operator, a field user for the first zone, an analyst and a display
 * token, their passwords kept in the data dir for the banner.
 */
export async function bootstrapAccounts(deps: { config: Config; state: StateStore; publicUrl: string; logger: Logger; clock?: () => number }): Promise<SignInBanner> {
  const { config, state, logger } = deps;
  const now = (deps.clock ?? Date.now)();
  const banner: SignInBanner = { demo: [] };
  const adminFile = path.join(config.dataDir, ADMIN_PASSWORD_FILE);

  if ((await state.getUser('admin')) === undefined && (await state.countUsers()) === 0) {
    const given = config.auth.adminPassword;
    const password = given ?? randomPassword();
    try {
      await state.createUser(user('admin', 'Administrator', ['admin'], [], await hashPassword(password), now));
      if (given === undefined) {
        writeFileSync(adminFile, password + '\n', { mode: 0o600 });
        banner.generatedAdminPassword = password;
      }
      logger.info('created the admin user', { passwordFrom: given === undefined ? 'generated' : 'IOC_ADMIN_PASSWORD' });
    } catch (err) {
      // Another node created it first (shared PostgreSQL): nothing to do.
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }
  if (existsSync(adminFile)) banner.adminPasswordFile = adminFile;

  const demoOn = config.auth.demoAccounts ?? config.simulate ?? false;
  if (!demoOn) return banner;
  const demoFile = path.join(config.dataDir, DEMO_FILE);
  if (existsSync(demoFile)) {
    const kept = JSON.parse(readFileSync(demoFile, 'utf8')) as Pick<SignInBanner, 'demo' | 'wallUrl'>;
    return { ...banner, demo: kept.demo, ...(kept.wallUrl ? { wallUrl: kept.wallUrl } : {}) };
  }
  const zone = config.map.zones[0]?.id ?? 'city';
  const accounts: { username: string; displayName: string; roles: Role[]; zones: string[]; role: string }[] = [
    { username: 'operator', displayName: 'Demo operator', roles: ['operator'], zones: [], role: 'operator' },
    { username: 'supervisor', displayName: 'Demo supervisor', roles: ['supervisor'], zones: [], role: 'supervisor' },
    { username: 'field', displayName: `Demo field team (${zone})`, roles: ['field'], zones: [zone], role: `field, zone ${zone}` },
    { username: 'analyst', displayName: 'Demo analyst', roles: ['analyst'], zones: [], role: 'analyst' },
  ];
  for (const account of accounts) {
    if (await state.getUser(account.username)) continue;
    const password = randomPassword();
    try {
      await state.createUser(user(account.username, account.displayName, account.roles, account.zones, await hashPassword(password), now));
      banner.demo.push({ username: account.username, password, role: account.role });
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
  }
  const secret = newTokenSecret();
  await state.createToken({ id: randomUUID(), name: 'demo wall display', scopes: ['display'], hash: sha256Hex(secret), createdAt: now, createdBy: 'system' });
  banner.wallUrl = `${deps.publicUrl}/wall?token=${secret}`;
  writeFileSync(demoFile, JSON.stringify({ demo: banner.demo, wallUrl: banner.wallUrl }, null, 2), { mode: 0o600 });
  return banner;
}

/** The banner text for stdout (never the logger: log lines are shipped elsewhere). */
export function renderBanner(url: string, banner: SignInBanner): string {
  const lines = [`IOC console: ${url}`];
  if (banner.generatedAdminPassword !== undefined) {
    lines.push(`Sign in as admin with password: ${banner.generatedAdminPassword}`);
    lines.push(`(shown once; kept in ${banner.adminPasswordFile ?? ADMIN_PASSWORD_FILE} until you change it)`);
  } else if (banner.adminPasswordFile !== undefined) {
    lines.push(`Admin password: see ${banner.adminPasswordFile} (deleted when you change it).`);
  }
  if (banner.demo.length > 0) {
    lines.push('Demo accounts:');
    for (const account of banner.demo) lines.push(`  ${account.username.padEnd(11)} ${account.password}   (${account.role})`);
  }
  if (banner.wallUrl !== undefined) lines.push(`Wall display: ${banner.wallUrl}`);
  return lines.join('\n');
}

import type { Alert } from '../../contract/alert.js';
import type { Me } from '../../contract/identity.js';
import type { Report, ReportCategoryInfo } from '../../contract/field.js';

/*
 * What the app keeps on the phone to start without a connection: who signed in last and the last
 * list they saw (without citizens' contact details). The server still decides everything once it is
 * reachable: a 401 then goes back to the login page and the queued actions wait for the same user.
 */
const ME_KEY = 'ioc.field.me';
const LIST_KEY = 'ioc.field.list';
const CATEGORIES_KEY = 'ioc.field.categories';
const ZONES_KEY = 'ioc.field.zones';

function read<T>(key: string): T | null {
  try {
    const text = window.localStorage.getItem(key);
    return text === null ? null : (JSON.parse(text) as T);
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the app still works online.
  }
}

/** Remembers who signed in (or forgets when null, on sign-out). */
export function rememberMe(me: Me | null): void {
  if (me === null) {
    try {
      window.localStorage.removeItem(ME_KEY);
      window.localStorage.removeItem(LIST_KEY);
    } catch {
      // Storage disabled: nothing was kept.
    }
  } else {
    write(ME_KEY, me);
  }
}

/** Who signed in last on this phone, for a start without a connection. */
export function lastMe(): Me | null {
  return read<Me>(ME_KEY);
}

/** The last list loaded by `username`. */
export function lastList(username: string): { alerts: Alert[]; reports: Report[]; at: number } | null {
  const list = read<{ username: string; alerts: Alert[]; reports: Report[]; at: number }>(LIST_KEY);
  return list?.username === username ? list : null;
}

/** Keeps the list just loaded; contacts are left out (personal data stays on the server). */
export function keepList(username: string, alerts: Alert[], reports: Report[]): void {
  write(LIST_KEY, { username, alerts, reports: reports.map(({ contact: _contact, ...rest }) => rest), at: Date.now() });
}

/** Report categories as last loaded (public data: their names in both languages). */
export function lastCategories(): ReportCategoryInfo[] {
  return read<ReportCategoryInfo[]>(CATEGORIES_KEY) ?? [];
}

/** Keeps the categories just loaded. */
export function keepCategories(categories: ReportCategoryInfo[]): void {
  write(CATEGORIES_KEY, categories);
}

/** Zone names as last loaded. */
export function lastZoneNames(): Map<string, { vi: string; en: string }> {
  return new Map(read<[string, { vi: string; en: string }][]>(ZONES_KEY) ?? []);
}

/** Keeps the zone names just loaded (none when the configuration could not be read). */
export function keepZoneNames(names: Map<string, { vi: string; en: string }>): void {
  if (names.size > 0) write(ZONES_KEY, [...names]);
}

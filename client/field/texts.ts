import { getLocale } from '../i18n/i18n.js';
import { interpolate, type Locale } from '../i18n/messages.js';

/** A page's own message tables: Vietnamese first, English with exactly the same keys. */
export type MessageTables<K extends string> = Record<Locale, Record<K, string>>;

/** A translator over a page's own tables, following the language chosen through client/i18n. */
export function translatorFor<K extends string>(
  tables: MessageTables<K>,
): (key: K, params?: Record<string, string | number>) => string {
  return (key, params) => interpolate(tables[getLocale()][key], params);
}

/** Intl tags for the two languages. */
export const LOCALE_TAGS: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };

/** Date and time in Vietnam time, e.g. "14:05 01/12/2026" (the city runs on UTC+7 whatever the phone says). */
export function formatWhen(ms: number, locale: Locale): string {
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale], {
    timeZone: 'Asia/Ho_Chi_Minh',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(ms);
}

/** A duration in whole minutes, hours or days, e.g. "3 giờ" / "3 h". */
export function formatSpan(ms: number, locale: Locale): string {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60_000));
  const vi = locale === 'vi';
  if (minutes < 60) return vi ? `${minutes} phút` : `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return vi ? `${hours} giờ` : `${hours} h`;
  const days = Math.round(hours / 24);
  return vi ? `${days} ngày` : `${days} d`;
}

/** Time of day in Vietnam time, e.g. "14:05". */
export function formatClock(ms: number, locale: Locale): string {
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale], {
    timeZone: 'Asia/Ho_Chi_Minh',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

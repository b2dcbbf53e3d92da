import type { Bilingual } from '../../contract/wall.js';
import { CITY_TIME_ZONE, formatNumber } from '../i18n/format.js';
import { t, tOr } from '../i18n/i18n.js';
import type { Locale } from '../i18n/messages.js';

const LOCALE_TAGS: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };
const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** "14:05" (or "14:05:09" with seconds) in the city's time zone. */
export function formatClock(ms: number, locale: Locale, seconds = false): string {
  const key = `${locale}:${seconds}`;
  let format = clockFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE_TAGS[locale], {
      timeZone: CITY_TIME_ZONE,
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    clockFormats.set(key, format);
  }
  return format.format(ms);
}

/** The text of a two-language field in the wall's language. */
export function pick(text: Bilingual, locale: Locale): string {
  return text[locale];
}

/** A board figure: whole numbers from 10 up, one decimal below, as the locale writes them. */
export function formatFigure(value: number, locale: Locale): string {
  return formatNumber(value, locale, Math.abs(value) >= 10 ? 0 : 1);
}

/** A value with its unit: "82 %", "35 km/h", "12" for a plain count. */
export function withUnit(value: string, unit: string): string {
  if (unit === '') return value;
  return unit.startsWith('%') || unit.startsWith('/') ? `${value}${unit}` : `${value} ${unit}`;
}

/** A detected object's label in the wall's language, or the detector's own word. */
export function cameraLabel(label: string): string {
  const key = `wall.label.${label}`;
  return tOr(key, label);
}

/** A domain's name: the config's label, the wall's own word for a built-in domain, else the wire name. */
export function domainName(domain: string, label: Bilingual | undefined, locale: Locale): string {
  if (label) return label[locale];
  const key = `wall.domain.${domain}`;
  return tOr(key, domain);
}

/** A lag in ms as people read it: "850 ms", "3,2 giây". */
export function formatLag(ms: number, locale: Locale): string {
  if (ms < 1000) return `${formatNumber(ms, locale, 0)} ${t('wall.unit.ms')}`;
  return `${formatNumber(ms / 1000, locale, 1)} ${t('wall.unit.s')}`;
}

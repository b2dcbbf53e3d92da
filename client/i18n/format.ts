import { interpolate, MESSAGES, vi, type Locale, type MessageKey } from './messages.js';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** The IOC runs on Vietnam time whatever the browser's zone is. */
export const CITY_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const LOCALE_TAGS: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };

interface FieldFormat {
  digits: number;
  unit?: string;
  unitKey?: MessageKey;
}

const FIELD_FORMATS: Record<string, FieldFormat> = {
  pm25: { digits: 1, unit: 'µg/m³' },
  pm10: { digits: 1, unit: 'µg/m³' },
  aqi: { digits: 0 },
  temp: { digits: 1, unit: '°C' },
  humidity: { digits: 0, unit: '%' },
  noise: { digits: 1, unit: 'dBA' },
  level: { digits: 2, unit: 'm' },
  rain: { digits: 1, unit: 'mm/h' },
  flow: { digits: 1, unitKey: 'unit.vehPerMin' },
  speed: { digits: 0, unit: 'km/h' },
  occupancy: { digits: 0, unit: '%' },
  heading: { digits: 0, unit: '°' },
  passengers: { digits: 0, unitKey: 'unit.people' },
  bedsFree: { digits: 0, unitKey: 'unit.beds' },
  bedsTotal: { digits: 0, unitKey: 'unit.beds' },
  erWait: { digits: 0, unitKey: 'unit.min' },
  waiting: { digits: 0, unitKey: 'unit.people' },
  avgWait: { digits: 1, unitKey: 'unit.min' },
  countersOpen: { digits: 0 },
};

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: Locale, digits: number): Intl.NumberFormat {
  const cacheKey = `${locale}:${digits}`;
  let format = numberFormats.get(cacheKey);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE_TAGS[locale], { maximumFractionDigits: digits });
    numberFormats.set(cacheKey, format);
  }
  return format;
}

/** A translator bound to one locale (the UI uses the live one from i18n.ts; tests use this). */
export function translator(locale: Locale): Translate {
  return (key, params) => interpolate(MESSAGES[locale][key], params);
}

/** True when the message table has this key (field and value names come from the wire as plain strings). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(vi, key);
}

/** The display name of a field: translated when known, else the wire name. */
export function fieldLabel(field: string, tr: Translate): string {
  const key = `field.${field}`;
  return isMessageKey(key) ? tr(key) : field;
}

/** The unit of a field in the active language, or '' when it has none. */
export function fieldUnit(field: string, tr: Translate): string {
  const format = FIELD_FORMATS[field];
  if (!format) return '';
  return format.unitKey ? tr(format.unitKey) : (format.unit ?? '');
}

/** A number in the locale's notation with the field's usual precision. */
export function formatNumber(value: number, locale: Locale, digits = 1): string {
  return numberFormat(locale, digits).format(value);
}

/** A field value with its unit, e.g. "42,5 µg/m³" in Vietnamese or "42.5 µg/m³" in English. */
export function formatField(
  field: string,
  value: number | boolean | string | null,
  locale: Locale,
  tr: Translate,
): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return tr(value ? 'value.yes' : 'value.no');
  if (typeof value === 'string') {
    const key = `value.${value}`;
    return isMessageKey(key) ? tr(key) : value;
  }
  const format = FIELD_FORMATS[field];
  const text = formatNumber(value, locale, format?.digits ?? 2);
  const unit = fieldUnit(field, tr);
  return unit ? `${text} ${unit}` : text;
}

/** "12 s ago" / "5 phút trước": how long ago a timestamp was, coarsened for reading at a glance. */
export function formatAgo(ageMs: number, tr: Translate): string {
  const seconds = Math.max(0, Math.round(ageMs / 1000));
  if (seconds < 3) return tr('time.justNow');
  if (seconds < 60) return tr('time.secondsAgo', { n: seconds });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return tr('time.minutesAgo', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return tr('time.hoursAgo', { n: hours });
  return tr('time.daysAgo', { n: Math.floor(hours / 24) });
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock time in the city's zone: "14:05:09", with the date when `withDate`. */
export function formatCityTime(ms: number, locale: Locale, withDate = false): string {
  const cacheKey = `${locale}:${withDate}`;
  let format = timeFormats.get(cacheKey);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE_TAGS[locale], {
      timeZone: CITY_TIME_ZONE,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      ...(withDate ? { day: '2-digit', month: '2-digit', year: 'numeric' } : {}),
    });
    timeFormats.set(cacheKey, format);
  }
  return format.format(ms);
}

/** The date line under the clock: weekday, day and month in the city's zone. */
export function formatCityDate(ms: number, locale: Locale): string {
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale], {
    timeZone: CITY_TIME_ZONE,
    weekday: 'short',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(ms);
}

/** Vietnam has kept UTC+7 without daylight saving since 1975. */
const CITY_OFFSET = '+07:00';
const CITY_OFFSET_MS = 7 * 3_600_000;

/** A `datetime-local` value read as Vietnam time ("2026-03-01T08:30" → ms), or null when empty or invalid. */
export function parseCityDateTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return null;
  const ms = Date.parse(`${text.length === 16 ? `${text}:00` : text}${CITY_OFFSET}`);
  return Number.isNaN(ms) ? null : ms;
}

/** The `datetime-local` value showing `ms` in Vietnam time, to the minute. */
export function cityDateTimeInput(ms: number): string {
  return new Date(ms + CITY_OFFSET_MS).toISOString().slice(0, 16);
}

import { useSyncExternalStore } from 'react';
import { interpolate, LOCALES, MESSAGES, type Locale, type MessageKey } from './messages.js';

const STORAGE_KEY = 'ioc.locale';
const listeners = new Set<() => void>();

function readStored(): Locale {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if ((LOCALES as readonly string[]).includes(stored ?? '')) return stored as Locale;
  } catch {
    // Storage can be disabled (privacy mode); the default language still works.
  }
  return 'vi';
}

let current: Locale = readStored();
document.documentElement.lang = current;

/** The active language. */
export function getLocale(): Locale {
  return current;
}

/** Switches the language, persists it and updates `<html lang>`; subscribers re-render. */
export function setLocale(locale: Locale): void {
  if (locale === current) return;
  current = locale;
  document.documentElement.lang = locale;
  try {
    window.localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    // Not persisted when storage is unavailable; the switch still applies to this page.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Translates a key in the active language, filling `{placeholders}` from params. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return interpolate(MESSAGES[current][key], params);
}

/** `key` translated when the table has it, else `fallback` (groups, labels and kinds come from the wire as plain strings). */
export function tOr(key: string, fallback: string): string {
  return Object.hasOwn(MESSAGES[current], key) ? t(key as MessageKey) : fallback;
}

/** React hook: re-renders the component when the language changes and returns it. */
export function useLocale(): Locale {
  return useSyncExternalStore(subscribe, getLocale);
}

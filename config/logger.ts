import { pino, type Logger as PinoLogger } from 'pino';

/** Levels in increasing severity; `silent` turns logging off. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The one logger interface of the product: every module receives one from the composition root
 * and modules that only warn take `Pick<Logger, 'warn' | 'error'>`.
 */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Keys whose values never reach a log line, at the top level and one object down
 * (`{ headers: { cookie } }`, `{ user: { password } }`).
 */
const SECRET_KEYS = ['password', 'token', 'secret', 'clientSecret', 'cookie', 'authorization', 'adminPassword', 'sessionSecret', 'apiKey'];
const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)];

/** `scheme://user:secret@host` → `scheme://user:***@host`: broker and store URLs carry passwords. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

export function redactUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1***@');
}

function scrubStrings(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrlPasswords(value) : value;
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubStrings(item, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = scrubStrings(item, depth - 1);
  return out;
}

function wrap(base: PinoLogger): Logger {
  return {
    debug: (message, extra) => base.debug(extra ?? {}, redactUrlPasswords(message)),
    info: (message, extra) => base.info(extra ?? {}, redactUrlPasswords(message)),
    warn: (message, extra) => base.warn(extra ?? {}, redactUrlPasswords(message)),
    error: (message, extra) => base.error(extra ?? {}, redactUrlPasswords(message)),
    child: (bindings) => wrap(base.child(bindings)),
  };
}

/**
 * JSON lines on stderr (synchronous, so the last lines before a crash are kept; logging is off the
 * hot path) through pino (one object per line, any log collector reads them), with
 * secrets redacted by key and passwords cut out of URLs wherever they appear in a value.
 */
export function createLogger(
  level: LogLevel = 'info',
  bindings: Record<string, unknown> = {},
  destination: { write(line: string): void } = pino.destination({ fd: 2, sync: true }),
): Logger {
  const base = pino(
    {
      level,
      base: bindings,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubStrings(object, 3) as Record<string, unknown>,
      },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
  return wrap(base);
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger('silent');

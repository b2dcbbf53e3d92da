import { silentLogger, type Logger } from '../../config/logger.js';

/** The part of the product's one logger (config/logger.ts) the stores use. */
export type StoreLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

/** A logger that drops everything: the default when the caller passes none. */
export const quietLogger: StoreLogger = silentLogger;

/** The message of anything thrown, for logs and `stats().lastError`. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

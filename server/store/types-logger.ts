/** The part of a logger the stores use; config/logger.ts's Logger satisfies it. */
export interface StoreLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

const ignore = (): void => undefined;

/** A logger that drops everything: the default when the caller passes none. */
export const quietLogger: StoreLogger = { info: ignore, warn: ignore, error: ignore };

/** The message of anything thrown, for logs and `stats().lastError`. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/** The part of the server logger (config/logger.ts) the alerts module uses. */
export interface AlertsLogger {
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Writes warnings and errors as JSON lines on stderr when no logger is given. */
export const stderrLogger: AlertsLogger = {
  warn: (message, extra) => process.stderr.write(JSON.stringify({ level: 'warn', msg: message, ...extra }) + '\n'),
  error: (message, extra) => process.stderr.write(JSON.stringify({ level: 'error', msg: message, ...extra }) + '\n'),
};

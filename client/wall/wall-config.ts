import type { ConsoleConfig } from '../../contract/api.js';
import { call } from '../live/http.js';
import { nextBackoff } from './backoff.js';

const CONFIG_TIMEOUT_MS = 8_000;

/** `GET /console-config` once. */
export function fetchConsoleConfig(): Promise<ConsoleConfig> {
  return call<ConsoleConfig>('GET', '/console-config', { timeoutMs: CONFIG_TIMEOUT_MS });
}

/**
 * Loads the configuration, retrying with backoff until the server answers: a wall that starts while
 * its server is down (or reloads into a restart) waits for it instead of showing a built-in city.
 */
export async function loadWallConfig(
  signal: AbortSignal,
  onFailure: (attempt: number) => void,
): Promise<ConsoleConfig> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchConsoleConfig();
    } catch {
      if (signal.aborted) throw new Error('wall stopped');
      onFailure(attempt);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, nextBackoff(attempt));
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (signal.aborted) throw new Error('wall stopped');
    }
  }
}

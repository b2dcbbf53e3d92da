import { MAX_REPLAY_WINDOW_MS } from '../../../contract/replay.js';

/** What can be wrong with a chosen window (message keys). */
export type WindowProblem =
  | 'replay.window.invalid'
  | 'replay.window.badOrder'
  | 'replay.window.tooLong'
  | 'replay.window.future'
  | 'replay.window.beforeRetention';

/** Why a chosen window cannot be replayed, or null when it can. */
export function windowProblem(
  from: number | null,
  to: number | null,
  now: number,
  keptFor?: number,
): WindowProblem | null {
  if (from === null || to === null) return 'replay.window.invalid';
  if (to <= from) return 'replay.window.badOrder';
  if (to - from > MAX_REPLAY_WINDOW_MS) return 'replay.window.tooLong';
  if (from >= now) return 'replay.window.future';
  // Nothing is kept before the retention limit: a window there would replay an empty city.
  if (keptFor !== undefined && from < now - keptFor) return 'replay.window.beforeRetention';
  return null;
}

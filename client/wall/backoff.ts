/** First retry delay after a failure, ms. */
const BASE_MS = 1_000;
/** Retries never wait longer than this, ms: a wall comes back within a minute of its server. */
const MAX_MS = 30_000;

/**
 * How long to wait before retry number `attempt` (0 for the first): doubling from 1 s up to 30 s, with
 * ±20 % jitter so a room of walls does not knock on a restarted server all at once.
 */
export function nextBackoff(attempt: number, random: () => number = Math.random): number {
  const plain = Math.min(MAX_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(plain * (0.8 + 0.4 * random()));
}

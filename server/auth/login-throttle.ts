import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';

/*
 * Failed-login throttling with rate-limiter-flexible (its documented brute-force pattern): a
 * counter per username+address and a looser one per address. Counters live in this process; with
 * several nodes an attacker's budget is at most multiplied by the node count, which the per-user
 * limit keeps small (docs/SECURITY.md).
 */

export interface LoginThrottle {
  /** ms until this username+address may try again, or 0 when it may try now. */
  blockedFor(username: string, ip: string): Promise<number>;
  /** Counts a failure; returns ms until the next try is allowed when this failure used up the budget, else 0. */
  failed(username: string, ip: string): Promise<number>;
  /** A successful login forgets that username+address's failures. */
  succeeded(username: string, ip: string): Promise<void>;
}

export function createLoginThrottle(options: { maxFailures: number; windowMs: number }): LoginThrottle {
  const seconds = Math.max(1, Math.ceil(options.windowMs / 1000));
  const byUserAndIp = new RateLimiterMemory({ keyPrefix: 'login_user_ip', points: options.maxFailures, duration: seconds, blockDuration: seconds });
  const byIp = new RateLimiterMemory({ keyPrefix: 'login_ip', points: options.maxFailures * 5, duration: seconds, blockDuration: seconds });
  const userKey = (username: string, ip: string) => `${username.toLowerCase()}_${ip}`;

  const remainingBlock = (res: RateLimiterRes | null, points: number) =>
    res !== null && res.consumedPoints >= points ? Math.max(1, res.msBeforeNext) : 0;

  return {
    async blockedFor(username, ip) {
      const [user, address] = await Promise.all([byUserAndIp.get(userKey(username, ip)), byIp.get(ip)]);
      return Math.max(remainingBlock(user, options.maxFailures), remainingBlock(address, options.maxFailures * 5));
    },
    async failed(username, ip) {
      const results = await Promise.allSettled([byUserAndIp.consume(userKey(username, ip)), byIp.consume(ip)]);
      let wait = 0;
      for (const result of results) {
        // consume() rejects with a RateLimiterRes once the budget is gone.
        const res = (result.status === 'fulfilled' ? result.value : result.reason) as RateLimiterRes;
        if (res.remainingPoints <= 0) wait = Math.max(wait, res.msBeforeNext);
      }
      return wait;
    },
    async succeeded(username, ip) {
      await byUserAndIp.delete(userKey(username, ip));
    },
  };
}

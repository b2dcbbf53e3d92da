import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { clientIp } from '../auth/request.js';
import { HttpError } from '../http/errors.js';

/*
 * The public report routes, limited per caller address (rate-limiter-flexible, counters in this
 * process: with several nodes the budget is per node). Every attempt counts, valid or not: a
 * refused upload costs the server as much as an accepted one.
 */

/** Lookups of tracking codes and ratings per address and minute: enough for people, slow for guessing codes. */
export const LOOKUPS_PER_MINUTE = 60;

/** A middleware answering 429 with Retry-After (seconds) once an address used up any of `limiters`. */
export function limitPerAddress(name: string, limits: { points: number; seconds: number }[]): RequestHandler {
  const limiters = limits.map(
    (l, i) => new RateLimiterMemory({ keyPrefix: `${name}_${i}`, points: l.points, duration: l.seconds }),
  );
  return (req, res, next) => {
    const ip = clientIp(req);
    Promise.allSettled(limiters.map((limiter) => limiter.consume(ip))).then(
      (results) => {
        let waitMs = 0;
        for (const result of results) {
          // consume() rejects with a RateLimiterRes once the budget is gone (an Error when the store fails).
          if (result.status === 'rejected' && result.reason instanceof RateLimiterRes)
            waitMs = Math.max(waitMs, result.reason.msBeforeNext);
          else if (result.status === 'rejected') return next(result.reason);
        }
        if (waitMs === 0) return next();
        const seconds = Math.max(1, Math.ceil(waitMs / 1000));
        res.setHeader('Retry-After', String(seconds));
        next(
          new HttpError(429, 'too_many_requests', `Too many requests from this address; try again in ${seconds} s.`),
        );
      },
      (err: unknown) => next(err),
    );
  };
}

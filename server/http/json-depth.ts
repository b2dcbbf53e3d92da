import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './errors.js';

import { jsonTextNestsDeeper, MAX_JSON_DEPTH } from '../../ingest/formats/json-depth.js';

export { MAX_JSON_DEPTH };

/**
 * express.json's `verify` hook: refuses a body nested too deep before it is parsed (parsing 200 000 nested
 * brackets alone holds the event loop for a tenth of a second).
 */
export function refuseDeepJsonText(_req: unknown, _res: unknown, buf: Buffer): void {
  if (jsonTextNestsDeeper(buf)) throw new HttpError(400, 'bad_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`);
}

/** How deep a parsed JSON value nests, walking without recursion and stopping once past `limit`. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/**
 * Refuses a JSON body nested deeper than MAX_JSON_DEPTH before any schema walks it: schemas of
 * recursive shapes (rule conditions) would otherwise recurse until the stack overflows.
 */
export function limitJsonDepth(req: Request, _res: Response, next: NextFunction): void {
  if (req.body !== undefined && jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
    next(new HttpError(400, 'bad_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`));
    return;
  }
  next();
}

import type { Response } from 'express';
import type { ByteSink } from './format.js';

/** Thrown into the export loop when the client went away mid-download. */
export class ExportAbortedError extends Error {
  override readonly name = 'ExportAbortedError';
  constructor() {
    super('the client closed the connection');
  }
}

/**
 * Writes to the response and honours backpressure: when `res.write` returns false the next write
 * waits for `drain`; a closed connection rejects with ExportAbortedError so the scan stops.
 */
export function responseSink(res: Response, signal: AbortSignal): ByteSink {
  return {
    write(chunk) {
      if (signal.aborted) return Promise.reject(new ExportAbortedError());
      if (res.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          res.off('drain', onDrain);
          signal.removeEventListener('abort', onAbort);
        };
        const onDrain = () => {
          done();
          resolve();
        };
        const onAbort = () => {
          done();
          reject(new ExportAbortedError());
        };
        res.on('drain', onDrain);
        signal.addEventListener('abort', onAbort);
      });
    },
  };
}

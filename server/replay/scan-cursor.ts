import type { Observation } from '../../contract/index.js';

/**
 * Reads a time-ordered, chunked scan lazily: each `readUntil(ts)` hands out the observations up
 * to `ts` and keeps the rest of the chunk for the next call, so one scan serves every frame and
 * at most one chunk is held at a time.
 */
export class ScanCursor {
  private readonly iterator: AsyncIterator<Observation[]>;
  private chunk: Observation[] = [];
  private index = 0;
  private done = false;

  constructor(source: AsyncIterable<Observation[]>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Calls `visit` with each observation up to `until` (inclusive) not handed out yet, oldest first. */
  async readUntil(until: number, visit: (observation: Observation) => void): Promise<void> {
    for (;;) {
      if (this.index >= this.chunk.length) {
        if (this.done) return;
        const next = await this.iterator.next();
        if (next.done) {
          this.done = true;
          return;
        }
        this.chunk = next.value;
        this.index = 0;
        continue;
      }
      const observation = this.chunk[this.index]!;
      if (observation.ts > until) return;
      this.index++;
      visit(observation);
    }
  }

  /** Ends the scan early (the reader left); a no-op once it is exhausted. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.chunk = [];
    await this.iterator.return?.();
  }
}

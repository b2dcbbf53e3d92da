import type { ReplayFirstFrame, ReplayFrame, ReplayState } from '../../../contract/replay.js';
import type { EntityStore } from '../../state/entity-store.js';

/** A `/replay/frames` line: the full state first, then changes. */
export type ReplayLine = ReplayFirstFrame | ReplayFrame;

/** Whether a line is the full state the stream starts with. */
export function isFullState(line: ReplayLine): line is ReplayFirstFrame {
  return 'entities' in line;
}

/**
 * Puts a full past state into a store. The store's server clock is set to the past moment, so an
 * entity is drawn stale exactly when it was stale then.
 */
export function applyState(store: EntityStore, state: Pick<ReplayState, 'at' | 'entities'>, now: number): void {
  store.applySnapshot({ ts: state.at, entities: state.entities }, now);
}

/** Applies one change line: removes, then upserts (vehicles glide), with the store's clock moved to `ts`. */
export function applyFrame(
  store: EntityStore,
  frame: Pick<ReplayFrame, 'ts' | 'upserts' | 'removes'>,
  now: number,
): void {
  store.serverOffset = frame.ts - now;
  for (const key of frame.removes) store.remove(key);
  for (const entity of frame.upserts) store.upsert(entity, now, true);
  store.lastUpdate = now;
}

/** Splits NDJSON text as it streams in: complete lines out, the unfinished tail kept for the next chunk. */
export function createLineSplitter(): { push(text: string): string[]; end(): string[] } {
  let rest = '';
  return {
    push(text) {
      rest += text;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      return lines.filter((line) => line.trim() !== '');
    },
    end() {
      const last = rest.trim();
      rest = '';
      return last === '' ? [] : [last];
    },
  };
}

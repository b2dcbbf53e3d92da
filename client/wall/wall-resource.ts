import { ApiFailure, call } from '../live/http.js';
import { observable, type ReadonlyObservable } from '../state/observable.js';
import { nextBackoff } from './backoff.js';

/** Why the last request failed: the server unreachable or refusing us, or the route not served (an older server). */
export type ResourceFailure = 'lost' | 'missing' | 'forbidden';

/** What a scene shows: the last good answer (kept through failures) and whether the latest request failed. */
export interface ResourceState<T> {
  data: T | null;
  /** Wall-clock ms of the last good answer, 0 before the first. */
  at: number;
  failure: ResourceFailure | null;
}

export interface Resource<T> {
  state: ReadonlyObservable<ResourceState<T>>;
  /** Asks again now (a scene comes on screen), unless a request is already out. */
  refresh(): void;
  stop(): void;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Network loss, 401 and 5xx mean "connection lost"; 404 a server without this route; 403 a token without the permission. */
export function classifyFailure(err: unknown): ResourceFailure {
  if (!(err instanceof ApiFailure)) return 'lost';
  if (err.status === 404) return 'missing';
  if (err.status === 403) return 'forbidden';
  return 'lost';
}

/**
 * Polls one GET route every `everyMs`, forever: after a failure it retries with backoff (never later
 * than `everyMs`) and keeps the last good answer on screen.
 */
export function pollResource<T>(path: () => string, everyMs: number): Resource<T> {
  const state = observable<ResourceState<T>>({ data: null, at: 0, failure: null });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;
  let failures = 0;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => void load(), delayMs);
  };

  const load = async () => {
    if (inFlight || stopped) return;
    inFlight = true;
    try {
      const data = await call<T>('GET', path(), { timeoutMs: REQUEST_TIMEOUT_MS });
      if (stopped) return;
      failures = 0;
      state.set({ data, at: Date.now(), failure: null });
      schedule(everyMs);
    } catch (err) {
      if (stopped) return;
      state.update((previous) => ({ ...previous, failure: classifyFailure(err) }));
      schedule(Math.min(everyMs, nextBackoff(failures++)));
    } finally {
      inFlight = false;
    }
  };

  void load();
  return {
    state,
    refresh: () => void load(),
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

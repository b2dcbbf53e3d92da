import type { ReplayAlerts, ReplayState } from '../../../contract/replay.js';
import { call, request } from '../../live/http.js';
import { createLineSplitter, type ReplayLine } from './replay-frames.js';
import type { ReplayScope } from './replay-scope.js';

/** Degrees kept in a bbox parameter (about 1 m). */
const BBOX_DIGITS = 5;

/** Adds `layers` and `bbox` of a scope to a query. */
function setScope(query: URLSearchParams, scope: ReplayScope): void {
  if (scope.layers.length > 0) query.set('layers', scope.layers.join(','));
  if (scope.bbox !== null) query.set('bbox', scope.bbox.map((deg) => deg.toFixed(BBOX_DIGITS)).join(','));
}

/** The city as it was at `at` (`GET /replay/state`), within a scope. */
export function fetchReplayState(at: number, scope: ReplayScope, signal?: AbortSignal): Promise<ReplayState> {
  const query = new URLSearchParams({ at: String(Math.round(at)) });
  setScope(query, scope);
  return call<ReplayState>('GET', `/replay/state?${query.toString()}`, signal ? { signal } : {});
}

/** Alert lifecycle events in a window, for the density track (`GET /replay/alerts`). */
export function fetchReplayAlerts(from: number, to: number, signal?: AbortSignal): Promise<ReplayAlerts> {
  const query = new URLSearchParams({ from: String(Math.round(from)), to: String(Math.round(to)) });
  return call<ReplayAlerts>('GET', `/replay/alerts?${query.toString()}`, signal ? { signal } : {});
}

/** Streams `/replay/frames` and hands each parsed line to `onLine` as it arrives; resolves at the end. */
export async function streamReplayFrames(
  params: { from: number; to: number; step: string; scope: ReplayScope },
  onLine: (line: ReplayLine) => void,
  signal: AbortSignal,
): Promise<void> {
  const query = new URLSearchParams({
    from: String(Math.round(params.from)),
    to: String(Math.round(params.to)),
    step: params.step,
  });
  setScope(query, params.scope);
  const response = await request('GET', `/replay/frames?${query.toString()}`, { signal, timeoutMs: null });
  const splitter = createLineSplitter();
  const emit = (lines: string[]) => {
    for (const line of lines) onLine(JSON.parse(line) as ReplayLine);
  };
  if (!response.body) {
    emit(splitter.push(await response.text()));
  } else {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      emit(splitter.push(value));
    }
  }
  emit(splitter.end());
}

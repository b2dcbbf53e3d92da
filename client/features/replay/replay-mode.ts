import { staleAfterIn } from '../../../contract/domain-defaults.js';
import type { ConsoleConfig } from '../../../contract/api.js';
import type { Observable } from '../../state/observable.js';
import { startReplay, type ReplayController } from './replay-controller.js';
import { currentScope, followScope } from './replay-scope.js';
import { formatReplayUrl, parseReplayUrl, type ReplayUrlState } from './replay-url.js';

const HOUR_MS = 3_600_000;

/** The parts of the console runtime (client/app/runtime.ts) that replay mode uses. */
export interface ReplayHost {
  config: ConsoleConfig;
  /** The replay being shown instead of live, or null. */
  replay: Observable<ReplayController | null>;
}
/** The window a new replay shows: the last 24 h, the playhead an hour back. */
export const DEFAULT_WINDOW_MS = 24 * HOUR_MS;

/** Writes the replay moment into the address (or removes it), without a new history entry. */
export function writeReplayUrl(state: ReplayUrlState | null): void {
  const search = formatReplayUrl(window.location.search, state);
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}${window.location.hash}`);
}

/** The moment the address asks for, if any. */
export function replayFromUrl(): ReplayUrlState | null {
  return parseReplayUrl(window.location.search);
}

/** The default moment: the last 24 h, an hour before now. */
export function defaultReplayMoment(now: number = Date.now()): ReplayUrlState {
  const to = Math.floor(now / 1000) * 1000;
  return { from: to - DEFAULT_WINDOW_MS, to, at: to - HOUR_MS };
}

/** Switches the console to the past: a replay store replaces the live one on the map, the URL follows. */
export function enterReplay(runtime: ReplayHost, start: ReplayUrlState): void {
  runtime.replay.get()?.stop();
  const configured = Object.keys(runtime.config.domains);
  const domains = configured.length > 0 ? configured : ['sensor', 'traffic', 'health', 'queue'];
  const first = currentScope(domains, null);
  const scope = first.layers.length > 0 ? first : { ...first, layers: domains };
  let unfollow = () => {};
  const controller = startReplay(start, {
    scope,
    store: { staleAfter: staleAfterIn(runtime.config.domains) },
    onMoment: writeReplayUrl,
    onStop: () => unfollow(),
  });
  // The replay follows the layer toggles and the map area until it stops.
  unfollow = followScope(domains, scope, (next) => controller.setScope(next));
  writeReplayUrl(start);
  runtime.replay.set(controller);
}

/** Back to live: the replay stops, the live store is drawn again and the URL forgets the moment. */
export function leaveReplay(runtime: ReplayHost): void {
  runtime.replay.get()?.stop();
  runtime.replay.set(null);
  writeReplayUrl(null);
}

import type { ReplayAlertEvent } from '../../../contract/replay.js';
import { failureText } from '../../session/failure-text.js';
import { t } from '../../i18n/i18n.js';
import { EntityStore, type EntityStoreOptions } from '../../state/entity-store.js';
import { observable, type Observable } from '../../state/observable.js';
import { AlertBook } from '../alerts/alert-book.js';
import { fetchReplayAlerts, fetchReplayState, streamReplayFrames } from './replay-api.js';
import { applyFrame, applyState, isFullState, type ReplayLine } from './replay-frames.js';
import { sameScope, type ReplayScope } from './replay-scope.js';
import { CHUNK_FRAMES, playbackPlan, stepParam, type ReplaySpeed } from './replay-speed.js';
import type { ReplayUrlState } from './replay-url.js';

/** Wait after the last playhead move before asking for the state there (a drag sends many moves). */
const SEEK_DEBOUNCE_MS = 250;

/** What the time bar shows. */
export interface ReplayView extends ReplayUrlState {
  playing: boolean;
  speed: ReplaySpeed;
  /** A state or frames request is in flight. */
  loading: boolean;
  /** The last failure, said for the operator; null when fine. */
  error: string | null;
}

export interface ReplayControllerOptions {
  /** What to replay at first: the domains of the shown layers and the map area. */
  scope: ReplayScope;
  store?: EntityStoreOptions;
  /** Called whenever the window or playhead moves (the URL follows). */
  onMoment?: (moment: ReplayUrlState) => void;
  /** Called once when the replay stops (the scope follower lets go). */
  onStop?: () => void;
  clock?: () => number;
}

/** The replay side of the console: its own entity store and alert book, fed by the replay API only. */
export interface ReplayController {
  store: EntityStore;
  book: AlertBook;
  /** Bumped when the book changes. */
  alertsVersion: Observable<number>;
  view: Observable<ReplayView>;
  /** Alert events of the window, for the density track. */
  events: Observable<readonly ReplayAlertEvent[]>;
  /** Moves the playhead (pauses playback); the state there is fetched after a short debounce. */
  seek(at: number): void;
  /** Shows another window; the playhead is kept inside it. */
  setWindow(from: number, to: number): void;
  /** Asks for other layers or another map area: the state at the playhead again, or playback restarted there. */
  setScope(scope: ReplayScope): void;
  play(): void;
  pause(): void;
  setSpeed(speed: ReplaySpeed): void;
  stop(): void;
}

/** Starts a replay at `start`: fetches the state at the playhead and the window's alert events. */
export function startReplay(start: ReplayUrlState, options: ReplayControllerOptions): ReplayController {
  const clock = options.clock ?? (() => performance.now());
  const store = new EntityStore(options.store);
  const book = new AlertBook();
  const alertsVersion = observable(0);
  const view = observable<ReplayView>({ ...start, playing: false, speed: 60, loading: false, error: null });
  const events = observable<readonly ReplayAlertEvent[]>([]);
  let seekTimer: ReturnType<typeof setTimeout> | undefined;
  let frameTimer: ReturnType<typeof setInterval> | undefined;
  let requests = new AbortController();
  let eventsRequest = new AbortController();
  let stopped = false;
  let scope = options.scope;

  const patch = (change: Partial<ReplayView>) => {
    const before = view.get();
    const next = { ...before, ...change };
    view.set(next);
    if (next.from !== before.from || next.to !== before.to || next.at !== before.at) {
      options.onMoment?.({ from: next.from, to: next.to, at: next.at });
    }
  };
  const fail = (err: unknown) => {
    if (stopped) return;
    patch({ loading: false, error: failureText(err, t) });
  };
  const bookChanged = () => alertsVersion.set(book.version);

  const cancelRequests = () => {
    requests.abort();
    requests = new AbortController();
  };

  const loadState = (at: number) => {
    cancelRequests();
    const signal = requests.signal;
    patch({ loading: true });
    fetchReplayState(at, scope, signal).then(
      (state) => {
        if (signal.aborted) return;
        applyState(store, state, clock());
        book.reset(state.alerts);
        bookChanged();
        patch({ loading: false, error: null });
      },
      (err: unknown) => {
        if (!signal.aborted) fail(err);
      },
    );
  };

  const loadEvents = (from: number, to: number) => {
    eventsRequest.abort();
    eventsRequest = new AbortController();
    const signal = eventsRequest.signal;
    fetchReplayAlerts(from, to, signal).then(
      (answer) => {
        if (!signal.aborted) events.set(answer.events);
      },
      (err: unknown) => {
        if (!signal.aborted) fail(err);
      },
    );
  };

  const pause = () => {
    if (frameTimer !== undefined) clearInterval(frameTimer);
    frameTimer = undefined;
    cancelRequests();
    if (view.get().playing) patch({ playing: false, loading: false });
  };

  const applyLine = (line: ReplayLine) => {
    const now = clock();
    if (isFullState(line)) {
      applyState(store, line, now);
      book.reset(line.alerts);
    } else {
      applyFrame(store, line, now);
      for (const alert of line.alerts) book.apply(alert);
    }
    bookChanged();
    patch({ at: line.ts, loading: false, error: null });
  };

  const play = () => {
    if (view.get().playing || stopped) return;
    if (seekTimer !== undefined) clearTimeout(seekTimer);
    cancelRequests();
    const { speed, to } = view.get();
    const plan = playbackPlan(speed);
    // At the end of the window, play from its start.
    let nextFrom = view.get().at >= to - plan.stepMs ? view.get().from : view.get().at;
    const queue: ReplayLine[] = [];
    let fetching = false;
    const signal = requests.signal;

    const fetchChunk = (first: boolean) => {
      fetching = true;
      const from = nextFrom;
      const chunkTo = Math.min(to, from + plan.chunkMs);
      nextFrom = chunkTo;
      const step = stepParam(plan.stepMs);
      streamReplayFrames(
        { from, to: chunkTo, step, scope },
        (line) => {
          // A later chunk starts with the state its predecessor already ended on.
          if (signal.aborted || (!first && isFullState(line))) return;
          queue.push(line);
        },
        signal,
      ).then(
        () => {
          fetching = false;
        },
        (err: unknown) => {
          fetching = false;
          if (!signal.aborted) {
            pause();
            fail(err);
          }
        },
      );
    };

    const tick = () => {
      const line = queue.shift();
      if (line === undefined) {
        if (!fetching && nextFrom >= to) pause();
        return;
      }
      applyLine(line);
      if (!fetching && nextFrom < to && queue.length < CHUNK_FRAMES / 2) fetchChunk(false);
    };

    patch({ playing: true, loading: true, error: null });
    if (nextFrom !== view.get().at) patch({ at: nextFrom });
    fetchChunk(true);
    frameTimer = setInterval(tick, plan.intervalMs);
  };

  const seek = (at: number) => {
    pause();
    const { from, to } = view.get();
    const clamped = Math.min(to, Math.max(from, Math.round(at)));
    patch({ at: clamped });
    if (seekTimer !== undefined) clearTimeout(seekTimer);
    seekTimer = setTimeout(() => loadState(clamped), SEEK_DEBOUNCE_MS);
  };

  loadState(start.at);
  loadEvents(start.from, start.to);

  return {
    store,
    book,
    alertsVersion,
    view,
    events,
    seek,
    setWindow(from, to) {
      pause();
      const at = Math.min(to, Math.max(from, view.get().at));
      patch({ from, to, at });
      loadEvents(from, to);
      loadState(at);
    },
    setScope(next) {
      if (sameScope(next, scope) || stopped) return;
      scope = next;
      if (view.get().playing) {
        pause();
        play();
      } else {
        if (seekTimer !== undefined) clearTimeout(seekTimer);
        loadState(view.get().at);
      }
    },
    play,
    pause,
    setSpeed(speed) {
      const wasPlaying = view.get().playing;
      pause();
      patch({ speed });
      if (wasPlaying) play();
    },
    stop() {
      if (!stopped) options.onStop?.();
      stopped = true;
      pause();
      if (seekTimer !== undefined) clearTimeout(seekTimer);
      eventsRequest.abort();
    },
  };
}

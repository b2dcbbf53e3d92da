import { observable, type ReadonlyObservable } from '../state/observable.js';

/** Where the rotation is: which scene, since when, and how much of its time is left when paused. */
export interface RotationState {
  index: number;
  /** Clock ms when the current scene's time started running (moved forward by pauses). */
  startedAt: number;
  durationMs: number;
  /** Set while something else (a critical alert) holds the screen: the scene's remaining ms. */
  pausedRemainingMs: number | null;
}

export interface Rotation {
  state: ReadonlyObservable<RotationState>;
  /** Holds the current scene's clock (the rest of its time is kept). */
  pause(): void;
  /** Runs the current scene's remaining time, then moves on. */
  resume(): void;
  stop(): void;
}

/** Shows scene 0, 1, … each for its own duration, and starts over after the last. */
export function startRotation(durations: readonly number[], clock: () => number = () => performance.now()): Rotation {
  if (durations.length === 0) throw new Error('a rotation needs at least one scene');
  const durationOf = (index: number) => durations[index] ?? durations[0] ?? 30_000;
  const state = observable<RotationState>({
    index: 0,
    startedAt: clock(),
    durationMs: durationOf(0),
    pausedRemainingMs: null,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;

  const arm = (delayMs: number) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(advance, Math.max(0, delayMs));
  };
  function advance(): void {
    const index = (state.get().index + 1) % durations.length;
    const durationMs = durationOf(index);
    state.set({ index, startedAt: clock(), durationMs, pausedRemainingMs: null });
    arm(durationMs);
  }

  arm(durationOf(0));
  return {
    state,
    pause() {
      const current = state.get();
      if (current.pausedRemainingMs !== null) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const remaining = Math.max(0, current.durationMs - (clock() - current.startedAt));
      state.set({ ...current, pausedRemainingMs: remaining });
    },
    resume() {
      const current = state.get();
      if (current.pausedRemainingMs === null) return;
      const remaining = current.pausedRemainingMs;
      state.set({
        ...current,
        startedAt: clock() - (current.durationMs - remaining),
        pausedRemainingMs: null,
      });
      arm(remaining);
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

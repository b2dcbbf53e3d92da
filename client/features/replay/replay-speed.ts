/** The playback speeds offered (1× is real time). */
export const REPLAY_SPEEDS = [1, 10, 60, 600, 3600] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];

/** Real time (ms) between two applied frames at every speed: a steady, readable pace. */
export const FRAME_INTERVAL_MS = 500;
/** Frames asked for per `/replay/frames` request (one minute of real time). */
export const CHUNK_FRAMES = 120;

/** How playback at a speed walks through the past. */
export interface PlaybackPlan {
  /** Past time (ms) each frame covers, a whole number of seconds. */
  stepMs: number;
  /** Real time (ms) between applied frames. */
  intervalMs: number;
  /** Past time (ms) one request covers. */
  chunkMs: number;
}

/** The step and timer for a speed: each frame covers `speed × interval` of the past. */
export function playbackPlan(speed: number): PlaybackPlan {
  const stepMs = Math.max(1000, Math.round((speed * FRAME_INTERVAL_MS) / 1000) * 1000);
  const intervalMs = Math.max(50, Math.round(stepMs / speed));
  return { stepMs, intervalMs, chunkMs: stepMs * CHUNK_FRAMES };
}

/** The step string `/replay/frames` takes (a duration such as "30s"). */
export function stepParam(stepMs: number): string {
  return stepMs % 1000 === 0 ? `${stepMs / 1000}s` : `${stepMs}ms`;
}

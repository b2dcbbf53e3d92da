import { describe, expect, it } from 'vitest';
import { MAX_REPLAY_STEPS } from '../../../contract/replay.js';
import {
  CHUNK_FRAMES,
  FRAME_INTERVAL_MS,
  REPLAY_SPEEDS,
  playbackPlan,
  stepParam,
} from '../../../client/features/replay/replay-speed.js';

describe('replay speed → step and interval', () => {
  it('covers speed × interval of the past per frame, in whole seconds', () => {
    expect(playbackPlan(1)).toEqual({ stepMs: 1000, intervalMs: 1000, chunkMs: 1000 * CHUNK_FRAMES });
    expect(playbackPlan(10)).toMatchObject({ stepMs: 5000, intervalMs: FRAME_INTERVAL_MS });
    expect(playbackPlan(60)).toMatchObject({ stepMs: 30_000, intervalMs: FRAME_INTERVAL_MS });
    expect(playbackPlan(600)).toMatchObject({ stepMs: 300_000, intervalMs: FRAME_INTERVAL_MS });
    expect(playbackPlan(3600)).toMatchObject({ stepMs: 1_800_000, intervalMs: FRAME_INTERVAL_MS });
  });

  it('plays every offered speed at that speed, within the server limits', () => {
    for (const speed of REPLAY_SPEEDS) {
      const plan = playbackPlan(speed);
      expect(plan.stepMs / plan.intervalMs).toBe(speed);
      expect(plan.chunkMs / plan.stepMs).toBeLessThanOrEqual(MAX_REPLAY_STEPS);
      expect(plan.chunkMs).toBeLessThanOrEqual(31 * 86_400_000);
    }
  });

  it('writes steps as durations the API reads', () => {
    expect(stepParam(1000)).toBe('1s');
    expect(stepParam(300_000)).toBe('300s');
    expect(stepParam(1500)).toBe('1500ms');
  });
});

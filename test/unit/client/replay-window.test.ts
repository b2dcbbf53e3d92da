import { describe, expect, it } from 'vitest';
import { windowProblem } from '../../../client/features/replay/window-problem.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;

describe('the replay window a person may pick', () => {
  it('accepts a window inside what the store keeps, and names what is wrong otherwise', () => {
    const kept = 400 * DAY;
    expect(windowProblem(NOW - 10 * DAY, NOW - 9 * DAY, NOW, kept)).toBeNull();
    expect(windowProblem(NOW - 399 * DAY, NOW - 398 * DAY, NOW, kept)).toBeNull();
    expect(windowProblem(NOW - 401 * DAY, NOW - 398 * DAY, NOW, kept)).toBe('replay.window.beforeRetention');
    expect(windowProblem(NOW - 2 * DAY, NOW - 3 * DAY, NOW, kept)).toBe('replay.window.badOrder');
    expect(windowProblem(NOW - 40 * DAY, NOW, NOW, kept)).toBe('replay.window.tooLong');
    expect(windowProblem(NOW + DAY, NOW + 2 * DAY, NOW, kept)).toBe('replay.window.future');
    expect(windowProblem(null, NOW, NOW, kept)).toBe('replay.window.invalid');
  });

  it('reaches back without limit when the server keeps everything', () => {
    expect(windowProblem(NOW - 3000 * DAY, NOW - 2999 * DAY, NOW)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { formatReplayUrl, parseReplayUrl } from '../../../client/features/replay/replay-url.js';

describe('replay URL state', () => {
  it('round-trips window and playhead, keeping other keys', () => {
    const search = formatReplayUrl('?lang=en', { from: 1000, to: 90_000, at: 45_000 });
    expect(search).toBe('?lang=en&replay=1000,90000&at=45000');
    expect(parseReplayUrl(search)).toEqual({ from: 1000, to: 90_000, at: 45_000 });
  });

  it('removes only the replay keys when leaving', () => {
    expect(formatReplayUrl('?lang=en&replay=1,2&at=2', null)).toBe('?lang=en');
    expect(formatReplayUrl('?replay=1,2&at=2', null)).toBe('');
  });

  it('reads an encoded comma and clamps the playhead into the window', () => {
    expect(parseReplayUrl('?replay=1000%2C2000&at=5000')).toEqual({ from: 1000, to: 2000, at: 2000 });
    expect(parseReplayUrl('?replay=1000,2000')).toEqual({ from: 1000, to: 2000, at: 2000 });
  });

  it('ignores what it cannot read', () => {
    expect(parseReplayUrl('')).toBeNull();
    expect(parseReplayUrl('?replay=abc')).toBeNull();
    expect(parseReplayUrl('?replay=2000,1000')).toBeNull();
    expect(parseReplayUrl('?replay=1000,2000&at=soon')).toBeNull();
  });
});

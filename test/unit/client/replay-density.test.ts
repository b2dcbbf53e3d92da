import { describe, expect, it } from 'vitest';
import { densityBuckets, densityMax } from '../../../client/features/replay/replay-density.js';

describe('alert density buckets', () => {
  it('counts fires and escalations per equal slice, with the worst severity', () => {
    const buckets = densityBuckets(
      [
        { at: 0, action: 'fire', severity: 'info' },
        { at: 10, action: 'fire', severity: 'critical' },
        { at: 24, action: 'ack', severity: 'critical' },
        { at: 30, action: 'escalate', severity: 'warning' },
        { at: 99, action: 'fire', severity: 'warning' },
        { at: 100, action: 'fire', severity: 'critical' },
        { at: -1, action: 'fire', severity: 'critical' },
      ],
      0,
      100,
      4,
    );
    expect(buckets.map((b) => b.from)).toEqual([0, 25, 50, 75]);
    expect(buckets.map((b) => b.count)).toEqual([2, 1, 0, 1]);
    expect(buckets.map((b) => b.worst)).toEqual(['critical', 'warning', null, 'warning']);
    expect(densityMax(buckets)).toBe(2);
  });

  it('gives empty bars for an empty window and a max of at least 1', () => {
    const buckets = densityBuckets([], 0, 100, 3);
    expect(buckets).toHaveLength(3);
    expect(densityMax(buckets)).toBe(1);
  });
});

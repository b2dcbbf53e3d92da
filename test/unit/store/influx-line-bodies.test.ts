import { describe, expect, it } from 'vitest';
import { lineBodies } from '../../../server/store/influx-line.js';

describe('lineBodies', () => {
  it('joins lines into bodies of at most maxLines lines', () => {
    const lines = Array.from({ length: 12 }, (_, k) => `m,alert=a${k} v=${k} ${k}`);
    const bodies = [...lineBodies(lines, 5, 1_000_000)];
    expect(bodies.map((b) => b.split('\n').length)).toEqual([5, 5, 2]);
    expect(bodies.join('\n')).toBe(lines.join('\n'));
  });

  it('starts a new body before one would pass maxChars, and gives an oversized line a body of its own', () => {
    const bodies = [...lineBodies(['a'.repeat(4), 'b'.repeat(4), 'c'.repeat(20), 'd'], 100, 10)];
    expect(bodies).toEqual(['aaaa\nbbbb', 'c'.repeat(20), 'd']);
  });

  it('yields nothing for no lines', () => {
    expect([...lineBodies([], 5, 100)]).toEqual([]);
  });
});

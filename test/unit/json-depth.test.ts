import { describe, expect, it } from 'vitest';
import { jsonTextNestsDeeper } from '../../ingest/formats/json-depth.js';

describe('JSON nesting bound on the text', () => {
  it('counts brackets of both kinds, as text or bytes', () => {
    expect(jsonTextNestsDeeper('[[[1]]]', 3)).toBe(false);
    expect(jsonTextNestsDeeper('[[[[1]]]]', 3)).toBe(true);
    expect(jsonTextNestsDeeper(Buffer.from('{"a":{"b":[{}]}}'), 3)).toBe(true);
    expect(jsonTextNestsDeeper(Buffer.from('{"a":{"b":[]}}'), 3)).toBe(false);
    // Siblings do not add up.
    expect(jsonTextNestsDeeper('[[1],[2],[3],[4]]', 2)).toBe(false);
    // A view into a larger buffer (as MQTT payloads are) is read from its own offset only.
    const shared = Buffer.from('[[[[[[ [[{}]] ]]]]]]');
    expect(jsonTextNestsDeeper(shared.subarray(7, 13), 3)).toBe(false);
    expect(jsonTextNestsDeeper(shared.subarray(7, 13), 2)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonTextNestsDeeper('{"name":"[[[[[[[[","note":"\\\\"}', 1)).toBe(false);
    expect(jsonTextNestsDeeper('["a \\" [[[[["]', 1)).toBe(false);
    expect(jsonTextNestsDeeper('["a \\" [[[[[", [[]]]', 2)).toBe(true);
  });
});

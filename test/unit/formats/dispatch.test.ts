import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodePayload, detectFormat } from '../../../ingest/formats/index.js';

const NOW = 1_704_067_200_000;

describe('detectFormat', () => {
  it('reads an object as JSON and, on a per-entity topic, an array as SenML', () => {
    expect(detectFormat('  {"a":1}', { domain: 'sensor', id: 'S1' })).toBe('json');
    expect(detectFormat('\n[{"n":"a","v":1}]', { domain: 'sensor', id: 'S1' })).toBe('senml');
    expect(detectFormat('[{"fields":{}}]', { domain: 'sensor', id: 'S1' })).toBe('senml');
  });

  it('on a domain topic tells SenML arrays from observation arrays, and reads the rest as line protocol', () => {
    expect(detectFormat('[{"bn":"S1:","n":"a","v":1}]', { domain: 'sensor' })).toBe('senml');
    expect(detectFormat('[{"id":"S1","fields":{"a":1}}]', { domain: 'sensor' })).toBe('json');
    expect(detectFormat('[]', { domain: 'sensor' })).toBe('json');
    expect(detectFormat('[{"n":', { domain: 'sensor' })).toBe('json');
    expect(detectFormat('{"id":"S1","fields":{}}', { domain: 'sensor' })).toBe('json');
    expect(detectFormat('sensor,id=S1 a=1', { domain: 'sensor' })).toBe('line');
    expect(detectFormat(Buffer.from('# comment\nsensor,id=S1 a=1'), { domain: 'sensor' })).toBe('line');
  });

  it('on a per-entity topic reads anything else as JSON so the sender gets the parser reason', () => {
    expect(detectFormat('sensor,id=S1 a=1', { domain: 'sensor', id: 'S1' })).toBe('json');
  });
});

describe('decodePayload', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('decodes a Buffer of flat JSON on a per-entity topic', () => {
    expect(decodePayload(Buffer.from('{"pm25":3}'), 'auto', { domain: 'sensor', id: 'S1' })).toEqual({
      items: [{ index: 0, value: { domain: 'sensor', id: 'S1', fields: { pm25: 3 } } }],
      errors: [],
    });
  });

  it('decodes SenML with relative times against the current clock', () => {
    const pack = '[{"n":"pm25","v":3,"t":-30}]';
    expect(decodePayload(pack, 'auto', { domain: 'sensor', id: 'S1' }).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', ts: NOW - 30_000, fields: { pm25: 3 } } },
    ]);
    expect(decodePayload('[{"n":"S2/a","v":1,"t":-1}]', 'senml', { domain: 'sensor' }).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S2', ts: NOW - 1_000, fields: { a: 1 } } },
    ]);
  });

  it('decodes SenML and observation arrays on a domain topic, each parsed once', () => {
    const parse = vi.spyOn(JSON, 'parse');
    expect(decodePayload('[{"bn":"S1:","n":"a","v":1}]', 'auto', { domain: 'sensor' }).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', fields: { a: 1 } } },
    ]);
    expect(decodePayload('[{"id":"S1","fields":{"a":1}}]', 'auto', { domain: 'sensor' }).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', fields: { a: 1 } } },
    ]);
    expect(parse).toHaveBeenCalledTimes(2);
    parse.mockRestore();
  });

  it('decodes line protocol on a domain topic and over HTTP', () => {
    expect(decodePayload('sensor,id=S1 a=1i', 'auto', { domain: 'sensor' }).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', fields: { a: 1 }, integers: { a: '1' } } },
    ]);
    expect(decodePayload('health,id=H1 beds=3i 1700000000', 'line', {}).items).toEqual([
      {
        index: 0,
        value: { domain: 'health', id: 'H1', ts: 1_700_000_000_000, fields: { beds: 3 }, integers: { beds: '3' } },
      },
    ]);
  });

  it('honours an explicit format over the payload shape', () => {
    expect(decodePayload('{"id":"S1","fields":{"a":1}}', 'line', { domain: 'sensor' }).errors).toHaveLength(1);
    expect(decodePayload('sensor,id=S1 a=1', 'json', {}).errors[0]?.error).toMatch(/^malformed JSON: /);
    expect(decodePayload('[{"id":"S1","fields":{"a":1}}]', 'json', {}).items).toHaveLength(1);
  });

  it('reports malformed JSON once at index 0 in auto mode', () => {
    for (const ctx of [{ domain: 'sensor' }, { domain: 'sensor', id: 'S1' }]) {
      const result = decodePayload('[{"n":"a",', 'auto', ctx);
      expect(result.items).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]?.index).toBe(0);
      expect(result.errors[0]?.error).toMatch(/^malformed JSON: /);
    }
    expect(decodePayload('not json', 'auto', { domain: 'sensor', id: 'S1' }).errors[0]?.error).toMatch(
      /^malformed JSON/,
    );
  });

  it('rejects an empty or blank payload whatever the format', () => {
    for (const format of ['auto', 'json', 'senml', 'line'] as const) {
      expect(decodePayload(' \r\n', format, { domain: 'sensor' })).toEqual({
        items: [],
        errors: [
          {
            index: 0,
            error: 'empty payload: expected a JSON object, a JSON array (observations or SenML) or line protocol',
          },
        ],
      });
    }
    expect(decodePayload(Buffer.alloc(0), 'auto', { domain: 'sensor', id: 'S1' }).errors).toHaveLength(1);
  });

  it('skips a UTF-8 byte order mark', () => {
    const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"pm25":3}')]);
    expect(decodePayload(payload, 'auto', { domain: 'sensor', id: 'S1' }).items).toHaveLength(1);
  });
});

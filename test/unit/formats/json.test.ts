import { describe, expect, it } from 'vitest';
import { decodeJson } from '../../../ingest/formats/json.js';
import type { DecodeContext } from '../../../ingest/formats/types.js';

const entityTopic: DecodeContext = { domain: 'sensor', id: 'S1' };
const domainTopic: DecodeContext = { domain: 'sensor' };

describe('JSON on city/<domain>/<id>', () => {
  it('turns every top-level scalar except the reserved keys into a field', () => {
    const payload =
      '{"ts":"2024-01-01T00:00:00Z","lat":21.27,"lon":106.19,"tags":{"district":"n"},"pm25":12,"ok":true,"state":"on"}';
    expect(decodeJson(payload, entityTopic)).toEqual({
      items: [
        {
          index: 0,
          value: {
            domain: 'sensor',
            id: 'S1',
            ts: '2024-01-01T00:00:00Z',
            lat: 21.27,
            lon: 106.19,
            tags: { district: 'n' },
            fields: { pm25: 12, ok: true, state: 'on' },
          },
        },
      ],
      errors: [],
    });
  });

  it('names every non-scalar key in one error', () => {
    expect(decodeJson('{"pm25":1,"nested":{"a":1},"list":[1],"gone":null}', entityTopic)).toEqual({
      items: [],
      errors: [
        {
          index: 0,
          error:
            "'nested' is an object, 'list' is an array, 'gone' is null: every key except ts, lat, lon and tags is a field and must be a number, boolean or string",
        },
      ],
    });
  });

  it('accepts a matching id or domain in the flat shape and rejects a different one', () => {
    expect(decodeJson('{"id":"S1","domain":"sensor","a":1}', entityTopic).items[0]?.value).toEqual({
      domain: 'sensor',
      id: 'S1',
      fields: { a: 1 },
    });
    expect(decodeJson('{"id":"S2","a":1}', entityTopic).errors).toEqual([
      { index: 0, error: "id 'S2' differs from 'S1' given by the topic" },
    ]);
  });

  it('accepts the observation shape and fills domain and id from the topic', () => {
    expect(decodeJson('{"fields":{"pm25":3},"ts":5}', entityTopic).items).toEqual([
      { index: 0, value: { fields: { pm25: 3 }, ts: 5, domain: 'sensor', id: 'S1' } },
    ]);
  });

  it('rejects an observation whose domain or id differs from the topic', () => {
    expect(decodeJson('{"domain":"traffic","fields":{"a":1}}', entityTopic).errors).toEqual([
      { index: 0, error: "domain 'traffic' differs from 'sensor' given by the topic" },
    ]);
    expect(decodeJson('{"id":7,"fields":{"a":1}}', entityTopic).errors).toEqual([
      { index: 0, error: "id 7 differs from 'S1' given by the topic" },
    ]);
  });

  it('passes wrong value types through for the schema to report', () => {
    expect(decodeJson('{"lat":"north","a":1}', entityTopic).items[0]?.value).toEqual({
      domain: 'sensor',
      id: 'S1',
      lat: 'north',
      fields: { a: 1 },
    });
  });
});

describe('JSON on city/<domain> and HTTP', () => {
  it('decodes an array of observations, each with its array index', () => {
    const payload = JSON.stringify([
      { id: 'S1', fields: { a: 1 } },
      { id: 'S2', domain: 'sensor', fields: { a: 2 }, ts: 10 },
    ]);
    expect(decodeJson(payload, domainTopic)).toEqual({
      items: [
        { index: 0, value: { id: 'S1', fields: { a: 1 }, domain: 'sensor' } },
        { index: 1, value: { id: 'S2', domain: 'sensor', fields: { a: 2 }, ts: 10 } },
      ],
      errors: [],
    });
  });

  it('keeps good elements beside bad ones', () => {
    const payload = JSON.stringify([
      { id: 'S1', fields: { a: 1 } },
      42,
      { id: 'S3', a: 1 },
      { domain: 'health', id: 'H', fields: {} },
    ]);
    const result = decodeJson(payload, domainTopic);
    expect(result.items.map((item) => item.index)).toEqual([0]);
    expect(result.errors).toEqual([
      { index: 1, error: "expected an observation object with 'id' and a 'fields' object, got a number" },
      {
        index: 2,
        error:
          "expected an observation object with 'id' and a 'fields' object (domain, ts, lat, lon and tags are optional)",
      },
      { index: 3, error: "domain 'health' differs from 'sensor' given by the topic" },
    ]);
  });

  it('decodes a single observation object; without a domain from the transport it keeps its own', () => {
    expect(decodeJson('{"domain":"queue","id":"Q1","fields":{"waiting":4}}', {}).items).toEqual([
      { index: 0, value: { domain: 'queue', id: 'Q1', fields: { waiting: 4 } } },
    ]);
  });

  it('leaves a missing id for the schema to report', () => {
    expect(decodeJson('{"fields":{"a":1}}', domainTopic).items).toEqual([
      { index: 0, value: { fields: { a: 1 }, domain: 'sensor', id: undefined } },
    ]);
  });

  it('reports malformed JSON once, at index 0, with the parser reason', () => {
    const result = decodeJson('[{"id":"S1",', domainTopic);
    expect(result.items).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.index).toBe(0);
    expect(result.errors[0]?.error).toMatch(/^malformed JSON: .+/);
  });

  it('rejects JSON that is neither an object nor an array', () => {
    for (const [payload, kind] of [
      ['42', 'a number'],
      ['"x"', 'a string'],
      ['null', 'null'],
      ['true', 'a boolean'],
    ]) {
      expect(decodeJson(payload ?? '', domainTopic).errors).toEqual([
        { index: 0, error: `expected a JSON object or an array of objects, got ${kind}` },
      ]);
    }
  });

  it('cannot carry NaN or Infinity: those are malformed JSON', () => {
    expect(decodeJson('{"id":"S1","fields":{"a":NaN}}', domainTopic).errors[0]?.error).toMatch(/^malformed JSON/);
    expect(decodeJson('{"id":"S1","fields":{"a":Infinity}}', domainTopic).errors[0]?.error).toMatch(/^malformed JSON/);
  });
});

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
            ts: 1_704_067_200_000,
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

describe('JSON: RFC 3339 timestamps as senders write them', () => {
  const at = Date.UTC(2024, 5, 1, 12, 0, 0);
  const tsOf = (ts: string) => {
    const result = decodeJson(JSON.stringify({ ts, pm25: 1 }), entityTopic);
    expect(result.errors).toEqual([]);
    return (result.items[0]?.value as { ts: unknown }).ts;
  };
  const errorOf = (ts: string) => decodeJson(JSON.stringify({ ts, pm25: 1 }), entityTopic).errors[0]?.error;

  it.each([
    ['2024-06-01T12:00:00Z', at],
    ['2024-06-01t12:00:00z', at],
    ['2024-06-01 12:00:00Z', at],
    ['2024-06-01T19:00:00+07:00', at],
    ['2024-06-01T11:30:00-00:30', at],
    ['2024-06-01T12:00:00-00:00', at],
    ['2024-06-01T12:00:00.5Z', at + 500],
    ['2024-06-01T12:00:00.123456789Z', at + 123],
    ['2024-06-01T12:00:00.999999999+00:00', at + 999],
    ['2024-06-02T00:00:00+12:00', at],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['1969-12-31T23:59:59.999Z', -1],
  ])('reads %s', (ts, ms) => {
    expect(tsOf(ts)).toBe(ms);
  });

  it.each([
    ['2024-06-01', "ts '2024-06-01' has a date but no time"],
    ['2024-06-01T12:00:00', "ts '2024-06-01T12:00:00' has no time zone offset: end it with Z or ±hh:mm"],
    ['2024-06-01T12:00Z', "ts '2024-06-01T12:00Z' needs seconds (hh:mm:ss)"],
    ['2024-06-01T12:00:00+0700', "ts '2024-06-01T12:00:00+0700' writes its offset without a colon: use ±hh:mm"],
    ['2024-06-01T12:00:00.Z', "ts '2024-06-01T12:00:00.Z' has a decimal point without fraction digits"],
    ['2023-02-29T00:00:00Z', "ts '2023-02-29T00:00:00Z' has day 29, which 2023-02 does not have"],
    ['2024-13-01T00:00:00Z', "ts '2024-13-01T00:00:00Z' has month 13: months are 01 to 12"],
    ['2024-06-01T24:00:00Z', "ts '2024-06-01T24:00:00Z' has time 24:00: hours are 00 to 23, minutes 00 to 59"],
    [
      '2024-06-30T23:59:60Z',
      "ts '2024-06-30T23:59:60Z' is a leap second (:60), which the stores cannot keep: send :59.999 instead",
    ],
    ['2024-06-01T12:00:00+24:00', "ts '2024-06-01T12:00:00+24:00' has offset +24:00: offsets are -23:59 to +23:59"],
    [
      'yesterday',
      "ts 'yesterday' is not an RFC 3339 date-time (e.g. 2024-06-01T12:00:00Z or 2024-06-01T19:00:00.5+07:00)",
    ],
    ['', "ts '' is not an RFC 3339 date-time (e.g. 2024-06-01T12:00:00Z or 2024-06-01T19:00:00.5+07:00)"],
  ])('refuses %s with the reason', (ts, reason) => {
    expect(errorOf(ts)).toBe(reason);
  });

  it('reads ts the same way in observation objects and arrays', () => {
    const payload = JSON.stringify([
      { id: 'S1', ts: '2024-06-01t12:00:00z', fields: { a: 1 } },
      { id: 'S2', ts: '2024-06-01T12:00:00', fields: { a: 1 } },
    ]);
    const result = decodeJson(payload, { domain: 'sensor' });
    expect(result.items).toEqual([{ index: 0, value: { domain: 'sensor', id: 'S1', ts: at, fields: { a: 1 } } }]);
    expect(result.errors).toEqual([
      { index: 1, error: "ts '2024-06-01T12:00:00' has no time zone offset: end it with Z or ±hh:mm" },
    ]);
  });
});

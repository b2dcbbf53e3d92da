import { describe, expect, it } from 'vitest';
import { decodeSenml, decodeSenmlValue, looksLikeSenml } from '../../../ingest/formats/senml.js';
import type { DecodeContext } from '../../../ingest/formats/types.js';

const NOW = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const entityTopic: DecodeContext = { domain: 'sensor', id: 'S1' };
const domainTopic: DecodeContext = { domain: 'sensor' };

function decode(pack: unknown[], ctx: DecodeContext) {
  return decodeSenmlValue(pack, ctx, NOW);
}

describe('SenML on city/<domain>/<id>', () => {
  it('takes the entity from the topic and the field from n, ignoring the base name', () => {
    const pack = [
      { bn: 'urn:dev:ow:10e2073a01080063:', bt: 1.7e9, n: 'pm25', u: 'ug/m3', v: 12.5 },
      { n: 'pm10', v: 30 },
      { n: 'ok', vb: true },
      { n: 'state', vs: 'normal' },
    ];
    expect(decode(pack, entityTopic)).toEqual({
      items: [
        {
          index: 0,
          value: {
            domain: 'sensor',
            id: 'S1',
            ts: 1_700_000_000_000,
            fields: { pm25: 12.5, pm10: 30, ok: true, state: 'normal' },
          },
        },
      ],
      errors: [],
    });
  });

  it('splits records with different times into different observations, in first-seen order', () => {
    const pack = [
      { bt: 1_700_000_000, n: 'level', v: 1 },
      { n: 'level', t: 60, v: 2 },
      { n: 'rain', v: 0.4 },
    ];
    expect(decode(pack, entityTopic).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', ts: 1_700_000_000_000, fields: { level: 1, rain: 0.4 } } },
      { index: 1, value: { domain: 'sensor', id: 'S1', ts: 1_700_000_060_000, fields: { level: 2 } } },
    ]);
  });

  it('resolves times below 2^28 relative to now, and time 0 (or none) to server time', () => {
    const pack = [
      { n: 'a', v: 1 },
      { n: 'b', t: -60, v: 2 },
      { bt: -10, n: 'c', t: 5, v: 3 },
      { bt: 0, n: 'd', t: 0, v: 4 },
    ];
    expect(decode(pack, entityTopic).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', fields: { a: 1, d: 4 } } },
      { index: 1, value: { domain: 'sensor', id: 'S1', ts: NOW - 60_000, fields: { b: 2 } } },
      { index: 2, value: { domain: 'sensor', id: 'S1', ts: NOW - 5_000, fields: { c: 3 } } },
    ]);
  });

  it('treats times from 2^28 on as absolute seconds, keeping sub-second precision in ms', () => {
    expect(decode([{ n: 'a', t: 2 ** 28, v: 1 }], entityTopic).items[0]?.value).toMatchObject({ ts: 2 ** 28 * 1000 });
    expect(decode([{ n: 'a', t: 1_700_000_000.1234, v: 1 }], entityTopic).items[0]?.value).toMatchObject({
      ts: 1_700_000_000_123,
    });
  });

  it('adds base value and base sum, and keeps a sum as <field>_sum beside the value', () => {
    const pack = [
      { bv: 100, bs: 1000, n: 'a', v: 5 },
      { n: 'b', s: 7 },
      { bv: 0, n: 'c', v: 5, s: 1 },
    ];
    expect(decode(pack, entityTopic).items[0]?.value).toEqual({
      domain: 'sensor',
      id: 'S1',
      fields: { a: 105, b_sum: 1007, c: 5, c_sum: 1001 },
    });
  });

  it('turns records named lat/lon, or with unit lat/lon, into the position', () => {
    expect(
      decode(
        [
          { n: 'lat', v: 21.27 },
          { n: 'lon', v: 106.19 },
          { n: 'pm25', v: 3 },
        ],
        entityTopic,
      ).items,
    ).toEqual([{ index: 0, value: { domain: 'sensor', id: 'S1', lat: 21.27, lon: 106.19, fields: { pm25: 3 } } }]);
    expect(
      decode(
        [
          { n: 'latitude', u: 'lat', v: 21 },
          { n: 'longitude', u: 'lon', v: 106 },
        ],
        entityTopic,
      ).items,
    ).toEqual([{ index: 0, value: { domain: 'sensor', id: 'S1', lat: 21, lon: 106, fields: {} } }]);
  });

  it('names the field of a record naming only its entity after the unit, or value', () => {
    expect(
      decode(
        [
          { bn: 'S1', v: 1 },
          { bn: 'S1', u: 'Cel', v: 2 },
        ],
        entityTopic,
      ).items,
    ).toEqual([{ index: 0, value: { domain: 'sensor', id: 'S1', fields: { value: 1, Cel: 2 } } }]);
    expect(decode([{ v: 1 }], entityTopic).errors).toEqual([
      { index: 0, error: "record has no name: give 'n', or a base name 'bn' in this or an earlier record" },
    ]);
  });

  it('refuses a pack naming two entities as a whole: the topic is for one', () => {
    const pack = [
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'temp', v: 1 },
      { bn: 'urn:dev:ow:10e2073a01080064:', n: 'temp', v: 2 },
    ];
    expect(decode(pack, entityTopic)).toEqual({
      items: [],
      errors: [
        {
          index: 0,
          error:
            'the pack names 2 entities (urn:dev:ow:10e2073a01080063, urn:dev:ow:10e2073a01080064) but city/<domain>/S1 is the topic of one: publish each entity on its own topic, or the pack on city/<domain>',
        },
      ],
    });
    // Records without an entity of their own belong to the topic's entity.
    expect(
      decode(
        [
          { n: 'a', v: 1 },
          { bn: 'X/', n: 'b', v: 2 },
        ],
        entityTopic,
      ).items,
    ).toHaveLength(1);
  });
});

describe('SenML on city/<domain> or HTTP ?domain=', () => {
  it('takes the entity from the base name without its trailing separator', () => {
    const pack = [
      { bn: 'urn:dev:S1:', bt: 1_700_000_000, n: 'pm25', v: 3 },
      { n: 'pm10', v: 4 },
      { bn: 'J7/', n: 'count', v: 12 },
      { bn: 'bus.42.', n: 'speed', v: 30 },
    ];
    expect(decode(pack, domainTopic).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'urn:dev:S1', ts: 1_700_000_000_000, fields: { pm25: 3, pm10: 4 } } },
      { index: 2, value: { domain: 'sensor', id: 'J7', ts: 1_700_000_000_000, fields: { count: 12 } } },
      { index: 3, value: { domain: 'sensor', id: 'bus.42', ts: 1_700_000_000_000, fields: { speed: 30 } } },
    ]);
  });

  it('without a base name splits "id/field" or "id:field" at the last separator', () => {
    const pack = [
      { n: 'S1/pm25', v: 1 },
      { n: 'urn:dev:S2:pm2.5', v: 2 },
      { n: 'S1/pm10', v: 3 },
      { bn: 'S3/noise', v: 4 },
    ];
    expect(decode(pack, domainTopic).items).toEqual([
      { index: 0, value: { domain: 'sensor', id: 'S1', fields: { pm25: 1, pm10: 3 } } },
      { index: 1, value: { domain: 'sensor', id: 'urn:dev:S2', fields: { 'pm2.5': 2 } } },
      { index: 3, value: { domain: 'sensor', id: 'S3', fields: { noise: 4 } } },
    ]);
  });

  it('rejects a name without an entity, keeping the other records', () => {
    const result = decode(
      [
        { n: 'pm25', v: 1 },
        { n: 'S1/', v: 1 },
        { n: 'S1/a', v: 2 },
      ],
      domainTopic,
    );
    expect(result.errors).toEqual([
      {
        index: 0,
        error:
          "cannot tell the entity of 'pm25': give the entity as base name 'bn' (e.g. \"bn\": \"S1/\"), name records '<id>/<field>', or send on city/<domain>/<id>",
      },
    ]);
    expect(result.items).toEqual([{ index: 1, value: { domain: 'sensor', id: 'S1', fields: { value: 1, a: 2 } } }]);
  });

  it('refuses names outside the SenML character set', () => {
    expect(decode([{ n: 'S1/pm 2', v: 1 }], domainTopic).errors[0]?.error).toMatch(
      /^name 'S1\/pm 2' is not a SenML name: .* \(RFC 8428 §4\.5\.1\)$/,
    );
    expect(decode([{ n: '-S1/a', v: 1 }], domainTopic).errors[0]?.error).toMatch(/is not a SenML name/);
  });

  it('needs a domain from the transport', () => {
    expect(decode([{ n: 'S1/a', v: 1 }], {}).errors).toEqual([
      {
        index: 0,
        error: 'SenML carries no domain: send it on city/<domain>[/<id>], or over HTTP with ?domain=<domain>',
      },
    ]);
  });
});

describe('SenML: bad records', () => {
  it('reports each bad record at its index with what was expected', () => {
    const pack = [
      { n: 'a', v: '3' },
      { n: 'b', vs: 3 },
      { n: 'c', vb: 'yes' },
      { n: 'd', v: 1, vs: 'x' },
      { n: 'e' },
      { n: 5, v: 1 },
      { n: 'f', t: 'now', v: 1 },
      { bn: 7, n: 'g', v: 1 },
      { bver: 11, n: 'h', v: 1 },
      { n: 'i', vd: 'a*b' },
      'record',
      {},
      { n: 'ok', v: 1 },
    ];
    const result = decode(pack, entityTopic);
    expect(result.errors).toEqual([
      { index: 0, error: '\'v\' must be a number (value), got "3"' },
      { index: 1, error: "'vs' must be a string (string value), got 3" },
      { index: 2, error: '\'vb\' must be a boolean (boolean value), got "yes"' },
      { index: 3, error: 'a record carries at most one value: v, vs, vb or vd (RFC 8428 §4.2)' },
      { index: 4, error: "record 'e' has no value: expected v, vs, vb, vd or s" },
      { index: 5, error: "'n' must be a string (name), got 5" },
      { index: 6, error: '\'t\' must be a number of seconds (time), got "now"' },
      { index: 7, error: "'bn' must be a string (base name), got 7" },
      { index: 8, error: "'bver' must be a SenML version from 1 to 10, got 11" },
      { index: 9, error: '\'vd\' must be base64url text (data value, RFC 4648 §5), got "a*b"' },
      { index: 10, error: 'a SenML record must be an object, got a string' },
      { index: 11, error: 'record has neither a name nor a value: expected n and one of v, vs, vb, vd or s' },
    ]);
    expect(result.items).toEqual([{ index: 12, value: { domain: 'sensor', id: 'S1', fields: { ok: 1 } } }]);
  });

  it('refuses the whole pack when a record has a must-understand label it does not know', () => {
    expect(
      decode(
        [
          { n: 'a', v: 1 },
          { n: 'i', v: 1, ext_: 1 },
        ],
        entityTopic,
      ),
    ).toEqual({
      items: [],
      errors: [
        {
          index: 1,
          error:
            "'ext_' is a must-understand label (RFC 8428 §4.4) this receiver does not know, so the whole pack is refused",
        },
      ],
    });
  });

  it('accepts a header record that only sets base fields', () => {
    expect(
      decode(
        [
          { bn: 'S9:', bt: 1_700_000_000, bver: 10 },
          { n: 'a', v: 1 },
        ],
        domainTopic,
      ),
    ).toEqual({
      items: [{ index: 1, value: { domain: 'sensor', id: 'S9', ts: 1_700_000_000_000, fields: { a: 1 } } }],
      errors: [],
    });
  });

  it('rejects a pack that is not an array, and malformed JSON', () => {
    expect(decode({ n: 'a' } as unknown as unknown[], entityTopic).errors).toEqual([
      { index: 0, error: 'SenML must be a JSON array of records, got an object' },
    ]);
    expect(decodeSenml('[{"n":"a",', entityTopic, NOW).errors[0]?.error).toMatch(/^malformed JSON: /);
  });
});

describe('looksLikeSenml', () => {
  it('is true for arrays with SenML labels and no fields key', () => {
    expect(looksLikeSenml([{ bn: 'x' }])).toBe(true);
    expect(looksLikeSenml([1, { n: 'S1/a', v: 1 }])).toBe(true);
    expect(
      looksLikeSenml([
        { n: 'a', v: 1 },
        { id: 'S1', fields: {} },
      ]),
    ).toBe(false);
    expect(looksLikeSenml([{ id: 'S1' }])).toBe(false);
    expect(looksLikeSenml([])).toBe(false);
  });
});

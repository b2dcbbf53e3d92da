import { describe, expect, it } from 'vitest';
import { decodeLineProtocol } from '../../../ingest/formats/line-protocol.js';
import type { DecodeContext } from '../../../ingest/formats/types.js';

const ctx: DecodeContext = { domain: 'sensor' };

function one(line: string, context: DecodeContext = ctx): unknown {
  const result = decodeLineProtocol(line, context);
  expect(result.errors).toEqual([]);
  expect(result.items).toHaveLength(1);
  return result.items[0]?.value;
}

function errorOf(line: string, context: DecodeContext = ctx): string {
  const result = decodeLineProtocol(line, context);
  expect(result.items).toEqual([]);
  expect(result.errors).toHaveLength(1);
  return result.errors[0]?.error ?? '';
}

describe('line protocol: structure', () => {
  it('maps measurement to domain, tag id to id, other tags to tags, lat/lon to position', () => {
    expect(one('sensor,id=S1,district=north pm25=12.5,lat=21.27,lon=106.19 1700000000000')).toEqual({
      domain: 'sensor',
      id: 'S1',
      ts: 1_700_000_000_000,
      lat: 21.27,
      lon: 106.19,
      fields: { pm25: 12.5 },
      tags: { district: 'north' },
    });
  });

  it('omits ts and tags when absent', () => {
    expect(one('sensor,id=S1 pm25=1')).toEqual({ domain: 'sensor', id: 'S1', fields: { pm25: 1 } });
  });

  it('accepts any measurement when no domain is given by the transport', () => {
    expect(one('traffic,id=J1 count=4i', {})).toEqual({ domain: 'traffic', id: 'J1', fields: { count: 4 } });
  });

  it('rejects a measurement that differs from the topic domain', () => {
    expect(errorOf('traffic,id=J1 count=4i')).toBe(
      "measurement 'traffic' does not match domain 'sensor' given by the topic",
    );
  });

  it('requires the id tag', () => {
    expect(errorOf('sensor,district=a pm25=1')).toMatch(/^missing tag 'id'/);
  });

  it('rejects lines without fields, empty tag values and dangling keys', () => {
    expect(errorOf('sensor,id=S1')).toMatch(/^no fields after 'sensor'/);
    expect(errorOf('sensor,id=S1 ')).toMatch(/^no fields after 'sensor'/);
    expect(errorOf('sensor,id= pm25=1')).toBe("tag 'id' has an empty value");
    expect(errorOf('sensor,id pm25=1')).toMatch(/^tag 'id' is not key=value/);
    expect(errorOf('sensor,id=S1 pm25')).toBe("field 'pm25' has no '=value'");
    expect(errorOf('sensor,id=S1 pm25=')).toMatch(/^field 'pm25' has no value/);
    expect(errorOf('sensor,id=S1 =1')).toMatch(/^empty field name/);
    expect(errorOf(',id=S1 a=1')).toMatch(/^missing measurement/);
  });

  it('rejects text after the timestamp and a non-integer timestamp', () => {
    expect(errorOf('sensor,id=S1 a=1 1700000000 extra')).toMatch(/^unexpected text after the timestamp/);
    expect(errorOf('sensor,id=S1 a=1 17000.5')).toBe(
      "timestamp '17000.5' is not an integer (ns, us, ms or s since the epoch)",
    );
    expect(errorOf('sensor,id=S1 a=1 99999999999999999999')).toBe('timestamp 99999999999999999999 is out of range');
  });

  it('tolerates extra spaces between sections, trailing spaces and CRLF', () => {
    expect(decodeLineProtocol('sensor,id=S1  a=1   1700000000  \r\nsensor,id=S2 b=2\r\n', ctx)).toEqual({
      items: [
        { index: 0, value: { domain: 'sensor', id: 'S1', ts: 1_700_000_000_000, fields: { a: 1 } } },
        { index: 1, value: { domain: 'sensor', id: 'S2', fields: { b: 2 } } },
      ],
      errors: [],
    });
  });
});

describe('line protocol: field values', () => {
  it('reads floats, exponents, integers, unsigned integers and booleans', () => {
    expect(one('sensor,id=S1 a=1,b=-2.5,c=.5,d=1e3,e=-1.5E-2,f=42i,g=-7i,h=42u,i=0.')).toEqual({
      domain: 'sensor',
      id: 'S1',
      fields: { a: 1, b: -2.5, c: 0.5, d: 1000, e: -0.015, f: 42, g: -7, h: 42, i: 0 },
    });
  });

  it('reads every boolean spelling', () => {
    const line = 'sensor,id=S1 a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE';
    expect(one(line)).toMatchObject({
      fields: { a: true, b: true, c: true, d: true, e: true, f: false, g: false, h: false, i: false, j: false },
    });
  });

  it('converts integers beyond 2^53 to the nearest number and rejects those beyond 64 bits', () => {
    expect(one('sensor,id=S1 a=9223372036854775807i,b=18446744073709551615u')).toMatchObject({
      fields: { a: 2 ** 63, b: 2 ** 64 },
    });
    expect(one('sensor,id=S1 a=-9223372036854775808i,b=9007199254740993i')).toMatchObject({
      fields: { a: -(2 ** 63), b: 2 ** 53 },
    });
    expect(errorOf('sensor,id=S1 a=9223372036854775808i')).toBe(
      "field 'a': 9223372036854775808i is out of range for a 64-bit integer",
    );
    expect(errorOf('sensor,id=S1 a=18446744073709551616u')).toMatch(/out of range for a 64-bit unsigned integer/);
  });

  it('rejects NaN, Infinity and float overflow', () => {
    expect(errorOf('sensor,id=S1 a=nan')).toBe("field 'a': nan is not accepted: values must be finite numbers");
    expect(errorOf('sensor,id=S1 a=NaN')).toMatch(/not accepted/);
    expect(errorOf('sensor,id=S1 a=inf')).toMatch(/not accepted/);
    expect(errorOf('sensor,id=S1 a=-Infinity')).toMatch(/not accepted/);
    expect(errorOf('sensor,id=S1 a=1e400')).toBe("field 'a': 1e400 is out of range for a 64-bit float");
  });

  it('rejects malformed numbers with what is expected', () => {
    for (const bad of ['1.2.3', '0x10', '+1', '1e', '1_000', '-', '12a', '1.5i', '-3u', 'yes']) {
      expect(errorOf(`sensor,id=S1 a=${bad}`)).toMatch(/^field 'a': .* expected a float/);
    }
  });

  it('reads quoted strings with escaped quotes, backslashes, commas, spaces and newlines', () => {
    const line = String.raw`sensor,id=S1 s="a \"quoted\", spaced = text",b="back\\slash",c="keep \n as is",d=""`;
    expect(one(line)).toMatchObject({
      fields: { s: 'a "quoted", spaced = text', b: 'back\\slash', c: 'keep \\n as is', d: '' },
    });
    expect(decodeLineProtocol('sensor,id=S1 s="two\nlines",n=1\nsensor,id=S2 n=2', ctx)).toEqual({
      items: [
        { index: 0, value: { domain: 'sensor', id: 'S1', fields: { s: 'two\nlines', n: 1 } } },
        { index: 2, value: { domain: 'sensor', id: 'S2', fields: { n: 2 } } },
      ],
      errors: [],
    });
  });

  it('reports an unterminated string and resumes on the next line', () => {
    const result = decodeLineProtocol('sensor,id=S1 s="open\nsensor,id=S2 n=2', ctx);
    expect(result.errors).toEqual([{ index: 0, error: "field 's': string value has no closing double quote" }]);
    expect(result.items).toEqual([{ index: 1, value: { domain: 'sensor', id: 'S2', fields: { n: 2 } } }]);
  });

  it('rejects garbage after a quoted string', () => {
    expect(errorOf('sensor,id=S1 s="x"y')).toMatch(/^unexpected character after fields/);
  });
});

describe('line protocol: escaping in names', () => {
  it('unescapes commas, spaces, equals signs and backslashes in tag keys, tag values and field keys', () => {
    const line = String.raw`sensor,id=S\,1,dis\ trict=a\=b\ c,path=C:\\x,odd=a\b fi\,e\ ld\=x=1`;
    expect(one(line, {})).toEqual({
      domain: 'sensor',
      id: 'S,1',
      tags: { 'dis trict': 'a=b c', path: 'C:\\x', odd: 'a\\b' },
      fields: { 'fi,e ld=x': 1 },
    });
  });

  it('unescapes commas and spaces in the measurement', () => {
    expect(one(String.raw`my\ city\,x,id=S1 a=1`, {})).toMatchObject({ domain: 'my city,x' });
  });
});

describe('line protocol: timestamps', () => {
  const ms = 1_700_000_000_123;
  it.each([
    ['1700000000123456789', ms],
    ['1700000000123456', ms],
    ['1700000000123', ms],
    ['1700000000', 1_700_000_000_000],
  ])('auto-detects the precision of %s', (stamp, expected) => {
    expect(one(`sensor,id=S1 a=1 ${stamp}`)).toMatchObject({ ts: expected });
  });

  it.each([
    ['ns', '1700000000123456789', ms],
    ['us', '1700000000123456', ms],
    ['ms', '1700000000123', ms],
    ['s', '1700000000', 1_700_000_000_000],
    ['s', '5', 5000],
    ['ns', '999', 0],
    ['ms', '5', 5],
  ] as const)('uses the given precision %s for %s', (precision, stamp, expected) => {
    expect(one(`sensor,id=S1 a=1 ${stamp}`, { domain: 'sensor', precision })).toMatchObject({ ts: expected });
  });

  it('keeps negative timestamps negative (the normaliser rejects them)', () => {
    expect(one('sensor,id=S1 a=1 -1700000000')).toMatchObject({ ts: -1_700_000_000_000 });
  });
});

describe('line protocol: many lines', () => {
  it('skips comments and blank lines and keeps good lines beside bad ones, with 0-based line indexes', () => {
    const payload = [
      '# Telegraf batch',
      '',
      'sensor,id=S1 pm25=10 1700000000',
      'sensor,id=S2 pm25=nan',
      '   ',
      'sensor pm25=3',
      '  sensor,id=S3 pm25=11i 1700000001',
      'traffic,id=J1 count=1i',
      'sensor,id=S4 pm25=12',
    ].join('\n');
    const result = decodeLineProtocol(payload, ctx);
    expect(result.items.map((item) => item.index)).toEqual([2, 6, 8]);
    expect(result.items.map((item) => (item.value as { id: string }).id)).toEqual(['S1', 'S3', 'S4']);
    expect(result.errors.map((error) => error.index)).toEqual([3, 5, 7]);
    expect(result.errors[0]?.error).toMatch(/nan is not accepted/);
    expect(result.errors[1]?.error).toMatch(/missing tag 'id'/);
    expect(result.errors[2]?.error).toMatch(/does not match domain/);
  });

  it('returns nothing for a payload of comments only', () => {
    expect(decodeLineProtocol('# one\n\n# two\n', ctx)).toEqual({ items: [], errors: [] });
  });
});

// Over 350 lines: InfluxDB's own parser cases sit beside the product's, so both read as one specification.
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
    expect(one('traffic,id=J1 count=4i', {})).toEqual({
      domain: 'traffic',
      id: 'J1',
      fields: { count: 4 },
      integers: { count: '4' },
    });
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
    expect(errorOf('sensor,id= pm25=1')).toBe("tag 'id' has an empty value (InfluxDB: missing tag value)");
    expect(errorOf('sensor,id pm25=1')).toMatch(/^tag 'id' has no '=value' \(InfluxDB: missing tag value\)/);
    expect(errorOf('sensor,id=S1 pm25')).toBe("field 'pm25' has no '=value' (InfluxDB: missing field value)");
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
    expect(one('sensor,id=S1 a=1,b=-2.5,c=.5,d=1e3,e=-1.5E-2,f=42i,g=-7i,h=42u,i=0.,j=007i')).toEqual({
      domain: 'sensor',
      id: 'S1',
      fields: { a: 1, b: -2.5, c: 0.5, d: 1000, e: -0.015, f: 42, g: -7, h: 42, i: 0, j: 7 },
      integers: { f: '42', g: '-7', h: '42', j: '7' },
    });
  });

  it('reads every boolean spelling', () => {
    const line = 'sensor,id=S1 a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE';
    expect(one(line)).toMatchObject({
      fields: { a: true, b: true, c: true, d: true, e: true, f: false, g: false, h: false, i: false, j: false },
    });
  });

  it('keeps the exact text of integers beside the nearest number, and refuses those beyond 64-bit signed', () => {
    expect(one('sensor,id=S1 a=9223372036854775807i,b=-9223372036854775808i,c=9007199254740993i')).toMatchObject({
      fields: { a: 2 ** 63, b: -(2 ** 63), c: 2 ** 53 },
      integers: { a: '9223372036854775807', b: '-9223372036854775808', c: '9007199254740993' },
    });
    // InfluxDB's own cases: leading zeros are fine at the extremes.
    expect(one('sensor,id=S1 a=0009223372036854775807i,b=-0009223372036854775808i,c=0000u,d=-0i')).toMatchObject({
      integers: { a: '9223372036854775807', b: '-9223372036854775808', c: '0', d: '0' },
    });
    expect(errorOf('sensor,id=S1 a=9223372036854775808i')).toBe(
      "field 'a': 9223372036854775808i is outside the 64-bit integer range the store keeps (-9223372036854775808 to 9223372036854775807)",
    );
    expect(errorOf('sensor,id=S1 a=-9223372036854775809i')).toMatch(/outside the 64-bit integer range/);
    // Unsigned values fit while they are within int64: both stores keep 64-bit signed integers.
    expect(one('sensor,id=S1 a=9223372036854775807u')).toMatchObject({ integers: { a: '9223372036854775807' } });
    expect(errorOf('sensor,id=S1 a=18446744073709551615u')).toMatch(/outside the 64-bit integer range/);
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
    expect(result.errors).toEqual([
      { index: 0, error: "field 's': string value has no closing double quote (InfluxDB: unbalanced quotes)" },
    ]);
    expect(result.items).toEqual([{ index: 1, value: { domain: 'sensor', id: 'S2', fields: { n: 2 } } }]);
  });

  it('rejects garbage after a quoted string', () => {
    expect(errorOf('sensor,id=S1 s="x"y')).toMatch(/unexpected text after the closing double quote/);
    expect(errorOf('sensor,id=S1 s="x""')).toMatch(/unexpected text after the closing double quote/);
  });
});

describe('line protocol: escaping in names', () => {
  it('unescapes commas, spaces and equals signs in tag keys, tag values and field keys, and no backslash', () => {
    const line = String.raw`sensor,id=S\,1,dis\ trict=a\=b\ c,path=C:\\x,odd=a\b fi\,e\ ld\=x=1`;
    expect(one(line, {})).toEqual({
      domain: 'sensor',
      id: 'S,1',
      // InfluxDB unescapes only \, \space and \=: a double backslash stays two backslashes.
      tags: { 'dis trict': 'a=b c', path: 'C:\\\\x', odd: 'a\\b' },
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

  it('keeps negative timestamps negative, flooring a sub-millisecond part (the normaliser rejects them)', () => {
    expect(one('sensor,id=S1 a=1 -1700000000')).toMatchObject({ ts: -1_700_000_000_000 });
    expect(one('sensor,id=S1 a=1 -1', { domain: 'sensor', precision: 'ns' })).toMatchObject({ ts: -1 });
    expect(one('sensor,id=S1 a=1 -1500000', { domain: 'sensor', precision: 'ns' })).toMatchObject({ ts: -2 });
    expect(one('sensor,id=S1 a=1 -2000000', { domain: 'sensor', precision: 'ns' })).toMatchObject({ ts: -2 });
    expect(one('sensor,id=S1 a=1 -1500', { domain: 'sensor', precision: 'us' })).toMatchObject({ ts: -2 });
    expect(one('sensor,id=S1 a=1 -15', { domain: 'sensor', precision: 'ms' })).toMatchObject({ ts: -15 });
    expect(one('sensor,id=S1 a=1 -3', { domain: 'sensor', precision: 's' })).toMatchObject({ ts: -3000 });
  });

  it("reads minutes and hours, and the extremes of InfluxDB's time range", () => {
    expect(one('sensor,id=S1 a=1 2', { domain: 'sensor', precision: 'm' })).toMatchObject({ ts: 120_000 });
    expect(one('sensor,id=S1 a=1 -2', { domain: 'sensor', precision: 'h' })).toMatchObject({ ts: -7_200_000 });
    expect(one('sensor,id=S1 a=1 9223372036854775806', { domain: 'sensor', precision: 'ns' })).toMatchObject({
      ts: 9_223_372_036_854,
    });
    expect(one('sensor,id=S1 a=1 -9223372036854775806', { domain: 'sensor', precision: 'ns' })).toMatchObject({
      ts: -9_223_372_036_855,
    });
    for (const bad of ['9223372036854775808', '-92233720368547758078', '9223372036854775807']) {
      expect(errorOf(`sensor,id=S1 a=1 ${bad}`, { domain: 'sensor', precision: 'ns' })).toMatch(
        /out(side InfluxDB's time)? ?(of )?range/,
      );
    }
    expect(errorOf('sensor,id=S1 a=1 9223372036855', { domain: 'sensor', precision: 'ms' })).toBe(
      "timestamp 9223372036855 (precision ms) is outside InfluxDB's time range (years 1677 to 2262)",
    );
    for (const bad of ['-', '-/', '-1?', '1-', '0\\']) {
      expect(errorOf(`sensor,id=S1 a=1 ${bad}`)).toMatch(/is not an integer/);
    }
    expect(errorOf('sensor,id=S1 a=1 9223372036854775806 12')).toMatch(/^unexpected text after the timestamp/);
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

// Cases from InfluxDB's parser tests (models/points_test.go, influxdata/influxdb), with the product's `id` tag added.
describe("line protocol: InfluxDB's parser cases", () => {
  const free: DecodeContext = {};
  const tagsOf = (line: string) => (one(line, free) as { tags?: Record<string, string> }).tags;

  it.each([
    [String.raw`cpu,id=S1,tag0=v\ 0 value=1`, { tag0: 'v 0' }],
    [String.raw`cpu,id=S1,tag0=v\ 0\ 1,tag1=v2 value=1`, { tag0: 'v 0 1', tag1: 'v2' }],
    [String.raw`cpu,id=S1,tag0=\, value=1`, { tag0: ',' }],
    [String.raw`cpu,id=S1,ta\ g0=\, value=1`, { 'ta g0': ',' }],
    [String.raw`cpu,id=S1,tag0=1\"\",t=k value=1`, { tag0: String.raw`1\"\"`, t: 'k' }],
    [String.raw`cpu,id=S1,reg\\=ion=east value=1.0`, { [String.raw`reg\=ion`]: 'east' }],
    [String.raw`cpu,id=S1,regions=\\ east value=1.0`, { regions: String.raw`\ east` }],
    [String.raw`cpu,id=S1,regions=eas\\ t value=1.0`, { regions: String.raw`eas\ t` }],
    [String.raw`cpu,id=S1,regions=east\\  value=1.0`, { regions: String.raw`east\ ` }],
    [String.raw`cpu,id=S1,regions=eas\t value=1.0`, { regions: String.raw`eas\t` }],
    [String.raw`cpu,id=S1,regions=\\,\,\=east value=1.0`, { regions: String.raw`\,,=east` }],
    [String.raw`cpu,id=S1,equals\=foo=tag\=value value=1i`, { 'equals=foo': 'tag=value' }],
    ['cpu,id=S1,"host"="serverA" value=1.0', { '"host"': '"serverA"' }],
  ])('reads the tags of %s', (line, tags) => {
    expect(tagsOf(line)).toEqual(tags);
  });

  it('keeps a backslash before an equals sign in the measurement, and a literal equals sign', () => {
    expect(one(String.raw`cpu\=load,id=S1 value=1`, free)).toMatchObject({ domain: String.raw`cpu\=load` });
    expect(one('cpu=load,id=S1 value=1', free)).toMatchObject({ domain: 'cpu=load' });
    expect(one('"cpu",id=S1 value=1', free)).toMatchObject({ domain: '"cpu"' });
  });

  it('carries an escaped line break inside a tag value, as InfluxDB does', () => {
    expect(decodeLineProtocol('cpu,id=S1,t=a\\\nb value=1\ncpu,id=S2 value=2', free)).toEqual({
      items: [
        { index: 0, value: { domain: 'cpu', id: 'S1', tags: { t: 'a\\\nb' }, fields: { value: 1 } } },
        { index: 2, value: { domain: 'cpu', id: 'S2', fields: { value: 2 } } },
      ],
      errors: [],
    });
  });

  it('keeps an unknown escape in a field key and reads string values with backslashes', () => {
    expect(one(String.raw`cpu,id=S1 \a=1i`, free)).toMatchObject({ fields: { [String.raw`\a`]: 1 } });
    expect(one(String.raw`cpu,id=S1 value="test\\\""`, free)).toMatchObject({ fields: { value: 'test\\"' } });
    expect(one(String.raw`cpu,id=S1 value="test\\"`, free)).toMatchObject({ fields: { value: 'test\\' } });
    expect(one(String.raw`cpu,id=S1 value="test\""`, free)).toMatchObject({ fields: { value: 'test"' } });
    expect(one(String.raw`cpu,id=S1 str="foo\\",str2="bar"`, free)).toMatchObject({
      fields: { str: 'foo\\', str2: 'bar' },
    });
    expect(one(String.raw`cpu,id=S1 str="foo\,bar"`, free)).toMatchObject({ fields: { str: String.raw`foo\,bar` } });
    expect(one(String.raw`cpu,id=S1 value="{Hello\"{,}\" World}"`, free)).toMatchObject({
      fields: { value: '{Hello"{,}" World}' },
    });
  });

  it('takes the last of two values of one field', () => {
    expect(one('cpu,id=S1 v=1i,v=2', free)).toEqual({ domain: 'cpu', id: 'S1', fields: { v: 2 } });
  });

  it.each([
    ['cpu,id=S1,host=f=o value=1', /unescaped '=' \(InfluxDB: invalid tag format\)/],
    [String.raw`cpu,id=S1,host=f\==o value=1`, /invalid tag format/],
    ['cpu,id=S1,host=serverA,host=serverB value=1i', /tag 'host' is given twice \(InfluxDB: duplicate tags\)/],
    ['cpu,id=S1,b=2,c=3,b=1 value=1i', /duplicate tags/],
    ['cpu,id=S1,id=S2 value=1i', /tag 'id' is given twice/],
    ['cpu,id=S1, value=1', /missing tag key/],
    ['cpu,id=S1,', /missing tag key/],
    ['cpu,id=S1,,, value=1', /missing tag key/],
    ['cpu,id=S1,=us-east value=1i', /missing tag key/],
    ['cpu,id=S1,host value=1i', /missing tag value/],
    ['cpu,id=S1,region= value=1i', /missing tag value/],
    ['cpu,id=S1,region=,zone=us-west value=1i', /missing tag value/],
    ['cpu,id=S1', /missing fields/],
    ['cpu,id=S1 =123i', /missing field key/],
    ['cpu,id=S1 value=123i,=456i', /missing field key/],
    ['cpu,id=S1 value=', /missing field value/],
    ['cpu,id=S1 value=,value2=1i', /missing field value/],
    ['cpu,id=S1 value=1i,b', /missing field value/],
    ['cpu,id=S1 f="blah"=123,r 1531703600000000000', /invalid field format/],
    ['cpu,id=S1 value="test', /unbalanced quotes/],
  ])('refuses %s', (line, reason) => {
    expect(errorOf(line, free)).toMatch(reason);
  });

  it.each([
    '-',
    '-i',
    '-.',
    '.',
    '1.0i',
    '1ii',
    '1a',
    '-e-e-e',
    '42+3',
    '-123u',
    '.1a',
    '0.-1',
    '1.1.1',
    'a',
    '9ie10',
    '9e10i',
    '+1',
    '0x1',
    '--1u',
  ])('refuses the number %s', (value) => {
    expect(errorOf(`cpu,id=S1 v=${value}`, free)).toMatch(/^field 'v': /);
  });

  it('reads the largest floats and refuses the next order of magnitude', () => {
    const max =
      '179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.0';
    expect(one(`cpu,id=S1 v=${max}`, free)).toMatchObject({ fields: { v: Number.MAX_VALUE } });
    expect(one(`cpu,id=S1 v=-0000${max}`, free)).toMatchObject({ fields: { v: -Number.MAX_VALUE } });
    expect(errorOf(`cpu,id=S1 v=1${max}`, free)).toMatch(/out of range for a 64-bit float/);
  });

  it('reads whitespace between sections as InfluxDB does', () => {
    for (const line of [
      'cpu,id=S1    value=1.0 1257894000000000000',
      'cpu,id=S1 value=1.0     1257894000000000000',
      'cpu,id=S1 value=1.0 1257894000000000000   ',
    ]) {
      expect(one(line, { precision: 'ns' })).toMatchObject({ fields: { value: 1 }, ts: 1_257_894_000_000 });
    }
  });

  it('reads the precision examples exactly', () => {
    const cases = [
      ['ns', '946730096789012345'],
      ['us', '946730096789012'],
      ['ms', '946730096789'],
    ] as const;
    for (const [precision, stamp] of cases) {
      expect(one(`cpu,id=S1 value=1.0 ${stamp}`, { precision })).toMatchObject({ ts: 946_730_096_789 });
    }
    expect(one('cpu,id=S1 value=1.0 946730096', { precision: 's' })).toMatchObject({ ts: 946_730_096_000 });
  });
});

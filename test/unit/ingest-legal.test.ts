import { describe, expect, it } from 'vitest';
import {
  escapeKey,
  escapeMeasurement,
  fieldNameProblem,
  integerText,
  isIntegerText,
  quoteString,
  tagKeyProblem,
  tagValueProblem,
} from '../../contract/legal.js';
import { decodeLineProtocol } from '../../ingest/formats/line-protocol.js';
import { seededRandom as random } from '../support/random.js';

// contract/legal.ts is the one definition of what the store can keep. The ingest validator refuses what it
// refuses, and the line encoder escapes with its functions; here both halves are held to each other: whatever
// passes, once escaped, reads back through the line-protocol parser (InfluxDB's rules) as the very same value.

// Characters that matter to line protocol, and a few that do not.
const ALPHABET = ['\\', '\\', ',', ' ', '=', '"', 'a', 'b', 'ắ', '🙂', '\t', '\n', '#', '-', '0'];

function randomText(rng: () => number): string {
  const length = Math.floor(rng() * 8);
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(rng() * ALPHABET.length)] ?? '';
  return text;
}

function readBack(line: string) {
  const result = decodeLineProtocol(line, {});
  expect(result.errors, line).toEqual([]);
  return result.items[0]?.value as { tags?: Record<string, string>; fields: Record<string, unknown> };
}

describe('contract/legal.ts: what passes is written back unchanged', () => {
  it('tag values: escaped by escapeKey and read by the parser, every legal value comes back as it was', () => {
    const rng = random(0x1e6a1);
    let legal = 0;
    for (let n = 0; n < 5000; n++) {
      const value = randomText(rng);
      if (tagValueProblem(value) !== undefined) continue;
      legal++;
      expect(readBack(`m,id=S1,t=${escapeKey(value)} v=1`).tags, JSON.stringify(value)).toEqual({ t: value });
    }
    expect(legal).toBeGreaterThan(1000);
  });

  it('string fields: quoted by quoteString, every value comes back as it was, line breaks included', () => {
    const rng = random(0x57a1);
    for (let n = 0; n < 3000; n++) {
      const value = randomText(rng);
      expect(readBack(`m,id=S1 s=${quoteString(value)}`).fields, JSON.stringify(value)).toEqual({ s: value });
    }
  });

  it('measurements and keys with separators round-trip too', () => {
    expect(readBack(`${escapeMeasurement('my city, north')},id=S1 v=1`)).toMatchObject({ domain: 'my city, north' });
    expect(readBack(`m,id=S1,${escapeKey('a b,c=d')}=x ${escapeKey('e f,g=h')}=1`)).toMatchObject({
      tags: { 'a b,c=d': 'x' },
      fields: { 'e f,g=h': 1 },
    });
  });

  it('refuses the tag values line protocol cannot carry, saying why', () => {
    expect(tagValueProblem('')).toMatch(/^is empty/);
    expect(tagValueProblem('C:\\')).toMatch(/^ends in a backslash/);
    expect(tagValueProblem('a\nb')).toMatch(/^holds a line break/);
    expect(tagValueProblem('a\rb')).toMatch(/^holds a carriage return/);
    expect(tagValueProblem('a\tb')).toMatch(/^holds a tab/);
    expect(tagValueProblem('a\u0001b')).toMatch(/^holds control character U\+0001/);
    expect(tagValueProblem('C:\\x, y = z')).toBeUndefined();
  });

  it('refuses the names InfluxDB reserves, and id', () => {
    expect(tagKeyProblem('time')).toMatch(/reserved by InfluxDB/);
    expect(tagKeyProblem('_measurement')).toMatch(/reserved by InfluxDB/);
    expect(tagKeyProblem('_field')).toMatch(/reserved by InfluxDB/);
    expect(tagKeyProblem('id')).toMatch(/entity id's own tag/);
    expect(tagKeyProblem('zone')).toBeUndefined();
    expect(fieldNameProblem('time')).toMatch(/reserved by InfluxDB/);
    expect(fieldNameProblem('id')).toMatch(/shadow the entity id tag/);
    expect(fieldNameProblem('_measurement')).toBeUndefined();
  });

  it('integers: exact text within int64, refused beyond it', () => {
    expect(integerText('0009223372036854775807', false)).toBe('9223372036854775807');
    expect(integerText('9223372036854775808', true)).toBe('-9223372036854775808');
    expect(integerText('000', true)).toBe('0');
    expect(integerText('9223372036854775808', false)).toEqual({
      error: 'is outside the 64-bit integer range the store keeps (-9223372036854775808 to 9223372036854775807)',
    });
    expect(integerText('18446744073709551615', false)).toHaveProperty('error');
    for (const text of ['0', '-1', '42', '9223372036854775807', '-9223372036854775808'])
      expect(isIntegerText(text)).toBe(true);
    for (const text of [
      '',
      '-0',
      '01',
      '+1',
      '1.0',
      '9223372036854775808',
      '-9223372036854775809',
      '99999999999999999999',
    ]) {
      expect(isIntegerText(text), text).toBe(false);
    }
  });
});

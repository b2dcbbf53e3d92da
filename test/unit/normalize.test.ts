import { describe, expect, it } from 'vitest';
import { normalizeObservation, type NormalizeOptions } from '../../ingest/normalize.js';

const NOW = Date.parse('2024-01-01T00:00:00Z');
const options: NormalizeOptions = {
  now: NOW,
  maxFutureMs: 5 * 60_000,
  maxPastMs: 7 * 86_400_000,
  domains: new Set(['sensor', 'traffic', 'health', 'queue']),
};

function errorOf(value: unknown, opts: NormalizeOptions = options): string {
  const result = normalizeObservation(value, opts);
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.observation)}`);
  return result.error;
}

describe('normalizeObservation: accepted', () => {
  it('keeps a valid observation and its ms timestamp', () => {
    const value = {
      domain: 'sensor',
      id: 'S1',
      ts: NOW - 1000,
      fields: { pm25: 12, ok: true, state: 'x' },
      tags: { d: 'n' },
    };
    expect(normalizeObservation(value, options)).toEqual({
      ok: true,
      observation: {
        domain: 'sensor',
        id: 'S1',
        ts: NOW - 1000,
        fields: { pm25: 12, ok: true, state: 'x' },
        tags: { d: 'n' },
      },
    });
  });

  it('stamps a missing ts with server time', () => {
    expect(normalizeObservation({ domain: 'queue', id: 'Q1', fields: { waiting: 3 } }, options)).toEqual({
      ok: true,
      observation: { domain: 'queue', id: 'Q1', ts: NOW, fields: { waiting: 3 } },
    });
  });

  it('parses RFC 3339 timestamps with offsets and fractions', () => {
    const parse = (ts: string) => {
      const result = normalizeObservation({ domain: 'sensor', id: 'S1', ts, fields: { a: 1 } }, options);
      return result.ok ? result.observation.ts : result.error;
    };
    expect(parse('2023-12-31T23:59:00Z')).toBe(NOW - 60_000);
    expect(parse('2024-01-01T06:59:30+07:00')).toBe(NOW - 30_000);
    expect(parse('2023-12-31T23:59:59.250Z')).toBe(NOW - 750);
  });

  it('moves numeric lat/lon fields to the position and keeps a given position', () => {
    expect(
      normalizeObservation({ domain: 'traffic', id: 'B1', fields: { lat: 21.27, lon: 106.19, speed: 30 } }, options),
    ).toEqual({
      ok: true,
      observation: { domain: 'traffic', id: 'B1', ts: NOW, lat: 21.27, lon: 106.19, fields: { speed: 30 } },
    });
    expect(
      normalizeObservation({ domain: 'traffic', id: 'B1', lat: 1, lon: 2, fields: { lat: 3, lon: 4 } }, options),
    ).toEqual({
      ok: true,
      observation: { domain: 'traffic', id: 'B1', ts: NOW, lat: 1, lon: 2, fields: {} },
    });
  });

  it('accepts a position without fields, and refuses a string lat (the store keeps no field named lat)', () => {
    expect(normalizeObservation({ domain: 'health', id: 'A1', lat: 21, lon: 106, fields: {} }, options)).toMatchObject({
      ok: true,
    });
    expect(normalizeObservation({ domain: 'health', id: 'A1', fields: { lat: 'n/a' } }, options)).toEqual({
      ok: false,
      error: 'fields.lat: lat gives the position and must be a number, got "n/a"',
    });
  });

  it('accepts timestamps right at the limits', () => {
    expect(
      normalizeObservation({ domain: 'sensor', id: 'S1', ts: NOW + 5 * 60_000, fields: { a: 1 } }, options).ok,
    ).toBe(true);
    expect(
      normalizeObservation({ domain: 'sensor', id: 'S1', ts: NOW - 7 * 86_400_000, fields: { a: 1 } }, options).ok,
    ).toBe(true);
  });

  it('does not change the value it was given', () => {
    const value = { domain: 'traffic', id: 'B1', fields: { lat: 21, lon: 106, v: 1 } };
    normalizeObservation(value, options);
    expect(value).toEqual({ domain: 'traffic', id: 'B1', fields: { lat: 21, lon: 106, v: 1 } });
  });
});

describe('normalizeObservation: rejected', () => {
  it('rejects timestamps beyond the limits, saying the limit', () => {
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: '2030-01-01T00:00:00Z', fields: { a: 1 } })).toBe(
      'ts: 2030-01-01T00:00:00.000Z is more than 5m ahead of server time',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: NOW + 5 * 60_000 + 1, fields: { a: 1 } })).toMatch(
      /more than 5m ahead/,
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: 0, fields: { a: 1 } })).toBe(
      'ts: 1970-01-01T00:00:00.000Z is more than 7d older than server time',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: 9e15, fields: { a: 1 } })).toBe(
      'ts: 9000000000000000 ms is more than 5m ahead of server time',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: 1e20, fields: { a: 1 } })).toBe('ts in ms must be an integer');
    expect(
      errorOf({ domain: 'sensor', id: 'S1', ts: NOW - 2000, fields: { a: 1 } }, { ...options, maxPastMs: 1500 }),
    ).toBe('ts: 2023-12-31T23:59:58.000Z is more than 1500ms older than server time');
  });

  it('rejects timestamps of the wrong kind', () => {
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: 'yesterday', fields: { a: 1 } })).toBe(
      'ts must be ms since epoch or an RFC 3339 date-time',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: 1.5, fields: { a: 1 } })).toBe('ts in ms must be an integer');
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: true, fields: { a: 1 } })).toBe(
      'ts must be ms since epoch or an RFC 3339 date-time',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', ts: -5, fields: { a: 1 } })).toBe(
      'ts: times before 1970 (negative ms) cannot be stored',
    );
  });

  it('rejects an unknown domain, listing the known ones', () => {
    expect(errorOf({ domain: 'parking', id: 'P1', fields: { free: 3 } })).toBe(
      "unknown domain 'parking': known domains are sensor, traffic, health, queue",
    );
  });

  it('reports missing and malformed ids and domains', () => {
    expect(errorOf({ domain: 'sensor', fields: { a: 1 } })).toBe('id: required (string)');
    expect(errorOf({ domain: 'sensor', id: 'S 1', fields: { a: 1 } })).toBe('id must match [A-Za-z0-9_.:-]{1,128}');
    expect(errorOf({ domain: 'Sensor', id: 'S1', fields: { a: 1 } })).toBe(
      'domain must be lower-case letters, digits, "_" or "-" (max 32)',
    );
    expect(errorOf({ domain: 'sensor', id: 'x'.repeat(129), fields: { a: 1 } })).toMatch(/^id must match/);
  });

  it('reports bad field names and values, including NaN and Infinity', () => {
    const message =
      'a field value must be a finite number (no NaN or Infinity), a boolean or a string of at most 1024 characters';
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { a: NaN } })).toBe(`fields.a: ${message}`);
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { a: Infinity } })).toBe(`fields.a: ${message}`);
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { a: null } })).toBe(`fields.a: ${message}`);
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { a: 'x'.repeat(1025) } })).toBe(
      'fields.a: Too big: expected string to have <=1024 characters',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { 'bad name': 1 } })).toBe(
      'fields.bad name: field names are letters, digits, "_", "." or "-"',
    );
  });

  it('reports wrong types and out-of-range positions', () => {
    expect(errorOf({ domain: 'sensor', id: 'S1', lat: '21', lon: 106, fields: {} })).toBe(
      'lat: expected number, received string',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', lat: 91, lon: 106, fields: {} })).toBe(
      'lat: Too big: expected number to be <=90',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { lat: 21, lon: 181 } })).toBe(
      'fields.lon: Too big: expected number to be <=180',
    );
    expect(errorOf({ domain: 'sensor', id: 'S1', lat: 21, fields: {} })).toBe('lat and lon must be given together');
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: [] })).toBe('fields: expected record, received array');
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: { a: 1 }, tags: { t: 1 } })).toBe(
      'tags.t: expected string, received number',
    );
    expect(errorOf('S1')).toBe('observation: expected object, received string');
  });

  it('needs at least one field or a position', () => {
    expect(errorOf({ domain: 'sensor', id: 'S1', fields: {} })).toBe(
      'fields: an observation needs at least one field or a position (lat, lon)',
    );
  });

  it('joins several problems with "; " and caps the list', () => {
    expect(errorOf({ domain: 'nope', id: 'S1', ts: NOW + 3_600_000, fields: {} })).toBe(
      "unknown domain 'nope': known domains are sensor, traffic, health, queue; ts: 2024-01-01T01:00:00.000Z is more than 5m ahead of server time; fields: an observation needs at least one field or a position (lat, lon)",
    );
    const fields = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, null]));
    const error = errorOf({ domain: 'sensor', id: 'S1', fields });
    expect(error.split('; ')).toHaveLength(6);
    expect(error.endsWith('; and 3 more')).toBe(true);
  });
});

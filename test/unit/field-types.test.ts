import { describe, expect, it } from 'vitest';
import type { Observation } from '../../contract/index.js';
import { createFieldTypeRegistry } from '../../ingest/field-types.js';

const obs = (fields: Observation['fields'], extra: Partial<Observation> = {}): Observation => ({ domain: 'sensor', id: 'a', ts: 1, fields, ...extra });

describe('field-type registry', () => {
  it('takes a field’s first kind and refuses another kind after it, keeping the other fields', () => {
    const registry = createFieldTypeRegistry();
    expect(registry.admit(obs({ temp: 21 }))).toEqual([]);
    const mixed = obs({ temp: 'n/a', humidity: 60 }, { integers: { humidity: '60' } });
    expect(registry.admit(mixed)).toEqual([`fields.temp: "n/a" is a string, but field 'temp' of domain 'sensor' holds numbers`]);
    expect(mixed.fields).toEqual({ humidity: 60 });
    expect(registry.kindOf('sensor', 'humidity')).toBe('number');
    // Kinds are per domain.
    expect(registry.admit({ domain: 'queue', id: 'q', ts: 1, fields: { temp: 'n/a' } })).toEqual([]);
  });

  it('lets a declared kind win over the store’s and the first value’s', () => {
    const registry = createFieldTypeRegistry({ declared: { sensor: { status: 'string' } } });
    registry.learn([{ domain: 'sensor', field: 'status', kind: 'number' }, { domain: 'sensor', field: 'on', kind: 'boolean' }]);
    expect(registry.admit(obs({ status: 3 }))).toEqual([`fields.status: 3 is a number, but field 'status' of domain 'sensor' holds strings`]);
    expect(registry.admit(obs({ on: 'yes' }))).toEqual([`fields.on: "yes" is a string, but field 'on' of domain 'sensor' holds booleans`]);
  });

  it('stops remembering new fields past its cap, so a flood of names cannot grow it', () => {
    const registry = createFieldTypeRegistry({ maxFieldsPerDomain: 2 });
    registry.admit(obs({ a: 1, b: 2, c: 3 }));
    expect(registry.size('sensor')).toBe(2);
    expect(registry.admit(obs({ c: 'x' }))).toEqual([]);
  });

  it('makes a numeric field integer only by declaration or the store, never by a first `42i`', () => {
    const registry = createFieldTypeRegistry();
    const first = obs({ level: 42 }, { integers: { level: '42' } });
    expect(registry.admit(first)).toEqual([]);
    // Now a float field: the exact text is dropped (InfluxDB would refuse `42i` there), the value kept.
    expect(first.integers).toBeUndefined();
    expect(registry.kindOf('sensor', 'level')).toBe('number');
    expect(registry.admit(obs({ level: 42.5 }))).toEqual([]);
  });

  it('holds an integer field to whole numbers, exact text kept or made, and learns it from the store', () => {
    const registry = createFieldTypeRegistry({ declared: { sensor: { count: 'integer' } } });
    registry.learn([{ domain: 'sensor', field: 'total', kind: 'integer' }]);
    const big = obs({ count: 2 ** 63 }, { integers: { count: '9223372036854775807' } });
    expect(registry.admit(big)).toEqual([]);
    expect(big.integers).toEqual({ count: '9223372036854775807' });
    const whole = obs({ count: 42, total: -7 });
    expect(registry.admit(whole)).toEqual([]);
    expect(whole.integers).toEqual({ count: '42', total: '-7' });
    const decimal = obs({ count: 1.5, total: 2 ** 60, other: 1 });
    expect(registry.admit(decimal)).toEqual([
      `fields.count: 1.5 is not an exact integer, but field 'count' of domain 'sensor' holds integers`,
      `fields.total: ${2 ** 60} is not an exact integer, but field 'total' of domain 'sensor' holds integers`,
    ]);
    expect(decimal.fields).toEqual({ other: 1 });
    expect(decimal.integers).toBeUndefined();
    expect(registry.admit(obs({ count: 'n/a' }))).toEqual([
      `fields.count: "n/a" is a string, but field 'count' of domain 'sensor' holds integers`,
    ]);
  });

  it('takes the store’s kind over its own first guess on a refresh, never over a declaration', () => {
    const registry = createFieldTypeRegistry({ declared: { sensor: { pm10: 'number' } } });
    registry.admit(obs({ temp: 'n/a' }));
    expect(registry.learn([{ domain: 'sensor', field: 'temp', kind: 'number' }])).toBe(0);
    expect(registry.kindOf('sensor', 'temp')).toBe('string');
    const changed = registry.learn(
      [
        { domain: 'sensor', field: 'temp', kind: 'number' },
        { domain: 'sensor', field: 'pm10', kind: 'string' },
      ],
      true,
    );
    expect(changed).toBe(1);
    expect(registry.kindOf('sensor', 'temp')).toBe('number');
    expect(registry.kindOf('sensor', 'pm10')).toBe('number');
    expect(registry.admit(obs({ temp: 'n/a' }))).toEqual([`fields.temp: "n/a" is a string, but field 'temp' of domain 'sensor' holds numbers`]);
  });
});

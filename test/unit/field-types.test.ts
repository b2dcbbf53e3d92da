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
});

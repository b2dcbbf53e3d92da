import type { FieldValue, Observation } from '../contract/index.js';
import type { FieldKind } from '../contract/legal.js';

export type { FieldKind };

/** One field's kind in one domain (from the store's catalogue or the config). */
export interface FieldKindEntry {
  domain: string;
  field: string;
  kind: FieldKind;
}

/**
 * Per-domain field kinds, checked at the door. InfluxDB fixes a field's type per measurement at its first
 * write, so one device sending "n/a" for a numeric field would make every later number for that field
 * unstorable; refusing the odd value here keeps the field for everyone else. The embedded store follows the
 * same rule so both stores hold the same data.
 */
export interface FieldTypeRegistry {
  /**
   * Kinds the store holds. A declared kind always wins. At start (`authoritative` false) a kind already
   * registered stays; on a later refresh the store's kind replaces a kind this node only guessed from a
   * first value, so nodes that guessed differently (another node's device wrote first) agree again.
   * Returns how many kinds changed.
   */
  learn(entries: Iterable<FieldKindEntry>, authoritative?: boolean): number;
  /** The registered kind, if any. */
  kindOf(domain: string, field: string): FieldKind | undefined;
  /**
   * Removes the fields of `obs` whose kind differs from the registered one, registering fields seen for the
   * first time. Returns a reason per removed field (empty when all fit).
   */
  admit(obs: Observation): string[];
  /** Fields registered in a domain. */
  size(domain: string): number;
}

export interface FieldTypeRegistryOptions {
  /** Kinds declared in config (`ingest.fieldTypes`): domain → field → kind. */
  declared?: Readonly<Record<string, Readonly<Record<string, FieldKind>>>>;
  /** Fields remembered per domain; past it new fields pass unchecked, so a flood of names cannot grow memory. */
  maxFieldsPerDomain?: number;
}

const DEFAULT_MAX_FIELDS_PER_DOMAIN = 10_000;
const KIND_PLURAL: Record<FieldKind, string> = {
  number: 'numbers',
  integer: 'integers',
  boolean: 'booleans',
  string: 'strings',
};

/** The kind a value belongs to: every number is `number` (an integer field takes the integral ones, see `admit`). */
export function kindOfValue(value: FieldValue): Exclude<FieldKind, 'integer'> {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

function describe(value: FieldValue): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function createFieldTypeRegistry(options: FieldTypeRegistryOptions = {}): FieldTypeRegistry {
  const max = options.maxFieldsPerDomain ?? DEFAULT_MAX_FIELDS_PER_DOMAIN;
  const kinds = new Map<string, Map<string, FieldKind>>();
  /** domain\0field of the declared kinds, which nothing overrides. */
  const declared = new Set<string>();
  const fieldsOf = (domain: string): Map<string, FieldKind> => {
    let fields = kinds.get(domain);
    if (!fields) kinds.set(domain, (fields = new Map<string, FieldKind>()));
    return fields;
  };
  for (const [domain, fields] of Object.entries(options.declared ?? {})) {
    const into = fieldsOf(domain);
    for (const [field, kind] of Object.entries(fields)) {
      into.set(field, kind);
      declared.add(`${domain}\0${field}`);
    }
  }

  return {
    learn(entries, authoritative = false) {
      let changed = 0;
      for (const { domain, field, kind } of entries) {
        const into = fieldsOf(domain);
        const known = into.get(field);
        if (known === kind) continue;
        if (known === undefined ? into.size < max : authoritative && !declared.has(`${domain}\0${field}`)) {
          into.set(field, kind);
          changed += 1;
        }
      }
      return changed;
    },
    kindOf: (domain, field) => kinds.get(domain)?.get(field),
    admit(obs) {
      const fields = fieldsOf(obs.domain);
      let problems: string[] | undefined;
      for (const name in obs.fields) {
        const value = obs.fields[name]!;
        const kind = kindOfValue(value);
        let known = fields.get(name);
        if (known === undefined) {
          // First sight makes a numeric field `number`, even for `42i`: a field turns integer only by declaration
          // or because the store holds it so, or one device's first value would refuse every later decimal.
          if (fields.size < max) fields.set(name, kind);
          known = kind;
        }
        if (known === 'integer' && kind === 'number') {
          const exact = obs.integers?.[name];
          if (exact !== undefined) continue;
          if (Number.isSafeInteger(value)) {
            (obs.integers ??= {})[name] = String(value);
            continue;
          }
        } else if (known === kind) {
          // A float field keeps `42i` as the float it also is: the exact text would make InfluxDB refuse it.
          if (obs.integers !== undefined) delete obs.integers[name];
          continue;
        }
        (problems ??= []).push(
          `fields.${name}: ${describe(value)} is ${known === 'integer' && kind === 'number' ? 'not an exact integer' : `a ${kind}`}, but field '${name}' of domain '${obs.domain}' holds ${KIND_PLURAL[known]}`,
        );
        delete obs.fields[name];
        if (obs.integers) delete obs.integers[name];
      }
      if (obs.integers !== undefined && Object.keys(obs.integers).length === 0) delete obs.integers;
      return problems ?? [];
    },
    size: (domain) => kinds.get(domain)?.size ?? 0,
  };
}

/** True when an observation still carries something to store: a field or a position. */
export function hasContent(obs: Observation): boolean {
  if (obs.lat !== undefined) return true;
  for (const _ in obs.fields) return true;
  return false;
}

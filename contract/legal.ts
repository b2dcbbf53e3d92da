import { z } from 'zod';

// What the telemetry store can keep, declared once: the ingest validator refuses what fails here, and the
// InfluxDB line encoder escapes with the functions below, so a value that passes is written back unchanged.
// The rules follow InfluxDB's own line-protocol parser (models/points.go, the same in 1.x and 2.x):
// - in a measurement a ',' or ' ' is escaped by the backslash right before it; only `\,` and `\ ` are unescaped;
// - in tag keys, tag values and field keys ',', ' ' and '=' likewise; only `\,` `\ ` `\=` are unescaped, so every
//   other backslash (a run of them too) stays as written;
// - a backslash also escapes a line break, which then becomes part of the key or value.
// Hence a tag value cannot end in a backslash (it would escape the separator after it) nor hold a line break
// (the backslash that carries it stays in the stored value), and the empty tag value does not exist.

/** Tag keys InfluxDB refuses: `time` (1.x and 2.x), `_measurement` and `_field` (2.x). */
export const RESERVED_TAG_KEYS: ReadonlySet<string> = new Set(['time', '_measurement', '_field']);
/** Field names InfluxDB refuses (`time`), and `id`, which would shadow the entity id tag in every query. */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(['time', 'id']);
/** Tag key holding the entity id: an observation's own tags may not use it. */
export const ENTITY_ID_TAG = 'id';

/** Largest and smallest 64-bit signed integers: the integer range of both stores (InfluxDB, SQLite). */
export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
/** An exact integer as decimal text: optional minus, no leading zeros (what `integerText` returns). */
export const INTEGER_TEXT_PATTERN = /^(0|-?[1-9][0-9]{0,18})$/;

// C0 controls and DEL: a tab survives InfluxDB but not every client's escaping; line breaks survive neither.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function describeControl(text: string): string {
  const code = CONTROL.exec(text)?.[0].charCodeAt(0) ?? 0;
  const names: Record<number, string> = { 9: 'a tab', 10: 'a line break', 13: 'a carriage return', 0: 'a NUL' };
  return names[code] ?? `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** Why a tag value cannot be stored as it is; undefined when it can. */
export function tagValueProblem(value: string): string | undefined {
  if (value === '') return 'is empty: InfluxDB has no empty tag values, leave the tag out instead';
  if (CONTROL.test(value)) return `holds ${describeControl(value)}, which line protocol cannot carry in a tag value`;
  if (value.endsWith('\\')) {
    return 'ends in a backslash, which line protocol cannot carry at the end of a tag value (it would escape the separator after it)';
  }
  return undefined;
}

/** Why a tag key cannot be stored (beyond the contract's name pattern); undefined when it can. */
export function tagKeyProblem(key: string): string | undefined {
  if (key === ENTITY_ID_TAG) return "is the entity id's own tag: give the id as 'id' of the observation";
  if (RESERVED_TAG_KEYS.has(key)) return 'is reserved by InfluxDB and refused as a tag key';
  return undefined;
}

/** Why a field name cannot be stored (beyond the contract's name pattern); undefined when it can. */
export function fieldNameProblem(name: string): string | undefined {
  if (name === 'time') return 'is reserved by InfluxDB and refused as a field name';
  if (name === ENTITY_ID_TAG) return "would shadow the entity id tag 'id': rename the field";
  return undefined;
}

/** Why a number cannot be stored; undefined when it can (any finite double). */
export function numberProblem(value: number): string | undefined {
  if (Number.isNaN(value)) return 'is NaN: only finite numbers can be stored';
  if (!Number.isFinite(value)) return 'is infinite: only finite numbers can be stored';
  return undefined;
}

/**
 * Exact decimal text of an integer literal's digits (`-0009` → `-9`), or a reason when it is outside the
 * 64-bit signed range both stores keep (an unsigned value above 9223372036854775807 included).
 */
export function integerText(digits: string, negative: boolean): string | { error: string } {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  const trimmed = i === 0 ? digits : digits.slice(i);
  // Compared as text: no BigInt on the ingest hot path. 19 digits is the width of the int64 limits.
  const limit = negative ? '9223372036854775808' : '9223372036854775807';
  if (trimmed.length > 19 || (trimmed.length === 19 && trimmed > limit)) {
    return { error: `is outside the 64-bit integer range the store keeps (${INT64_MIN} to ${INT64_MAX})` };
  }
  return trimmed === '0' ? '0' : (negative ? '-' : '') + trimmed;
}

/** True when `text` is what `integerText` returns: canonical decimal text of a 64-bit signed integer. */
export function isIntegerText(text: string): boolean {
  if (!INTEGER_TEXT_PATTERN.test(text)) return false;
  const negative = text.charCodeAt(0) === 45;
  const digits = negative ? text.slice(1) : text;
  return digits.length < 19 || digits <= (negative ? '9223372036854775808' : '9223372036854775807');
}

/**
 * Exact integers of an observation: field name → decimal text of a 64-bit signed integer, for fields the sender
 * typed as integers (line protocol `42i`, `42u`). The field itself holds the nearest double, so readers that
 * know nothing of this map still see the value; the InfluxDB encoder writes the text as an integer.
 */
export const IntegersSchema = z.record(
  z.string(),
  z
    .string()
    .refine(isIntegerText, 'an exact integer is decimal text of a 64-bit signed integer, without leading zeros'),
);
export type Integers = z.infer<typeof IntegersSchema>;

// Escaping for the line encoder: the exact inverse of InfluxDB's unescaping above, for values that passed.

/** A measurement as line protocol writes it. */
export function escapeMeasurement(name: string): string {
  return name.replace(/[, ]/g, '\\$&');
}

/** A tag key, tag value or field key as line protocol writes it (the value must pass `tagValueProblem`). */
export function escapeKey(text: string): string {
  return text.replace(/[, =]/g, '\\$&');
}

/** A string field value as line protocol writes it, quotes included. */
export function quoteString(text: string): string {
  return '"' + text.replace(/["\\]/g, '\\$&') + '"';
}

/**
 * The kind of a field's values as both stores keep them. `integer` holds 64-bit signed integers exactly; a
 * field becomes one only by declaration (`ingest.fieldTypes`) or because the store already holds it as one,
 * never because one device's first value happened to be `42i`.
 */
export type FieldKind = 'number' | 'integer' | 'boolean' | 'string';

/** One kind for a field seen with two: an integer field that also holds floats is numeric, any other mix text. */
export function mergeFieldKinds(a: FieldKind, b: FieldKind): FieldKind {
  if (a === b) return a;
  if ((a === 'number' || a === 'integer') && (b === 'number' || b === 'integer')) return 'number';
  return 'string';
}

import { jsonTextNestsDeeper, MAX_JSON_DEPTH } from './json-depth.js';
import { Rfc3339Schema } from './rfc3339.js';
import type { DecodeContext, DecodeResult, DecodedItem, DecodeError } from './types.js';

// JSON payloads (wire contract v1). Two shapes:
// - observation: `{domain?, id?, ts?, lat?, lon?, fields: {...}, tags?}`; a missing domain or id comes from the
//   topic, a different one is an error;
// - flat, only on `city/<domain>/<id>`: `ts`, `lat`, `lon`, `tags` are reserved, every other top-level scalar is
//   a field. `domain` and `id` are also treated as reserved here (they must match the topic when present), so
//   a device echoing its own id does not grow an `id` field that would clash with the store's id tag.
// A `ts` string is read here as RFC 3339 the way senders write it (rfc3339.ts) and becomes milliseconds, so a
// bad one is refused with what is wrong with it.

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

const OBSERVATION_SHAPE = "expected an observation object with 'id' and a 'fields' object";

/** Parses JSON text; a failure carries the parser's reason. */
export function parseJson(text: string): JsonParse {
  if (jsonTextNestsDeeper(text)) return { ok: false, error: `malformed JSON: nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: `malformed JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Names the JSON type of a value for error messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : type === 'undefined' ? 'missing' : `a ${type}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mismatch(key: 'domain' | 'id', given: unknown, expected: string): string {
  return `${key} ${show(given)} differs from '${expected}' given by the topic`;
}

function observationShape(obj: Record<string, unknown>, ctx: DecodeContext): Record<string, unknown> | string {
  const { domain, id } = obj;
  if (domain !== undefined && ctx.domain !== undefined && domain !== ctx.domain) {
    return mismatch('domain', domain, ctx.domain);
  }
  if (id !== undefined && ctx.id !== undefined && id !== ctx.id) return mismatch('id', id, ctx.id);
  // Filled in place rather than copied: the object is the caller's own parse (one copy less per array element).
  if (domain === undefined && ctx.domain !== undefined) obj.domain = ctx.domain;
  if (id === undefined && ctx.id !== undefined) obj.id = ctx.id;
  return obj;
}

function flatShape(obj: Record<string, unknown>, ctx: DecodeContext): Record<string, unknown> | string {
  const fields: Record<string, unknown> = {};
  const item: Record<string, unknown> = { domain: ctx.domain, id: ctx.id, fields };
  let bad: string[] | undefined;
  for (const key in obj) {
    const value = obj[key];
    switch (key) {
      case 'ts':
      case 'lat':
      case 'lon':
      case 'tags':
        item[key] = value;
        continue;
      case 'domain':
      case 'id': {
        const expected = ctx[key];
        if (expected !== undefined && value !== expected) return mismatch(key, value, expected);
        item[key] = value;
        continue;
      }
    }
    const type = typeof value;
    if (type === 'number' || type === 'string' || type === 'boolean') fields[key] = value;
    else (bad ??= []).push(`'${key}' is ${describeType(value)}`);
  }
  if (bad !== undefined) {
    return `${bad.join(', ')}: every key except ts, lat, lon and tags is a field and must be a number, boolean or string`;
  }
  return item;
}

/** Replaces an RFC 3339 `ts` by its milliseconds; the reason when the text is not a date-time. */
function readTimestamp(item: Record<string, unknown> | string): Record<string, unknown> | string {
  if (typeof item === 'string' || typeof item.ts !== 'string') return item;
  const parsed = Rfc3339Schema.safeParse(item.ts);
  if (!parsed.success) return parsed.error.issues[0]?.message ?? `ts '${item.ts}' is not an RFC 3339 date-time`;
  item.ts = parsed.data;
  return item;
}

/** Turns one JSON object into an observation-shaped value, or an error reason; fills a missing domain/id into it. */
export function decodeJsonObject(value: unknown, ctx: DecodeContext): Record<string, unknown> | string {
  if (!isObject(value)) return `${OBSERVATION_SHAPE}, got ${describeType(value)}`;
  if (value.fields !== undefined) return readTimestamp(observationShape(value, ctx));
  if (ctx.id !== undefined) return readTimestamp(flatShape(value, ctx));
  return `${OBSERVATION_SHAPE} (domain, ts, lat, lon and tags are optional)`;
}

/**
 * Decodes a parsed JSON payload: one object, or an array whose elements are decoded one by one. The objects are
 * taken over: a domain or id missing from an observation is filled into it from the topic.
 */
export function decodeJsonValue(value: unknown, ctx: DecodeContext): DecodeResult {
  const items: DecodedItem[] = [];
  const errors: DecodeError[] = [];
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const decoded = decodeJsonObject(value[index], ctx);
      if (typeof decoded === 'string') errors.push({ index, error: decoded });
      else items.push({ index, value: decoded });
    }
  } else if (isObject(value)) {
    const decoded = decodeJsonObject(value, ctx);
    if (typeof decoded === 'string') errors.push({ index: 0, error: decoded });
    else items.push({ index: 0, value: decoded });
  } else {
    errors.push({ index: 0, error: `expected a JSON object or an array of objects, got ${describeType(value)}` });
  }
  return { items, errors };
}

/** Decodes JSON text; malformed JSON is one error at index 0 with the parser's reason. */
export function decodeJson(text: string, ctx: DecodeContext): DecodeResult {
  const parsed = parseJson(text);
  if (!parsed.ok) return { items: [], errors: [{ index: 0, error: parsed.error }] };
  return decodeJsonValue(parsed.value, ctx);
}

// Over 350 lines: the fast path and the zod path, with the storage rules both apply, are kept side by side so a
// reader can hold them to each other (test/unit/normalize-equivalence.test.ts does so mechanically).
import type { z } from 'zod';
import {
  DOMAIN_PATTERN,
  ENTITY_ID_PATTERN,
  FIELD_NAME_PATTERN,
  LatitudeSchema,
  LongitudeSchema,
  MAX_FIELDS,
  MAX_STRING_FIELD,
  MAX_TAG_VALUE,
  MAX_TAGS,
  ObservationInputSchema,
  TAG_KEY_PATTERN,
  WireTimestampSchema,
  type Fields,
  type Observation,
  type ObservationInput,
  type Tags,
} from '../contract/observation.js';
import { fieldNameProblem, isIntegerText, tagKeyProblem, tagValueProblem, type Integers } from '../contract/legal.js';

export interface NormalizeOptions {
  /** Server time in ms since epoch: stamps observations without `ts` and anchors the limits below. */
  now: number;
  /** How far ahead of `now` a `ts` may be. */
  maxFutureMs: number;
  /** How far behind `now` a `ts` may be. */
  maxPastMs: number;
  /** Domains this deployment knows (built-in plus configured). */
  domains: ReadonlySet<string>;
}

export type NormalizeResult = { ok: true; observation: Observation } | { ok: false; error: string };

/** At most this many issues are spelled out; the rest are counted. */
const MAX_ISSUES = 5;
const GENERIC_PREFIX = 'Invalid input: ';
/** The ts schema's `nonnegative` in words: line protocol and SenML can carry times before 1970. */
const NEGATIVE_TIME = 'times before 1970 (negative ms) cannot be stored';
/** Latest time `Date#toISOString` can print. */
const MAX_DATE_MS = 8.64e15;

type Issue = z.core.$ZodIssue;

function issueMessage(issue: Issue): string {
  if (issue.code === 'invalid_union' && issue.message === 'Invalid input') {
    // Unions without their own message (ts: number | RFC 3339): prefer the branch that says something specific.
    const messages = issue.errors.map((branch) => branch[0]?.message ?? '');
    return (messages.find((m) => m !== '' && !m.startsWith(GENERIC_PREFIX)) ?? messages[0] ?? issue.message).replace(
      GENERIC_PREFIX,
      '',
    );
  }
  if (issue.code === 'too_small' && issue.path[0] === 'ts' && issue.minimum === 0) return NEGATIVE_TIME;
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  // zod says "expected string, received undefined" for a missing key; an error map passed to safeParse would
  // say it better but slows every successful parse (~1.5x measured), so the message is rewritten here instead.
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `required (${issue.expected})`;
  }
  return issue.message.startsWith(GENERIC_PREFIX) ? issue.message.slice(GENERIC_PREFIX.length) : issue.message;
}

/** "path: message" for each issue, joined with "; ". */
function formatIssues(issues: readonly Issue[]): string {
  const shown = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.length === 0 ? 'observation' : issue.path.map(String).join('.');
    const message = issueMessage(issue);
    // Contract messages such as "id must match ..." already start with the path; do not say it twice.
    return message.startsWith(`${path} `) ? message : `${path}: ${message}`;
  });
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more`);
  return shown.join('; ');
}

/** A duration in the largest unit that divides it evenly, as config writes them (5m, 7d, 1500ms). */
function formatDuration(ms: number): string {
  if (ms > 0 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms > 0 && ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

function formatTime(ms: number): string {
  return ms <= MAX_DATE_MS ? new Date(ms).toISOString() : `${ms} ms`;
}

/** Moves numeric `fields.lat`/`fields.lon` into the position (range-checked by the contract); false when out of range. */
function liftPosition(input: ObservationInput, errors: string[]): boolean {
  const { lat, lon } = input.fields;
  if (typeof lat !== 'number' && typeof lon !== 'number') return true;
  const before = errors.length;
  const fields = { ...input.fields };
  if (typeof lat === 'number') {
    const parsed = LatitudeSchema.safeParse(lat);
    if (parsed.success) input.lat ??= lat;
    else errors.push(`fields.lat: ${issueMessage(parsed.error.issues[0] as Issue)}`);
    delete fields.lat;
  }
  if (typeof lon === 'number') {
    const parsed = LongitudeSchema.safeParse(lon);
    if (parsed.success) input.lon ??= lon;
    else errors.push(`fields.lon: ${issueMessage(parsed.error.issues[0] as Issue)}`);
    delete fields.lon;
  }
  input.fields = fields;
  return errors.length === before;
}

/** Names that already matched a pattern, so the names a fleet repeats skip the regex; emptied when full. */
class MatchedNames {
  private readonly names = new Set<string>();

  constructor(
    private readonly pattern: RegExp,
    private readonly capacity: number,
  ) {}

  matches(name: string): boolean {
    if (this.names.has(name)) return true;
    if (!this.pattern.test(name)) return false;
    if (this.names.size >= this.capacity) this.names.clear();
    this.names.add(name);
    return true;
  }
}

const NAME_CACHE_CAPACITY = 4096;
const fieldNames = new MatchedNames(FIELD_NAME_PATTERN, NAME_CACHE_CAPACITY);
const tagKeys = new MatchedNames(TAG_KEY_PATTERN, NAME_CACHE_CAPACITY);
const RFC3339_PATTERN = contractDateTimePattern();
const OBJECT_PROTOTYPE = Object.prototype;

/** The contract's own RFC 3339 pattern (the string branch of the `ts` union), so both paths agree by construction. */
function contractDateTimePattern(): RegExp {
  const pattern = WireTimestampSchema.options[1]._zod.pattern;
  if (pattern === undefined) throw new Error("the contract's ts schema has no RFC 3339 pattern");
  return pattern;
}

/**
 * A record zod's `z.record` takes as it is: an object literal or null-prototype object without symbol keys
 * (zod rejects enumerable symbol keys and anything class-like; those cases go to the schema).
 */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return (prototype === OBJECT_PROTOTYPE || prototype === null) && Object.getOwnPropertySymbols(value).length === 0;
}

/** zod's `max` on strings counts code points: a surrogate pair is one. Counted only past the limit in UTF-16 units. */
function withinLength(text: string, max: number): boolean {
  if (text.length <= max) return true;
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length -= 1;
      i += 1;
    }
  }
  return length <= max;
}

/** Copies valid fields; undefined when any would be rejected. Numeric lat/lon go to `position` instead. */
function copyFields(fields: Record<string, unknown>, position: { lat?: number; lon?: number }): Fields | undefined {
  const copy: Fields = {};
  let count = 0;
  for (const name of Object.keys(fields)) {
    // zod silently drops an own "__proto__" key; the schema path handles that rare case.
    if (name === '__proto__' || !fieldNames.matches(name) || fieldNameProblem(name) !== undefined) return undefined;
    const value = fields[name];
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return undefined;
    } else if (typeof value === 'string') {
      if (!withinLength(value, MAX_STRING_FIELD)) return undefined;
    } else if (typeof value !== 'boolean') {
      return undefined;
    }
    if (++count > MAX_FIELDS) return undefined;
    if (name === 'lat' || name === 'lon') {
      // Fields lat/lon are the position: the store keeps no field of that name, so only a number will do.
      if (typeof value !== 'number') return undefined;
      if (name === 'lat' ? value < -90 || value > 90 : value < -180 || value > 180) return undefined;
      position[name] = value;
      continue;
    }
    copy[name] = value;
  }
  return copy;
}

/** Copies valid tags; undefined when any would be rejected. */
function copyTags(tags: Record<string, unknown>): Tags | undefined {
  const copy: Tags = {};
  let count = 0;
  for (const key of Object.keys(tags)) {
    if (key === '__proto__' || !tagKeys.matches(key) || tagKeyProblem(key) !== undefined) return undefined;
    const value = tags[key];
    if (typeof value !== 'string' || !withinLength(value, MAX_TAG_VALUE) || ++count > MAX_TAGS) return undefined;
    if (tagValueProblem(value) !== undefined) return undefined;
    copy[key] = value;
  }
  return copy;
}

/** Why `integers` does not fit `fields`: each entry must name a numeric field and hold its exact value. */
function integersProblems(integers: Integers, fields: Fields): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(integers)) {
    const text = integers[name] as string;
    const value = fields[name];
    if (typeof value !== 'number') problems.push(`integers.${name}: names no numeric field`);
    else if (Number(text) !== value)
      problems.push(`integers.${name}: ${text} is not the value of field '${name}' (${value})`);
  }
  return problems;
}

/** Copies valid exact integers; undefined when any would be rejected. */
function copyIntegers(integers: unknown, fields: Fields): Integers | undefined {
  if (!isPlainRecord(integers)) return undefined;
  const copy: Integers = {};
  for (const name of Object.keys(integers)) {
    const text = integers[name];
    if (name === '__proto__' || typeof text !== 'string' || !isIntegerText(text)) return undefined;
    const value = fields[name];
    if (typeof value !== 'number' || Number(text) !== value) return undefined;
    copy[name] = text;
  }
  return copy;
}

/** `ts` in ms when it is valid and within the limits; undefined otherwise. */
function acceptedTimestamp(ts: unknown, options: NormalizeOptions): number | undefined {
  let ms: number;
  if (ts === undefined) ms = options.now;
  else if (typeof ts === 'number') {
    if (!Number.isSafeInteger(ts) || ts < 0) return undefined;
    ms = ts;
  } else if (typeof ts === 'string') {
    if (!RFC3339_PATTERN.test(ts)) return undefined;
    ms = Date.parse(ts);
  } else return undefined;
  // The same comparisons as the schema path, so an unusual value (e.g. NaN from Date.parse) fares the same.
  if (ms > options.now + options.maxFutureMs || ms < options.now - options.maxPastMs || ms < 0) return undefined;
  return ms;
}

/**
 * The common case without zod: builds the Observation when the item is certainly valid, and returns undefined
 * whenever the schema path might decide otherwise (it then accepts or words the rejection). Exported for tests.
 */
export function fastObservation(value: unknown, options: NormalizeOptions): Observation | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { domain, id, ts, lat, lon, fields, tags, integers } = value as Record<string, unknown>;
  if (typeof domain !== 'string' || !options.domains.has(domain) || !DOMAIN_PATTERN.test(domain)) return undefined;
  if (typeof id !== 'string' || !ENTITY_ID_PATTERN.test(id)) return undefined;
  const ms = acceptedTimestamp(ts, options);
  if (ms === undefined) return undefined;
  if (lat !== undefined && !(typeof lat === 'number' && lat >= -90 && lat <= 90)) return undefined;
  if (lon !== undefined && !(typeof lon === 'number' && lon >= -180 && lon <= 180)) return undefined;
  if (!isPlainRecord(fields)) return undefined;
  const lifted: { lat?: number; lon?: number } = {};
  const copiedFields = copyFields(fields, lifted);
  if (copiedFields === undefined) return undefined;
  let copiedTags: Tags | undefined;
  if (tags !== undefined) {
    if (!isPlainRecord(tags)) return undefined;
    copiedTags = copyTags(tags);
    if (copiedTags === undefined) return undefined;
  }
  let copiedIntegers: Integers | undefined;
  if (integers !== undefined) {
    copiedIntegers = copyIntegers(integers, copiedFields);
    if (copiedIntegers === undefined) return undefined;
  }
  // A position given at the top level wins over numeric lat/lon fields, as in liftPosition.
  const finalLat = lat ?? lifted.lat;
  const finalLon = lon ?? lifted.lon;
  if ((finalLat === undefined) !== (finalLon === undefined)) return undefined;
  if (finalLat === undefined) {
    let hasField = false;
    for (const _ in copiedFields) {
      hasField = true;
      break;
    }
    if (!hasField) return undefined;
  }
  const observation: Observation = { domain, id, ts: ms, fields: copiedFields };
  if (finalLat !== undefined) {
    observation.lat = finalLat;
    observation.lon = finalLon;
  }
  if (copiedTags !== undefined) observation.tags = copiedTags;
  if (copiedIntegers !== undefined) observation.integers = copiedIntegers;
  return observation;
}

/** Validates a decoded item against the wire contract and turns it into an Observation with `ts` in ms. */
export function normalizeObservation(value: unknown, options: NormalizeOptions): NormalizeResult {
  // zod costs ~10 % of ingest CPU plus garbage (BENCHMARKS.md hot spot 4): it runs only when the fast path declines.
  const observation = fastObservation(value, options);
  if (observation !== undefined) return { ok: true, observation };
  return normalizeWithSchema(value, options);
}

/** What the store could not keep as given (contract/legal.ts): reserved names, unwritable tag values, bad integers. */
function storageProblems(input: ObservationInput): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(input.fields)) {
    const problem = fieldNameProblem(name);
    if (problem !== undefined) problems.push(`fields.${name}: field name '${name}' ${problem}`);
    const value = input.fields[name];
    if ((name === 'lat' || name === 'lon') && typeof value !== 'number') {
      problems.push(`fields.${name}: ${name} gives the position and must be a number, got ${JSON.stringify(value)}`);
    }
  }
  if (input.tags !== undefined) {
    for (const key of Object.keys(input.tags)) {
      const keyProblem = tagKeyProblem(key);
      if (keyProblem !== undefined) problems.push(`tags.${key}: tag key '${key}' ${keyProblem}`);
      const valueProblem = tagValueProblem(input.tags[key] as string);
      if (valueProblem !== undefined) problems.push(`tags.${key}: the value ${valueProblem}`);
    }
  }
  if (input.integers !== undefined) problems.push(...integersProblems(input.integers, input.fields));
  return problems;
}

/**
 * The reference path: the contract's zod schema, then the server-side checks. Every rejection is worded here;
 * exported so tests can hold the fast path to it.
 */
export function normalizeWithSchema(value: unknown, options: NormalizeOptions): NormalizeResult {
  const parsed = ObservationInputSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error.issues) };
  // The parsed data is zod's fresh copy, so adjusting it in place touches nothing the caller holds.
  const input = parsed.data;
  const errors: string[] = [];

  if (!options.domains.has(input.domain)) {
    errors.push(`unknown domain '${input.domain}': known domains are ${[...options.domains].join(', ')}`);
  }

  const ts = input.ts === undefined ? options.now : typeof input.ts === 'number' ? input.ts : Date.parse(input.ts);
  if (ts > options.now + options.maxFutureMs) {
    errors.push(`ts: ${formatTime(ts)} is more than ${formatDuration(options.maxFutureMs)} ahead of server time`);
  } else if (ts < options.now - options.maxPastMs) {
    errors.push(`ts: ${formatTime(ts)} is more than ${formatDuration(options.maxPastMs)} older than server time`);
  } else if (ts < 0) {
    errors.push(`ts: ${formatTime(ts)} is before 1970`);
  }

  errors.push(...storageProblems(input));
  const positionOk = liftPosition(input, errors);
  const hasLat = input.lat !== undefined;
  if (positionOk && hasLat !== (input.lon !== undefined)) errors.push('lat and lon must be given together');
  let hasField = false;
  for (const _ in input.fields) {
    hasField = true;
    break;
  }
  if (!hasField && !hasLat && positionOk)
    errors.push('fields: an observation needs at least one field or a position (lat, lon)');
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };

  const observation: Observation = { domain: input.domain, id: input.id, ts, fields: input.fields };
  if (hasLat) {
    observation.lat = input.lat;
    observation.lon = input.lon;
  }
  if (input.tags !== undefined) observation.tags = input.tags;
  if (input.integers !== undefined) observation.integers = input.integers;
  return { ok: true, observation };
}

import type { z } from 'zod';
import {
  LatitudeSchema,
  LongitudeSchema,
  ObservationInputSchema,
  type Observation,
  type ObservationInput,
} from '../contract/observation.js';

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

/** Validates a decoded item against the wire contract and turns it into an Observation with `ts` in ms. */
export function normalizeObservation(value: unknown, options: NormalizeOptions): NormalizeResult {
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
  return { ok: true, observation };
}

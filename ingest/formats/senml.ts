import { describeType, parseJson } from './json.js';
import type { DecodeContext, DecodeResult, DecodedItem, DecodeError } from './types.js';

// SenML JSON packs (RFC 8428, https://www.rfc-editor.org/rfc/rfc8428). Records are resolved against the base
// fields in effect (§4.6), then grouped by entity and resolved time: one observation per group.
//
// Which entity and field a record names:
// - on `city/<domain>/<id>` the topic gives the entity and `n` alone (without the base name) gives the field;
// - elsewhere, when a base name is in effect and the record has `n`, the entity is the base name with one
//   trailing ':', '/' or '.' removed and `n` is the field (`bn: "urn:dev:S1:"`, `n: "pm25"` → S1 pm25 under
//   entity `urn:dev:S1`);
// - otherwise the resolved name is split at its last '/' or ':' into "<id>/<field>" or "<id>:<field>".
//   '.' is not a separator there because both ids and field names may contain dots ("pm2.5").
// Records named `lat`/`lon`, or with unit `lat`/`lon` (RFC 8428 §12.1), give the position.
// Units are otherwise dropped: observations carry no units (wire contract v1).

/** RFC 8428 §4.5.3: a resolved time below 2^28 s is relative to the receiver's "now". */
const RELATIVE_TIME_LIMIT = 2 ** 28;
/** The SenML version this decoder understands (RFC 8428 §4.4). */
const SENML_VERSION = 10;
const BASE_KEYS = ['bn', 'bt', 'bv', 'bs', 'bu', 'bver'];
const SENML_KEYS = ['bn', 'bt', 'bv', 'bs', 'bu', 'bver', 'n', 'u', 'v', 'vs', 'vb', 'vd', 's', 't', 'ut'];
const DOMAIN_MISSING = 'SenML carries no domain: send it on city/<domain>[/<id>], or over HTTP with ?domain=<domain>';

interface Base {
  bn: string;
  bt: number;
  bv: number;
  bs: number;
  bu: string | undefined;
}

interface Resolved {
  entity: string;
  field: string;
  ts: number | undefined;
  value: number | boolean | string;
  axis: 'lat' | 'lon' | undefined;
}

interface SenmlItem {
  domain: string;
  id: string;
  ts?: number;
  lat?: number;
  lon?: number;
  fields: Record<string, number | boolean | string>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when a parsed JSON array reads as SenML: some element has a SenML label and none has `fields`. */
export function looksLikeSenml(array: readonly unknown[]): boolean {
  let senml = false;
  for (const element of array) {
    if (!isRecord(element)) continue;
    if (element.fields !== undefined) return false;
    if (!senml) senml = SENML_KEYS.some((key) => element[key] !== undefined);
  }
  return senml;
}

/** Validates the base fields of a record and applies them to `base`; an error leaves `base` untouched. */
function applyBase(record: Record<string, unknown>, base: Base): string | undefined {
  const { bn, bt, bv, bs, bu, bver } = record;
  if (bn !== undefined && typeof bn !== 'string') return `'bn' (base name) must be a string, got ${describeType(bn)}`;
  if (bt !== undefined && typeof bt !== 'number') return `'bt' (base time) must be a number, got ${describeType(bt)}`;
  if (bv !== undefined && typeof bv !== 'number') return `'bv' (base value) must be a number, got ${describeType(bv)}`;
  if (bs !== undefined && typeof bs !== 'number') return `'bs' (base sum) must be a number, got ${describeType(bs)}`;
  if (bu !== undefined && typeof bu !== 'string') return `'bu' (base unit) must be a string, got ${describeType(bu)}`;
  if (
    bver !== undefined &&
    !(typeof bver === 'number' && Number.isInteger(bver) && bver > 0 && bver <= SENML_VERSION)
  ) {
    return `'bver' ${JSON.stringify(bver)} is not supported: expected a SenML version from 1 to ${SENML_VERSION}`;
  }
  if (bn !== undefined) base.bn = bn;
  if (bt !== undefined) base.bt = bt;
  if (bv !== undefined) base.bv = bv;
  if (bs !== undefined) base.bs = bs;
  if (bu !== undefined) base.bu = bu;
  return undefined;
}

/** The value of a record; undefined when it has none. */
function recordValue(
  record: Record<string, unknown>,
  base: Base,
): number | boolean | string | undefined | { error: string } {
  const { v, vs, vb, vd, s } = record;
  const count = +(v !== undefined) + +(vs !== undefined) + +(vb !== undefined) + +(vd !== undefined);
  if (count > 1) return { error: 'a record carries one value: v, vs, vb or vd' };
  if (v !== undefined)
    return typeof v === 'number' ? base.bv + v : { error: `'v' must be a number, got ${describeType(v)}` };
  if (vs !== undefined)
    return typeof vs === 'string' ? vs : { error: `'vs' must be a string, got ${describeType(vs)}` };
  if (vb !== undefined)
    return typeof vb === 'boolean' ? vb : { error: `'vb' must be a boolean, got ${describeType(vb)}` };
  if (vd !== undefined)
    return typeof vd === 'string' ? vd : { error: `'vd' must be a base64 string, got ${describeType(vd)}` };
  if (s !== undefined)
    return typeof s === 'number' ? base.bs + s : { error: `'s' (sum) must be a number, got ${describeType(s)}` };
  return undefined;
}

function stripSeparator(name: string): string {
  const last = name.charCodeAt(name.length - 1);
  return last === 58 || last === 47 || last === 46 ? name.slice(0, -1) : name; // ':', '/', '.'
}

/** Resolves one record; null for a record that only sets base fields, a string for an error. */
function resolve(
  record: Record<string, unknown>,
  base: Base,
  ctx: DecodeContext,
  now: number,
): Resolved | null | string {
  for (const key in record) {
    if (key.endsWith('_'))
      return `'${key}' is a must-understand field (RFC 8428 §4.4) that this receiver does not support`;
  }
  const baseError = applyBase(record, base);
  if (baseError !== undefined) return baseError;
  const { n, t, u } = record;
  if (n !== undefined && typeof n !== 'string') return `'n' (name) must be a string, got ${describeType(n)}`;
  if (t !== undefined && typeof t !== 'number') return `'t' (time) must be a number of seconds, got ${describeType(t)}`;
  if (u !== undefined && typeof u !== 'string') return `'u' (unit) must be a string, got ${describeType(u)}`;
  const value = recordValue(record, base);
  if (typeof value === 'object') return value.error;
  if (value === undefined) {
    if (n === undefined && BASE_KEYS.some((key) => record[key] !== undefined)) return null;
    if (n === undefined) return 'record has neither a name nor a value: expected n and one of v, vs, vb, vd or s';
    return `record '${base.bn}${n}' has no value: expected v, vs, vb, vd or s`;
  }

  let entity: string;
  let field: string;
  if (ctx.id !== undefined) {
    if (n === undefined || n === '') return "record has no 'n': on city/<domain>/<id> the name gives the field";
    entity = ctx.id;
    field = n;
  } else if (base.bn !== '' && n !== undefined && n !== '') {
    entity = stripSeparator(base.bn);
    field = n;
  } else {
    const name = base.bn + (n ?? '');
    const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf(':'));
    if (cut <= 0 || cut === name.length - 1) {
      return `cannot tell entity from field in name '${name}': give the entity as base name 'bn', or name records '<id>/<field>'`;
    }
    entity = name.slice(0, cut);
    field = name.slice(cut + 1);
  }

  const time = base.bt + (t ?? 0);
  // Time 0 is "now" (§4.5.3): leave ts out so the server's clock stamps it.
  const ts = time === 0 ? undefined : Math.round(time < RELATIVE_TIME_LIMIT ? now + time * 1000 : time * 1000);
  const unit = u ?? base.bu;
  const axis = field === 'lat' || unit === 'lat' ? 'lat' : field === 'lon' || unit === 'lon' ? 'lon' : undefined;
  return { entity, field, ts, value, axis };
}

/** Decodes a parsed SenML pack; `now` (ms) anchors relative times. */
export function decodeSenmlValue(pack: unknown, ctx: DecodeContext, now: number): DecodeResult {
  const errors: DecodeError[] = [];
  if (!Array.isArray(pack)) {
    return {
      items: [],
      errors: [{ index: 0, error: `SenML must be a JSON array of records, got ${describeType(pack)}` }],
    };
  }
  const domain = ctx.domain;
  if (domain === undefined) return { items: [], errors: [{ index: 0, error: DOMAIN_MISSING }] };
  const base: Base = { bn: '', bt: 0, bv: 0, bs: 0, bu: undefined };
  const groups = new Map<string, DecodedItem & { value: SenmlItem }>();
  for (let index = 0; index < pack.length; index++) {
    const record: unknown = pack[index];
    if (!isRecord(record)) {
      errors.push({ index, error: `a SenML record must be an object, got ${describeType(record)}` });
      continue;
    }
    const resolved = resolve(record, base, ctx, now);
    if (resolved === null) continue;
    if (typeof resolved === 'string') {
      errors.push({ index, error: resolved });
      continue;
    }
    const key = resolved.ts === undefined ? resolved.entity : `${resolved.entity}\n${resolved.ts}`;
    let group = groups.get(key);
    if (group === undefined) {
      const item: SenmlItem = { domain, id: resolved.entity, fields: {} };
      if (resolved.ts !== undefined) item.ts = resolved.ts;
      group = { index, value: item };
      groups.set(key, group);
    }
    // A non-numeric lat/lon stays in place so the schema reports it as a bad position.
    if (resolved.axis !== undefined) group.value[resolved.axis] = resolved.value as number;
    else group.value.fields[resolved.field] = resolved.value;
  }
  return { items: [...groups.values()], errors };
}

/** Decodes SenML JSON text; `now` (ms) anchors relative times. */
export function decodeSenml(text: string, ctx: DecodeContext, now: number): DecodeResult {
  const parsed = parseJson(text);
  if (!parsed.ok) return { items: [], errors: [{ index: 0, error: parsed.error }] };
  return decodeSenmlValue(parsed.value, ctx, now);
}

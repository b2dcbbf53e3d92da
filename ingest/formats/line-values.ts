import { integerText } from '../../contract/legal.js';
import type { DecodeContext } from './types.js';

// Field values and timestamps of InfluxDB line protocol, read as InfluxDB's parser reads them
// (models/points.go: scanNumber, scanBoolean, ParsePointsWithPrecision).

const MINUS = 45;
const DOT = 46;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const LOWER_I = 105;
const LOWER_U = 117;

export const EXPECTED_VALUE =
  'expected a float (1.5, -2e3), an integer (42i), an unsigned integer (42u), a boolean (t, true, f, false) or a quoted string';
const BOOLEANS: Readonly<Record<string, boolean>> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** Where parseScalar puts its answer: reused for every field of a payload, so parsing allocates nothing. */
export interface ScalarResult {
  value: number | boolean;
  /** Decimal text of an integer (`42i`, `42u`), kept beside its nearest double; undefined for other values. */
  exact: string | undefined;
  error: string;
}

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** True when text[from, to) is one or more ASCII digits. */
export function allDigits(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** Float syntax InfluxDB takes: -?(digits[.digits]|.digits)([eE][+-]?digits)?; no '+' sign, no hex, no Inf/NaN. */
function isFloatSyntax(token: string): boolean {
  const start = token.charCodeAt(0) === MINUS ? 1 : 0;
  let i = start;
  while (isDigit(token.charCodeAt(i))) i++;
  let digits = i - start;
  if (token.charCodeAt(i) === DOT) {
    const fraction = ++i;
    while (isDigit(token.charCodeAt(i))) i++;
    digits += i - fraction;
  }
  if (digits === 0) return false;
  if (i === token.length) return true;
  const e = token.charCodeAt(i);
  if (e !== 101 && e !== 69) return false; // e, E
  i++;
  const sign = token.charCodeAt(i);
  if (sign === 43 || sign === MINUS) i++; // +, -
  return allDigits(token, i, token.length);
}

function fail(out: ScalarResult, error: string): false {
  out.error = error;
  return false;
}

function integerValue(token: string, key: string, signed: boolean, out: ScalarResult): boolean {
  const negative = token.charCodeAt(0) === MINUS;
  const kind = signed ? 'integer' : 'unsigned integer';
  if ((negative && !signed) || !allDigits(token, negative ? 1 : 0, token.length - 1)) {
    return fail(out, `field '${key}': '${token}' is not a valid ${kind}; ${EXPECTED_VALUE}`);
  }
  const exact = integerText(token.slice(negative ? 1 : 0, -1), negative);
  if (typeof exact === 'object') return fail(out, `field '${key}': ${token} ${exact.error}`);
  out.value = Number(exact);
  out.exact = exact;
  return true;
}

/** Parses an unquoted field value (number or boolean) into `out`; false with `out.error` when it is none. */
export function parseScalar(token: string, key: string, out: ScalarResult): boolean {
  out.exact = undefined;
  const last = token.charCodeAt(token.length - 1);
  if (last === LOWER_I || last === LOWER_U) return integerValue(token, key, last === LOWER_I, out);
  const first = token.charCodeAt(0);
  if (first === 116 || first === 84 || first === 102 || first === 70) {
    // t, T, f, F: only then a (cheap, but string-hashing) boolean lookup
    const bool = BOOLEANS[token];
    if (bool !== undefined) {
      out.value = bool;
      return true;
    }
  }
  if (isFloatSyntax(token)) {
    const n = Number(token);
    if (!Number.isFinite(n)) return fail(out, `field '${key}': ${token} is out of range for a 64-bit float`);
    out.value = n === 0 ? 0 : n; // no -0: stores print it as 0 anyway
    return true;
  }
  if (NON_FINITE.test(token)) {
    return fail(out, `field '${key}': ${token} is not accepted: values must be finite numbers`);
  }
  return fail(out, `field '${key}': '${token}' is not a valid value; ${EXPECTED_VALUE}`);
}

/** Digits to drop to get milliseconds (ns, us); the coarser units multiply instead (UNIT_MS). */
const MS_SHIFT: Readonly<Record<NonNullable<DecodeContext['precision']>, number>> = {
  ns: 6,
  us: 3,
  ms: 0,
  s: 0,
  m: 0,
  h: 0,
};
const UNIT_MS: Readonly<Record<NonNullable<DecodeContext['precision']>, number>> = {
  ns: 1,
  us: 1,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const NS_PER_UNIT: Readonly<Record<NonNullable<DecodeContext['precision']>, bigint>> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const NS_PER_UNIT_APPROX: Readonly<Record<NonNullable<DecodeContext['precision']>, number>> = {
  ns: 1,
  us: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 6e10,
  h: 3.6e12,
};
/** InfluxDB's time range in ns (models.MinNanoTime, models.MaxNanoTime). */
const MIN_NANO = -9223372036854775806n;
const MAX_NANO = 9223372036854775806n;

/** The precision InfluxDB would need to be told; without one, guessed from the magnitude (a product extension). */
function unitOf(significant: string, precision: DecodeContext['precision']): NonNullable<DecodeContext['precision']> {
  if (precision !== undefined) return precision;
  return significant.length >= 18 ? 'ns' : significant.length >= 15 ? 'us' : significant.length >= 12 ? 'ms' : 's';
}

/**
 * Milliseconds since the epoch from a timestamp token, or a reason. Exact: digits are cut as text, and a
 * negative time with a sub-millisecond part is floored, so the millisecond returned is the one the instant lies in.
 */
export function timestampMs(token: string, precision: DecodeContext['precision']): number | { error: string } {
  const negative = token.charCodeAt(0) === MINUS;
  const from = negative ? 1 : 0;
  if (!allDigits(token, from, token.length)) {
    return { error: `timestamp '${token}' is not an integer (ns, us, ms or s since the epoch)` };
  }
  let significant = token.slice(from);
  let z = 0;
  while (z < significant.length - 1 && significant.charCodeAt(z) === DIGIT_0) z++;
  if (z > 0) significant = significant.slice(z);
  const unit = unitOf(significant, precision);
  // InfluxDB parses the digits as an int64 and then refuses what lies outside its ns range.
  if (
    significant.length > 19 ||
    (significant.length === 19 && significant > (negative ? '9223372036854775808' : '9223372036854775807'))
  ) {
    return { error: `timestamp ${token} is out of range` };
  }
  // Far from the limits a double decides; near them BigInt does, exactly.
  const approxNs = Number(significant) * NS_PER_UNIT_APPROX[unit];
  if (approxNs > 9.2e18) {
    const ns = (negative ? -BigInt(significant) : BigInt(significant)) * NS_PER_UNIT[unit];
    if (ns < MIN_NANO || ns > MAX_NANO) {
      return { error: `timestamp ${token} (precision ${unit}) is outside InfluxDB's time range (years 1677 to 2262)` };
    }
  }
  const shift = MS_SHIFT[unit];
  let ms: number;
  let remainder = false;
  if (shift > 0) {
    ms = significant.length > shift ? Number(significant.slice(0, -shift)) : 0;
    for (let i = Math.max(0, significant.length - shift); i < significant.length && !remainder; i++) {
      remainder = significant.charCodeAt(i) !== DIGIT_0;
    }
  } else {
    ms = Number(significant) * UNIT_MS[unit];
  }
  if (!negative) return ms;
  const floored = ms + (remainder ? 1 : 0);
  return floored === 0 ? 0 : -floored;
}

import type { DecodeContext, DecodeResult, DecodedItem, DecodeError } from './types.js';

// InfluxDB line protocol: `measurement[,tag=value...] field=value[,field=value...] [timestamp]`.
// https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/
// A hand-written scanner over char codes: this is the ingest hot path, so it allocates only the
// strings it returns and unescapes only when a backslash was seen.

const NL = 10;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const EQUALS = 61;
const BACKSLASH = 92;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';
const UINT64_MAX = '18446744073709551615';

const EXPECTED_LINE = "expected 'measurement,id=<id>[,tag=value] field=value[,field=value] [timestamp]'";
const EXPECTED_VALUE =
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

type FieldValue = number | boolean | string;

function isDigit(c: number): boolean {
  return c >= DIGIT_0 && c <= DIGIT_9;
}

/** Removes escapes from a measurement, tag key, tag value or field key: `\,` `\ ` `\=` `\\`; other backslashes stay. */
function unescapeName(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const next = raw.charCodeAt(i + 1);
    if (c === BACKSLASH && (next === COMMA || next === SPACE || next === EQUALS || next === BACKSLASH)) {
      out += raw[i + 1];
      i++;
    } else {
      out += raw[i];
    }
  }
  return out;
}

/** Removes escapes from a string field value: `\"` and `\\`; other backslashes stay. */
function unescapeString(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const next = raw.charCodeAt(i + 1);
    if (c === BACKSLASH && (next === QUOTE || next === BACKSLASH)) {
      out += raw[i + 1];
      i++;
    } else {
      out += raw[i];
    }
  }
  return out;
}

/** True when `digits` (no sign, no leading zeros) is at most `max` as an unsigned decimal. */
function withinDecimal(digits: string, max: string): boolean {
  return digits.length < max.length || (digits.length === max.length && digits <= max);
}

function stripLeadingZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === DIGIT_0) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** True when text[from, to) is one or more ASCII digits. */
function allDigits(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** Float syntax of line protocol: -?(digits[.digits]|.digits)([eE][+-]?digits)?. */
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

/** Parses an unquoted field value; a string is an error reason. */
function parseScalar(token: string, key: string): FieldValue | { error: string } {
  const last = token.charCodeAt(token.length - 1);
  if (last === 105 || last === 117) {
    // 105 = 'i' (int64), 117 = 'u' (uint64)
    const signed = last === 105;
    const negative = signed && token.charCodeAt(0) === MINUS;
    const from = negative ? 1 : 0;
    if (!allDigits(token, from, token.length - 1)) {
      return {
        error: `field '${key}': '${token}' is not a valid ${signed ? 'integer' : 'unsigned integer'}; ${EXPECTED_VALUE}`,
      };
    }
    const digits = stripLeadingZeros(token.slice(from, -1));
    const max = signed ? (negative ? INT64_MIN_ABS : INT64_MAX) : UINT64_MAX;
    if (!withinDecimal(digits, max)) {
      return {
        error: `field '${key}': ${token} is out of range for a ${signed ? '64-bit integer' : '64-bit unsigned integer'}`,
      };
    }
    // Integers beyond 2^53 lose precision here: observations carry JS numbers (wire contract v1).
    const n = Number(digits);
    return negative && n !== 0 ? -n : n;
  }
  const first = token.charCodeAt(0);
  if (first === 116 || first === 84 || first === 102 || first === 70) {
    // t, T, f, F: only then a (cheap, but string-hashing) boolean lookup
    const bool = BOOLEANS[token];
    if (bool !== undefined) return bool;
  }
  if (isFloatSyntax(token)) {
    const n = Number(token);
    if (Number.isFinite(n)) return n === 0 ? 0 : n; // no -0
    return { error: `field '${key}': ${token} is out of range for a 64-bit float` };
  }
  if (NON_FINITE.test(token)) {
    return { error: `field '${key}': ${token} is not accepted: values must be finite numbers` };
  }
  return { error: `field '${key}': '${token}' is not a valid value; ${EXPECTED_VALUE}` };
}

/** Milliseconds since epoch from the decimal text of a line-protocol timestamp; exact, no float rounding. */
function timestampToMs(digits: string, negative: boolean, precision: DecodeContext['precision']): number {
  const significant = stripLeadingZeros(digits);
  const unit =
    precision ??
    (significant.length >= 18 ? 'ns' : significant.length >= 15 ? 'us' : significant.length >= 12 ? 'ms' : 's');
  let ms: number;
  if (unit === 'ns') ms = significant.length > 6 ? Number(significant.slice(0, -6)) : 0;
  else if (unit === 'us') ms = significant.length > 3 ? Number(significant.slice(0, -3)) : 0;
  else if (unit === 'ms') ms = Number(significant);
  else ms = Number(significant) * 1000;
  return negative && ms !== 0 ? -ms : ms;
}

/** One pass over a whole payload; state lives on the instance so no closures are allocated per line. */
class LineScanner {
  private pos = 0;
  private line = 0;
  private error = '';
  private readonly len: number;

  constructor(
    private readonly text: string,
    private readonly ctx: DecodeContext,
  ) {
    this.len = text.length;
  }

  run(): DecodeResult {
    const items: DecodedItem[] = [];
    const errors: DecodeError[] = [];
    const { text, len } = this;
    while (this.pos < len) {
      let c = text.charCodeAt(this.pos);
      while (c === SPACE || c === TAB) c = text.charCodeAt(++this.pos);
      if (this.pos >= len) break;
      if (c === NL) {
        this.pos++;
        this.line++;
        continue;
      }
      if (c === HASH) {
        this.skipToLineEnd();
        continue;
      }
      const index = this.line;
      const value = this.record();
      if (value === undefined) {
        errors.push({ index, error: this.error });
        this.skipToLineEnd();
      } else {
        items.push({ index, value });
      }
    }
    return { items, errors };
  }

  private fail(reason: string): undefined {
    this.error = reason;
    return undefined;
  }

  private skipToLineEnd(): void {
    const nl = this.text.indexOf('\n', this.pos);
    this.pos = nl === -1 ? this.len : nl;
  }

  private atLineEnd(): boolean {
    return this.pos >= this.len || this.text.charCodeAt(this.pos) === NL;
  }

  private skipSpaces(): void {
    while (this.text.charCodeAt(this.pos) === SPACE) this.pos++;
  }

  /** Reads a measurement, key or tag value up to an unescaped separator. */
  private name(stopAtEquals: boolean): string {
    const { text, len } = this;
    const start = this.pos;
    let escaped = false;
    while (this.pos < len) {
      const c = text.charCodeAt(this.pos);
      if (c === BACKSLASH && this.pos + 1 < len && text.charCodeAt(this.pos + 1) !== NL) {
        escaped = true;
        this.pos += 2;
        continue;
      }
      if (c === COMMA || c === SPACE || c === NL || (stopAtEquals && c === EQUALS)) break;
      this.pos++;
    }
    const raw = text.slice(start, this.pos);
    return escaped ? unescapeName(raw) : raw;
  }

  /** Reads a quoted string field; on a missing closing quote resumes at the end of the line it opened on. */
  private quoted(key: string): string | undefined {
    const { text, len } = this;
    const open = this.pos++;
    const openLine = this.line;
    let escaped = false;
    while (this.pos < len) {
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) {
        const raw = text.slice(open + 1, this.pos++);
        return escaped ? unescapeString(raw) : raw;
      }
      if (c === BACKSLASH) {
        escaped = true;
        if (text.charCodeAt(this.pos + 1) === NL) this.line++;
        this.pos += 2;
        continue;
      }
      if (c === NL) this.line++;
      this.pos++;
    }
    this.pos = open;
    this.line = openLine;
    return this.fail(`field '${key}': string value has no closing double quote`);
  }

  private record(): Record<string, unknown> | undefined {
    const { text, ctx } = this;
    const measurement = this.name(false);
    if (measurement === '') return this.fail(`missing measurement; ${EXPECTED_LINE}`);
    let id: string | undefined;
    let tags: Record<string, string> | undefined;
    while (text.charCodeAt(this.pos) === COMMA) {
      this.pos++;
      const key = this.name(true);
      if (text.charCodeAt(this.pos) !== EQUALS || key === '') {
        return this.fail(`tag '${key}' is not key=value; ${EXPECTED_LINE}`);
      }
      this.pos++;
      const value = this.name(false);
      if (value === '') return this.fail(`tag '${key}' has an empty value`);
      if (key === 'id') id = value;
      else (tags ??= {})[key] = value;
    }
    if (this.atLineEnd()) return this.fail(`no fields after '${measurement}'; ${EXPECTED_LINE}`);
    if (text.charCodeAt(this.pos) !== SPACE) return this.fail(`unexpected character after tags; ${EXPECTED_LINE}`);
    this.skipSpaces();
    if (this.atLineEnd()) return this.fail(`no fields after '${measurement}'; ${EXPECTED_LINE}`);

    const fields: Record<string, FieldValue> = {};
    let lat: FieldValue | undefined;
    let lon: FieldValue | undefined;
    for (;;) {
      const key = this.name(true);
      if (key === '') return this.fail(`empty field name; ${EXPECTED_LINE}`);
      if (text.charCodeAt(this.pos) !== EQUALS) return this.fail(`field '${key}' has no '=value'`);
      this.pos++;
      let value: FieldValue | undefined;
      if (text.charCodeAt(this.pos) === QUOTE) {
        value = this.quoted(key);
        if (value === undefined) return undefined;
      } else {
        const start = this.pos;
        this.pos = this.tokenEnd(this.pos, true);
        if (start === this.pos) return this.fail(`field '${key}' has no value; ${EXPECTED_VALUE}`);
        const parsed = parseScalar(text.slice(start, this.pos), key);
        if (typeof parsed === 'object') return this.fail(parsed.error);
        value = parsed;
      }
      if (key === 'lat') lat = value;
      else if (key === 'lon') lon = value;
      else fields[key] = value;
      if (text.charCodeAt(this.pos) !== COMMA) break;
      this.pos++;
    }

    let ts: number | undefined;
    if (!this.atLineEnd()) {
      if (text.charCodeAt(this.pos) !== SPACE) return this.fail(`unexpected character after fields; ${EXPECTED_LINE}`);
      this.skipSpaces();
      if (!this.atLineEnd()) {
        ts = this.timestamp();
        if (ts === undefined) return undefined;
        this.skipSpaces();
        if (!this.atLineEnd()) return this.fail(`unexpected text after the timestamp; ${EXPECTED_LINE}`);
      }
    }

    if (ctx.domain !== undefined && measurement !== ctx.domain) {
      return this.fail(`measurement '${measurement}' does not match domain '${ctx.domain}' given by the topic`);
    }
    if (id === undefined)
      return this.fail(`missing tag 'id': each line names its entity, e.g. ${measurement},id=S1 value=1`);
    const item: Record<string, unknown> = { domain: measurement, id, fields };
    if (ts !== undefined) item.ts = ts;
    if (lat !== undefined) item.lat = lat;
    if (lon !== undefined) item.lon = lon;
    if (tags !== undefined) item.tags = tags;
    return item;
  }

  /** End of an unquoted token: the next comma (when `commaEnds`), space or line end. */
  private tokenEnd(from: number, commaEnds: boolean): number {
    const { text, len } = this;
    let i = from;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === NL || (commaEnds && c === COMMA)) break;
      i++;
    }
    return i;
  }

  private timestamp(): number | undefined {
    const start = this.pos;
    this.pos = this.tokenEnd(start, false);
    const negative = this.text.charCodeAt(start) === MINUS;
    const from = negative ? start + 1 : start;
    if (!allDigits(this.text, from, this.pos)) {
      const token = this.text.slice(start, this.pos);
      return this.fail(`timestamp '${token}' is not an integer (ns, us, ms or s since the epoch)`);
    }
    const digits = this.text.slice(from, this.pos);
    if (!withinDecimal(stripLeadingZeros(digits), INT64_MAX)) {
      return this.fail(`timestamp ${this.text.slice(start, this.pos)} is out of range`);
    }
    return timestampToMs(digits, negative, this.ctx.precision);
  }
}

/** Decodes InfluxDB line protocol into observation-shaped items; each bad line is an error at its 0-based line index. */
export function decodeLineProtocol(text: string, ctx: DecodeContext): DecodeResult {
  // CRLF payloads (Windows senders) become LF once, so the scanner only knows '\n'.
  const source = text.includes('\r') ? text.replace(/\r\n/g, '\n') : text;
  return new LineScanner(source, ctx).run();
}

import type { DecodeContext, DecodeResult, DecodedItem, DecodeError } from './types.js';
import { EXPECTED_VALUE, parseScalar, timestampMs, type ScalarResult } from './line-values.js';

// InfluxDB line protocol: `measurement[,tag=value...] field=value[,field=value...] [timestamp]`, read the way
// InfluxDB's own parser reads it (models/points.go in influxdata/influxdb, the same in 1.x and 2.x; its cases are
// in test/unit/formats/line-protocol.test.ts and checked against a real influxd in
// test/integration/ingest-differential.test.ts):
// - a ',', ' ' or '=' is escaped when the character right before it is a backslash, whatever precedes that
//   backslash; unescaping then removes the backslash of `\,` `\ ` `\=` (measurement: `\,` `\ `) and of nothing
//   else, so `\\` stays two backslashes in names and tag values;
// - a line ends at a line break that is neither escaped nor inside a quoted string value;
// - string values unescape `\"` and `\\`.
// Product rules on top: the measurement is the domain, tag `id` names the entity, fields `lat`/`lon` give the
// position, a timestamp without a stated precision has its unit guessed from its magnitude.

const NL = 10;
const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQUALS = 61;
const BACKSLASH = 92;

const EXPECTED_LINE = "expected 'measurement,id=<id>[,tag=value] field=value[,field=value] [timestamp]'";

type FieldValue = number | boolean | string;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** Removes the backslash before each character of `special` (char codes); every other backslash stays. */
function unescape(raw: string, special: readonly number[]): string {
  if (raw.indexOf('\\') === -1) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw.charCodeAt(i) === BACKSLASH && special.includes(raw.charCodeAt(i + 1))) i++;
    out += raw[i];
  }
  return out;
}

const MEASUREMENT_ESCAPES = [COMMA, SPACE];
const KEY_ESCAPES = [COMMA, SPACE, EQUALS];
const FIELD_KEY_ESCAPES = [COMMA, SPACE, EQUALS, QUOTE];
const STRING_ESCAPES = [QUOTE, BACKSLASH];

/**
 * End of the line starting at `from`, as InfluxDB splits lines (scanLine): a backslash skips the next character,
 * and after the first space a double quote that follows a field's '=' opens a string that may span line breaks.
 * A string left open ends the line at the first break after its quote, so later lines are still read.
 */
function lineEnd(text: string, from: number): number {
  const len = text.length;
  let i = from;
  let inFields = false;
  let quoted = false;
  let quoteAt = -1;
  let equals = 0;
  let commas = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < len) {
      i += 2;
      continue;
    }
    if (c === SPACE) inFields = true;
    if (inFields && !quoted && c === EQUALS) equals++;
    else if (inFields && !quoted && c === COMMA) commas++;
    else if (inFields && c === QUOTE && equals > commas) {
      quoted = !quoted;
      quoteAt = i;
    } else if (c === NL && !quoted) return i;
    i++;
  }
  if (!quoted) return len;
  const nl = text.indexOf('\n', quoteAt);
  return nl === -1 ? len : nl;
}

/** Reads lines of one payload, each text[start, end); `fail` keeps the reason of the first error. */
class LineReader {
  private pos = 0;
  private end = 0;
  error = '';
  /** True when the last line read failed on a string value still open at the line's end. */
  openString = false;
  // The last tag or field read: kept here rather than returned in a fresh tuple (the hot path allocates little).
  private key = '';
  private tagValue = '';
  private fieldValue: FieldValue = 0;
  private readonly scalar: ScalarResult = { value: 0, exact: undefined, error: '' };

  constructor(
    private readonly text: string,
    private readonly ctx: DecodeContext,
  ) {}

  private fail(reason: string): undefined {
    this.error = reason;
    return undefined;
  }

  private reject(reason: string): false {
    this.error = reason;
    return false;
  }

  private at(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : NL;
  }

  /** Raw text up to the first ',' or ' ' (and '=' when `equalsStops`) not preceded by a backslash, or the line end. */
  private scan(equalsStops: boolean): string {
    const { text, end } = this;
    const start = this.pos;
    let i = start;
    while (i < end) {
      const c = text.charCodeAt(i);
      if ((c === COMMA || c === SPACE || (equalsStops && c === EQUALS)) && text.charCodeAt(i - 1) !== BACKSLASH) break;
      i++;
    }
    this.pos = i;
    return text.slice(start, i);
  }

  private skipBlanks(): void {
    while (this.pos < this.end && isBlank(this.text.charCodeAt(this.pos))) this.pos++;
  }

  read(start: number, end: number): Record<string, unknown> | undefined {
    this.pos = start;
    this.end = end;
    this.openString = false;
    const { text } = this;
    const measurement = unescape(this.scan(false), MEASUREMENT_ESCAPES);
    if (measurement === '') return this.fail(`missing measurement; ${EXPECTED_LINE}`);
    let id: string | undefined;
    let tags: Record<string, string> | undefined;
    while (this.at() === COMMA) {
      this.pos++;
      if (!this.tag()) return undefined;
      const { key, tagValue: value } = this;
      if (key === 'id' ? id !== undefined : tags !== undefined && Object.hasOwn(tags, key)) {
        return this.fail(`tag '${key}' is given twice (InfluxDB: duplicate tags)`);
      }
      if (key === 'id') id = value;
      else (tags ??= {})[key] = value;
    }
    if (this.at() === NL)
      return this.fail(`no fields after '${measurement}' (InfluxDB: missing fields); ${EXPECTED_LINE}`);
    this.skipBlanks();
    if (this.at() === NL)
      return this.fail(`no fields after '${measurement}' (InfluxDB: missing fields); ${EXPECTED_LINE}`);

    const fields: Record<string, FieldValue> = {};
    let integers: Record<string, string> | undefined;
    let integerCount = 0;
    let lat: FieldValue | undefined;
    let lon: FieldValue | undefined;
    for (;;) {
      const exact = this.field();
      if (exact === false) return undefined;
      const { key, fieldValue: value } = this;
      if (key === 'lat') lat = value;
      else if (key === 'lon') lon = value;
      else {
        // A later value of the same field wins, as in InfluxDB; its exact text goes with it.
        if (integers !== undefined && Object.hasOwn(integers, key)) {
          delete integers[key];
          integerCount--;
        }
        fields[key] = value;
        if (exact !== undefined) {
          (integers ??= {})[key] = exact;
          integerCount++;
        }
      }
      if (this.at() !== COMMA) break;
      this.pos++;
    }

    let ts: number | undefined;
    this.skipBlanks();
    if (this.at() !== NL) {
      const start = this.pos;
      while (this.pos < this.end && !isBlank(text.charCodeAt(this.pos))) this.pos++;
      const parsed = timestampMs(text.slice(start, this.pos), this.ctx.precision);
      if (typeof parsed === 'object') return this.fail(parsed.error);
      ts = parsed;
      this.skipBlanks();
      if (this.at() !== NL) return this.fail(`unexpected text after the timestamp; ${EXPECTED_LINE}`);
    }

    const { ctx } = this;
    if (ctx.domain !== undefined && measurement !== ctx.domain) {
      return this.fail(`measurement '${measurement}' does not match domain '${ctx.domain}' given by the topic`);
    }
    if (id === undefined) {
      return this.fail(`missing tag 'id': each line names its entity, e.g. ${measurement},id=S1 value=1`);
    }
    const item: Record<string, unknown> = { domain: measurement, id, fields };
    if (ts !== undefined) item.ts = ts;
    if (lat !== undefined) item.lat = lat;
    if (lon !== undefined) item.lon = lon;
    if (tags !== undefined) item.tags = tags;
    if (integers !== undefined && integerCount > 0) item.integers = integers;
    return item;
  }

  /** One `key=value` tag after its comma, into `key` and `tagValue`; false (with the reason) when malformed. */
  private tag(): boolean {
    const key = unescape(this.scan(true), KEY_ESCAPES);
    if (this.at() !== EQUALS) {
      if (key === '') return this.reject(`a tag has no key (InfluxDB: missing tag key); ${EXPECTED_LINE}`);
      return this.reject(`tag '${key}' has no '=value' (InfluxDB: missing tag value); ${EXPECTED_LINE}`);
    }
    if (key === '') return this.reject(`a tag has no key (InfluxDB: missing tag key); ${EXPECTED_LINE}`);
    this.pos++;
    const raw = this.scan(false);
    if (raw === '') return this.reject(`tag '${key}' has an empty value (InfluxDB: missing tag value)`);
    for (let i = 0; i < raw.length; i++) {
      if (raw.charCodeAt(i) === EQUALS && raw.charCodeAt(i - 1) !== BACKSLASH) {
        return this.reject(
          `tag '${key}': value '${raw}' holds an unescaped '=' (InfluxDB: invalid tag format); write it as \\=`,
        );
      }
    }
    this.key = key;
    this.tagValue = unescape(raw, KEY_ESCAPES);
    return true;
  }

  /** One `key=value` field into `key` and `fieldValue`; returns an integer's exact text, false when malformed. */
  private field(): string | undefined | false {
    const key = unescape(this.scan(true), FIELD_KEY_ESCAPES);
    if (this.at() !== EQUALS) {
      if (key === '') return this.reject(`empty field name (InfluxDB: missing field key); ${EXPECTED_LINE}`);
      return this.reject(`field '${key}' has no '=value' (InfluxDB: missing field value)`);
    }
    if (key === '') return this.reject(`empty field name (InfluxDB: missing field key); ${EXPECTED_LINE}`);
    this.pos++;
    this.key = key;
    if (this.at() === QUOTE) {
      const value = this.quoted(key);
      if (value === undefined) return false;
      this.fieldValue = value;
      return undefined;
    }
    const start = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA || c === SPACE) break;
      this.pos++;
    }
    if (start === this.pos)
      return this.reject(`field '${key}' has no value (InfluxDB: missing field value); ${EXPECTED_VALUE}`);
    const { scalar } = this;
    if (!parseScalar(this.text.slice(start, this.pos), key, scalar)) return this.reject(scalar.error);
    this.fieldValue = scalar.value;
    return scalar.exact;
  }

  /** A quoted string value: a backslash skips the next character, `\"` and `\\` are unescaped. */
  private quoted(key: string): string | undefined {
    const { text, end } = this;
    const open = ++this.pos;
    while (this.pos < end) {
      const c = text.charCodeAt(this.pos);
      if (c === BACKSLASH) {
        this.pos += 2;
        continue;
      }
      if (c === QUOTE) {
        const raw = text.slice(open, this.pos++);
        const after = this.at();
        if (after !== COMMA && after !== NL && !isBlank(after)) {
          return this.fail(
            `field '${key}': unexpected text after the closing double quote (InfluxDB: invalid field format)`,
          );
        }
        return unescape(raw, STRING_ESCAPES);
      }
      this.pos++;
    }
    this.openString = true;
    return this.fail(`field '${key}': string value has no closing double quote (InfluxDB: unbalanced quotes)`);
  }
}

/** Decodes InfluxDB line protocol into observation-shaped items; each bad line is an error at its 0-based line index. */
export function decodeLineProtocol(text: string, ctx: DecodeContext): DecodeResult {
  // CRLF payloads (Windows senders) become LF once, so the reader only knows '\n' (InfluxDB would keep the '\r').
  const source = text.includes('\r') ? text.replace(/\r\n/g, '\n') : text;
  const items: DecodedItem[] = [];
  const errors: DecodeError[] = [];
  const len = source.length;
  const reader = new LineReader(source, ctx);
  let pos = 0;
  let line = 0;
  while (pos < len) {
    let c = source.charCodeAt(pos);
    while (isBlank(c) || c === 0) c = source.charCodeAt(++pos);
    if (pos >= len) break;
    if (c === NL) {
      pos++;
      line++;
      continue;
    }
    let stop = source.indexOf('\n', pos);
    if (stop === -1) stop = len;
    if (c !== HASH) {
      // Most lines end at their first line break; InfluxDB's full rule is needed only after a backslash there,
      // or when a string value runs into it (then the line is read again up to where the string ends).
      if (stop > pos && source.charCodeAt(stop - 1) === BACKSLASH) stop = lineEnd(source, pos);
      let value = reader.read(pos, stop);
      if (value === undefined && reader.openString) {
        const full = lineEnd(source, pos);
        if (full > stop) {
          stop = full;
          value = reader.read(pos, stop);
        }
      }
      if (value === undefined) errors.push({ index: line, error: reader.error });
      else items.push({ index: line, value });
    }
    // A string value or an escaped break may span physical lines; indexes count physical lines.
    for (let i = source.indexOf('\n', pos); i !== -1 && i < stop; i = source.indexOf('\n', i + 1)) line++;
    pos = stop;
  }
  return { items, errors };
}

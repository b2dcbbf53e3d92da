import type { DecodeContext, DecodeResult, DecodedItem, DecodeError } from './types.js';
import { EXPECTED_VALUE, parseScalar, timestampMs } from './line-values.js';

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
  if (!raw.includes('\\')) return raw;
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

/** Reads one line, text[start, end); `fail` keeps the reason of the first error. */
class LineReader {
  private pos: number;
  error = '';

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
    private readonly ctx: DecodeContext,
  ) {
    this.pos = start;
  }

  private fail(reason: string): undefined {
    this.error = reason;
    return undefined;
  }

  private at(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : NL;
  }

  /** True when the character at i is one of `stops` and not escaped by a backslash right before it. */
  private isStop(i: number, c: number, stops: readonly number[]): boolean {
    return stops.includes(c) && this.text.charCodeAt(i - 1) !== BACKSLASH;
  }

  /** Raw text up to the first unescaped character of `stops` (or the line end). */
  private scan(stops: readonly number[]): string {
    const start = this.pos;
    while (this.pos < this.end && !this.isStop(this.pos, this.text.charCodeAt(this.pos), stops)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private skipBlanks(): void {
    while (this.pos < this.end && isBlank(this.text.charCodeAt(this.pos))) this.pos++;
  }

  read(): Record<string, unknown> | undefined {
    const { text } = this;
    const measurement = unescape(this.scan(MEASUREMENT_ESCAPES), MEASUREMENT_ESCAPES);
    if (measurement === '') return this.fail(`missing measurement; ${EXPECTED_LINE}`);
    let id: string | undefined;
    let tags: Record<string, string> | undefined;
    const seen = new Set<string>();
    while (this.at() === COMMA) {
      this.pos++;
      const tag = this.tag(seen);
      if (tag === undefined) return undefined;
      if (tag[0] === 'id') id = tag[1];
      else (tags ??= {})[tag[0]] = tag[1];
    }
    if (this.at() === NL)
      return this.fail(`no fields after '${measurement}' (InfluxDB: missing fields); ${EXPECTED_LINE}`);
    this.skipBlanks();
    if (this.at() === NL)
      return this.fail(`no fields after '${measurement}' (InfluxDB: missing fields); ${EXPECTED_LINE}`);

    const fields: Record<string, FieldValue> = {};
    let integers: Record<string, string> | undefined;
    let lat: FieldValue | undefined;
    let lon: FieldValue | undefined;
    for (;;) {
      const field = this.field();
      if (field === undefined) return undefined;
      const [key, value, exact] = field;
      if (key === 'lat') lat = value;
      else if (key === 'lon') lon = value;
      else {
        fields[key] = value;
        // A later value of the same field wins, as in InfluxDB; its exact text goes with it.
        if (exact !== undefined) (integers ??= {})[key] = exact;
        else if (integers !== undefined) delete integers[key];
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
    if (integers !== undefined && Object.keys(integers).length > 0) item.integers = integers;
    return item;
  }

  /** One `key=value` tag after its comma. */
  private tag(seen: Set<string>): [string, string] | undefined {
    const rawKey = this.scan(KEY_ESCAPES);
    const key = unescape(rawKey, KEY_ESCAPES);
    if (this.at() !== EQUALS) {
      if (key === '') return this.fail(`a tag has no key (InfluxDB: missing tag key); ${EXPECTED_LINE}`);
      return this.fail(`tag '${key}' has no '=value' (InfluxDB: missing tag value); ${EXPECTED_LINE}`);
    }
    if (key === '') return this.fail(`a tag has no key (InfluxDB: missing tag key); ${EXPECTED_LINE}`);
    this.pos++;
    const raw = this.scan(MEASUREMENT_ESCAPES);
    if (raw === '') return this.fail(`tag '${key}' has an empty value (InfluxDB: missing tag value)`);
    for (let i = 0; i < raw.length; i++) {
      if (raw.charCodeAt(i) === EQUALS && raw.charCodeAt(i - 1) !== BACKSLASH) {
        return this.fail(
          `tag '${key}': value '${raw}' holds an unescaped '=' (InfluxDB: invalid tag format); write it as \\=`,
        );
      }
    }
    if (seen.has(key)) return this.fail(`tag '${key}' is given twice (InfluxDB: duplicate tags)`);
    seen.add(key);
    return [key, unescape(raw, KEY_ESCAPES)];
  }

  /** One `key=value` field; the third element is the exact text of an integer. */
  private field(): [string, FieldValue, string | undefined] | undefined {
    const key = unescape(this.scan(KEY_ESCAPES), FIELD_KEY_ESCAPES);
    if (this.at() !== EQUALS) {
      if (key === '') return this.fail(`empty field name (InfluxDB: missing field key); ${EXPECTED_LINE}`);
      return this.fail(`field '${key}' has no '=value' (InfluxDB: missing field value)`);
    }
    if (key === '') return this.fail(`empty field name (InfluxDB: missing field key); ${EXPECTED_LINE}`);
    this.pos++;
    if (this.at() === QUOTE) {
      const value = this.quoted(key);
      return value === undefined ? undefined : [key, value, undefined];
    }
    const start = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c === COMMA || c === SPACE) break;
      this.pos++;
    }
    if (start === this.pos)
      return this.fail(`field '${key}' has no value (InfluxDB: missing field value); ${EXPECTED_VALUE}`);
    const parsed = parseScalar(this.text.slice(start, this.pos), key);
    if ('error' in parsed) return this.fail(parsed.error);
    return [key, parsed.value, parsed.exact];
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
    const end = c === HASH ? source.indexOf('\n', pos) : lineEnd(source, pos);
    const stop = end === -1 ? len : end;
    if (c !== HASH) {
      const reader = new LineReader(source, pos, stop, ctx);
      const value = reader.read();
      if (value === undefined) errors.push({ index: line, error: reader.error });
      else items.push({ index: line, value });
    }
    // A string value or an escaped break may span physical lines; indexes count physical lines.
    for (let i = pos; i < stop; i++) if (source.charCodeAt(i) === NL) line++;
    pos = stop;
  }
  return { items, errors };
}

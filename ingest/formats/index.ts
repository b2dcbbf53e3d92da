import { decodeJson, decodeJsonValue, parseJson, type JsonParse } from './json.js';
import { decodeLineProtocol } from './line-protocol.js';
import { decodeSenml, decodeSenmlValue, looksLikeSenml } from './senml.js';
import type { DecodeContext, DecodeResult, PayloadFormat } from './types.js';

export type { DecodeContext, DecodeResult, DecodedItem, DecodeError, PayloadFormat } from './types.js';

const BOM = 0xfeff;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const EMPTY_PAYLOAD = 'empty payload: expected a JSON object, a JSON array (observations or SenML) or line protocol';

function textOf(payload: Buffer | string): string {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  return text.charCodeAt(0) === BOM ? text.slice(1) : text;
}

/** Char code of the first non-whitespace character; -1 for a blank payload. */
function firstCode(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return c;
  }
  return -1;
}

/** The format of a payload, and the parsed JSON when telling JSON from SenML needed a parse. */
function classify(text: string, ctx: DecodeContext): { format: PayloadFormat; parsed?: JsonParse } {
  const first = firstCode(text);
  if (first === OPEN_BRACE) return { format: 'json' };
  if (first === OPEN_BRACKET) {
    // On `city/<domain>/<id>` an array is always SenML; on `city/<domain>` it may be observations or SenML.
    if (ctx.id !== undefined) return { format: 'senml' };
    const parsed = parseJson(text);
    const senml = parsed.ok && Array.isArray(parsed.value) && looksLikeSenml(parsed.value);
    return { format: senml ? 'senml' : 'json', parsed };
  }
  // A per-entity topic only takes JSON: decoding as JSON gives the sender the parser's reason.
  return { format: ctx.id !== undefined ? 'json' : 'line' };
}

/** Picks the format of an MQTT payload by its first character and, for arrays, by what the elements look like. */
export function detectFormat(payload: Buffer | string, ctx: DecodeContext): PayloadFormat {
  return classify(textOf(payload), ctx).format;
}

/** Decodes a payload into observation-shaped items and per-item errors; 'auto' detects the format first. */
export function decodePayload(
  payload: Buffer | string,
  format: PayloadFormat | 'auto',
  ctx: DecodeContext,
): DecodeResult {
  const text = textOf(payload);
  if (firstCode(text) === -1) return { items: [], errors: [{ index: 0, error: EMPTY_PAYLOAD }] };
  let chosen: PayloadFormat;
  if (format === 'auto') {
    const { format: detected, parsed } = classify(text, ctx);
    if (parsed !== undefined) {
      if (!parsed.ok) return { items: [], errors: [{ index: 0, error: parsed.error }] };
      return detected === 'senml'
        ? decodeSenmlValue(parsed.value, ctx, Date.now())
        : decodeJsonValue(parsed.value, ctx);
    }
    chosen = detected;
  } else {
    chosen = format;
  }
  switch (chosen) {
    case 'json':
      return decodeJson(text, ctx);
    case 'senml':
      return decodeSenml(text, ctx, Date.now());
    case 'line':
      return decodeLineProtocol(text, ctx);
  }
}

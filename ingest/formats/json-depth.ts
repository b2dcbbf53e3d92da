/** Deepest nesting any JSON text may have: observations need 3 levels, rule conditions a handful. */
export const MAX_JSON_DEPTH = 32;

/** True when `text` holds at most `limit` opening brackets: it cannot nest deeper, whatever its strings hold. */
function fewBrackets(text: string | Uint8Array, limit: number): boolean {
  // indexOf is native: a typical observation (a few brackets) is cleared in a handful of calls, no per-character loop.
  const search = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  let count = 0;
  for (const bracket of ['{', '['] as const) {
    for (let at = search.indexOf(bracket); at !== -1; at = search.indexOf(bracket, at + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

/**
 * True when JSON text nests deeper than `limit` (brackets inside strings do not count). One pass over the
 * characters, done before JSON.parse: parsing 200 000 nested brackets holds the event loop for a tenth of a
 * second, this scan for about a millisecond per megabyte. Text with few brackets skips the pass.
 */
export function jsonTextNestsDeeper(text: string | Uint8Array, limit: number = MAX_JSON_DEPTH): boolean {
  if (fewBrackets(text, limit)) return false;
  // Bytes are read as latin1, one character per byte: brackets, quotes and backslashes are ASCII, and no byte
  // of a multi-byte UTF-8 character is. One monomorphic loop over a string (a per-type accessor was 2x slower).
  const chars = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

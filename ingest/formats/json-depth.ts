/** Deepest nesting any JSON text may have: observations need 3 levels, rule conditions a handful. */
export const MAX_JSON_DEPTH = 32;

/**
 * True when JSON text nests deeper than `limit` (brackets inside strings do not count). One pass over the
 * characters, done before JSON.parse: parsing 200 000 nested brackets holds the event loop for a tenth of a
 * second, this scan for about a millisecond per megabyte.
 */
export function jsonTextNestsDeeper(text: string | Uint8Array, limit: number = MAX_JSON_DEPTH): boolean {
  const length = text.length;
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i]!;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = at(i);
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

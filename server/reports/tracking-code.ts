import { randomInt } from 'node:crypto';

/*
 * Tracking codes: what a citizen reads off a screen, writes on paper and types on a phone, so no
 * characters that look alike (0/O, 1/I/L) and no lower case; and the only key to a report on the
 * public page, so drawn from the crypto generator: 31^8 ≈ 8.5 × 10^11 codes, against lookups that
 * are rate-limited per address.
 */

/** Digits and capitals without 0, 1, I, L, O. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const PREFIX = 'BG';
const GROUPS = 2;
const GROUP_LENGTH = 4;

/** A new code such as `BG-7K3Q-9XPM`. */
export function newTrackingCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = '';
    // randomInt draws without modulo bias.
    for (let i = 0; i < GROUP_LENGTH; i++) group += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    groups.push(group);
  }
  return [PREFIX, ...groups].join('-');
}

/** A code as typed, in its stored form (case, spaces and dashes do not matter); undefined when it cannot be a code. */
export function normalizeTrackingCode(typed: string): string | undefined {
  const compact = typed.toUpperCase().replace(/[\s-]/g, '');
  const body = compact.startsWith(PREFIX) ? compact.slice(PREFIX.length) : compact;
  if (body.length !== GROUPS * GROUP_LENGTH) return undefined;
  for (const ch of body) if (!CODE_ALPHABET.includes(ch)) return undefined;
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) groups.push(body.slice(g * GROUP_LENGTH, (g + 1) * GROUP_LENGTH));
  return [PREFIX, ...groups].join('-');
}

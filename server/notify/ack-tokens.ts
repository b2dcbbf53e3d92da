import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { StateStore } from '../state/types.js';

/*
 * Signed acknowledgement tokens: a notification's "acknowledge" action acts for its recipient
 * without a session, so the token itself names who, what and until when, under an HMAC whose key
 * lives in the state store (every node of a cluster signs and checks with the same key).
 */

/** Settings key of the HMAC key (base64url, 32 bytes). */
export const ACK_SECRET_SETTING = 'notify.ackSecret';
/** How long an ack token stays valid (ms): a day covers a night shift's pocket. */
export const ACK_TOKEN_TTL_MS = 24 * 3_600_000;
/** Bytes of HMAC kept in the short Telegram form: callback_data is at most 64 bytes (Bot API, InlineKeyboardButton). */
const SHORT_MAC_BYTES = 12;

/** What an ack token grants: acknowledging one item as one user until `exp` (ms). */
export interface AckClaim {
  kind: 'alert' | 'report';
  id: string;
  username: string;
  exp: number;
}

const ClaimSchema = z.strictObject({
  k: z.enum(['alert', 'report']),
  i: z.string().min(1).max(200),
  u: z.string().min(1).max(128),
  e: z.number().int(),
});

export interface AckTokens {
  /** `v1.<claim>.<mac>`, both base64url. */
  sign(claim: AckClaim): string;
  /** The claim when the token is well-formed, signed by us and not expired; undefined otherwise. */
  verify(token: string, now: number): AckClaim | undefined;
  /** Short form naming a delivery (`ack:<deliveryId>.<mac>`), for Telegram's 64-byte callback data. */
  signDelivery(deliveryId: string): string;
  /** The delivery id of a valid short form; undefined otherwise. */
  verifyDelivery(data: string): string | undefined;
}

/** Loads (or makes, first writer wins across nodes) the HMAC key and returns the signer. */
export async function loadAckTokens(state: Pick<StateStore, 'putSettingIfAbsent'>): Promise<AckTokens> {
  const stored = await state.putSettingIfAbsent(ACK_SECRET_SETTING, randomBytes(32).toString('base64url'));
  return createAckTokens(Buffer.from(stored, 'base64url'));
}

export function createAckTokens(key: Buffer): AckTokens {
  const mac = (text: string) => createHmac('sha256', key).update(text).digest();
  // Compared as base64url text, not decoded bytes: a decoder ignores the last character's spare
  // bits, so a token altered there would otherwise still pass.
  const same = (expected: Buffer, given: string) => {
    const a = Buffer.from(expected.toString('base64url'));
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  return {
    sign(claim) {
      const body = Buffer.from(
        JSON.stringify({ k: claim.kind, i: claim.id, u: claim.username, e: claim.exp }),
      ).toString('base64url');
      return `v1.${body}.${mac(`v1.${body}`).toString('base64url')}`;
    },
    verify(token, now) {
      const [version, body, signature] = token.split('.');
      if (version !== 'v1' || body === undefined || signature === undefined) return undefined;
      if (!same(mac(`v1.${body}`), signature)) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      const parsed = ClaimSchema.safeParse(json);
      if (!parsed.success || parsed.data.e <= now) return undefined;
      return { kind: parsed.data.k, id: parsed.data.i, username: parsed.data.u, exp: parsed.data.e };
    },
    signDelivery(deliveryId) {
      return `ack:${deliveryId}.${mac(`tg.${deliveryId}`).subarray(0, SHORT_MAC_BYTES).toString('base64url')}`;
    },
    verifyDelivery(data) {
      const found = /^ack:([A-Za-z0-9-]{1,40})\.([A-Za-z0-9_-]{16})$/.exec(data);
      if (!found) return undefined;
      const [, id = '', signature = ''] = found;
      return same(mac(`tg.${id}`).subarray(0, SHORT_MAC_BYTES), signature) ? id : undefined;
    },
  };
}

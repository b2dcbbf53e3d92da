import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

/*
 * Passwords are hashed with argon2id (the `argon2` package: the reference implementation, widely
 * used, PHC strings that carry their own parameters). Token secrets are random 256-bit values, so a
 * fast SHA-256 is enough to store them: there is nothing to guess.
 */

/** argon2id with the library's defaults (64 MiB, t=3, p=4): ~0.1–0.2 s here, a deliberate cost per guess. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

/** Whether `password` matches the PHC `hash`; false (never a throw) for a malformed hash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** A hash to verify against when the user does not exist, so a wrong username costs as much time as a wrong password. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}

/** A random secret, URL-safe: `bytes` of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A password people can type: 4 groups of 5 from an alphabet without look-alikes (~95 bits). */
export function randomPassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  let out = '';
  for (let i = 0; i < 20; i++) {
    if (i > 0 && i % 5 === 0) out += '-';
    out += alphabet[(bytes[i] ?? 0) % alphabet.length];
  }
  return out;
}

/** Prefix of API tokens, so a leaked one is recognisable in a scanner or a log. */
export const TOKEN_PREFIX = 'ioc_';

export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomSecret(32);
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string equality (compares digests, so unequal lengths leak nothing either). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

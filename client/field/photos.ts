import type { MAX_PHOTO_BYTES, PHOTO_TYPES } from '../../contract/field.js';

/*
 * The contract's photo limits, checked on the phone before a photo is queued (the server checks the
 * bytes again). Imported as values they would bring the schema library into the phone's bundle, so
 * the types hold these copies to the contract: a type added there fails to compile here.
 */
const ACCEPTED: Record<(typeof PHOTO_TYPES)[number], true> = { 'image/jpeg': true, 'image/png': true, 'image/webp': true };
const MAX_BYTES: typeof MAX_PHOTO_BYTES = 10 * 1024 * 1024;

/** Why a chosen file cannot be sent as a photo ('type' or 'size'), or null when it can. */
export function photoProblem(file: { type: string; size: number }): 'type' | 'size' | null {
  if (!Object.hasOwn(ACCEPTED, file.type)) return 'type';
  return file.size > MAX_BYTES ? 'size' : null;
}

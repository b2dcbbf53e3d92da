import type { Observation } from '../contract/index.js';
import { decodePayload } from './formats/index.js';
import type { DecodeContext, PayloadFormat } from './formats/types.js';
import { hasContent, type FieldTypeRegistry } from './field-types.js';
import { normalizeObservation, type NormalizeOptions } from './normalize.js';

/** What ingest checks an item against: the normalisation limits and, when given, the per-domain field kinds. */
export type IngestRules = Omit<NormalizeOptions, 'now'> & { fieldTypes?: FieldTypeRegistry };

export interface PayloadOutcome {
  observations: Observation[];
  rejected: { index: number; error: string }[];
}

/** Decodes one payload (any format) and validates each item; good items survive bad neighbours. */
export function ingestPayload(
  payload: Buffer | string,
  format: PayloadFormat | 'auto',
  context: DecodeContext,
  normalize: IngestRules,
  now: number,
): PayloadOutcome {
  const batch = startIngest(payload, format, context, normalize, now);
  batch.next(Infinity);
  return batch.finish();
}

/** A decoded payload validated a slice at a time, so a large body can let the event loop turn between slices. */
export interface IngestBatch {
  /** Items not validated yet. */
  readonly remaining: number;
  /** Validates up to `count` more items and returns the good ones among them. */
  next(count: number): Observation[];
  /** Everything validated so far, rejections in item order. */
  finish(): PayloadOutcome;
}

/** Decodes one payload (any format); `next` validates its items in slices. */
export function startIngest(
  payload: Buffer | string,
  format: PayloadFormat | 'auto',
  context: DecodeContext,
  normalize: IngestRules,
  now: number,
): IngestBatch {
  const observations: Observation[] = [];
  let decoded;
  try {
    decoded = decodePayload(payload, format, context);
  } catch (err) {
    // A decoder bug must not take the stream down: the message is rejected with the reason.
    const rejected = [{ index: 0, error: `could not decode payload: ${(err as Error).message}` }];
    return { remaining: 0, next: () => [], finish: () => ({ observations, rejected }) };
  }
  const { items } = decoded;
  // Decoders return fresh arrays: the errors array is ours to extend.
  const rejected = decoded.errors;
  // An empty array or pack is refused like any other payload that brings nothing, with the reason.
  if (items.length === 0 && rejected.length === 0) rejected.push({ index: 0, error: 'the payload holds no observation' });
  // Spelled out rather than spread: one stable object shape for the hot normalise path (~1.5x measured on JSON).
  const options: NormalizeOptions = {
    now,
    maxFutureMs: normalize.maxFutureMs,
    maxPastMs: normalize.maxPastMs,
    domains: normalize.domains,
  };
  const { fieldTypes } = normalize;
  let position = 0;
  return {
    get remaining() {
      return items.length - position;
    },
    next(count) {
      const end = Math.min(items.length, position + count);
      const from = observations.length;
      for (; position < end; position++) {
        const item = items[position]!;
        const result = normalizeObservation(item.value, options);
        if (!result.ok) {
          rejected.push({ index: item.index, error: result.error });
          continue;
        }
        if (fieldTypes !== undefined) {
          // A value of the wrong kind is refused alone; the item's other fields are kept.
          const problems = fieldTypes.admit(result.observation);
          if (problems.length > 0) {
            rejected.push({ index: item.index, error: problems.join('; ') });
            if (!hasContent(result.observation)) continue;
          }
        }
        observations.push(result.observation);
      }
      return observations.slice(from);
    },
    finish() {
      if (rejected.length > 1) rejected.sort((a, b) => a.index - b.index);
      return { observations, rejected };
    },
  };
}

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
  let decoded;
  try {
    decoded = decodePayload(payload, format, context);
  } catch (err) {
    // A decoder bug must not take the stream down: the message is rejected with the reason.
    return { observations: [], rejected: [{ index: 0, error: `could not decode payload: ${(err as Error).message}` }] };
  }
  const observations: Observation[] = [];
  // Decoders return fresh arrays: the errors array is ours to extend.
  const rejected = decoded.errors;
  // An empty array or pack is refused like any other payload that brings nothing, with the reason.
  if (decoded.items.length === 0 && rejected.length === 0) rejected.push({ index: 0, error: 'the payload holds no observation' });
  // Spelled out rather than spread: one stable object shape for the hot normalise path (~1.5x measured on JSON).
  const options: NormalizeOptions = {
    now,
    maxFutureMs: normalize.maxFutureMs,
    maxPastMs: normalize.maxPastMs,
    domains: normalize.domains,
  };
  const { fieldTypes } = normalize;
  for (const item of decoded.items) {
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
  if (rejected.length > 1) rejected.sort((a, b) => a.index - b.index);
  return { observations, rejected };
}

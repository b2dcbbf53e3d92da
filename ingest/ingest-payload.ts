import type { Observation } from '../contract/index.js';
import { decodePayload } from './formats/index.js';
import type { DecodeContext, DecodedItem, PayloadFormat } from './formats/types.js';
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
  // Every MQTT message comes this way: validated in one go, with no slice copied out.
  const batch = new PayloadBatch(payload, format, context, normalize, now);
  batch.advance(Infinity);
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
  return new PayloadBatch(payload, format, context, normalize, now);
}

// A class rather than a closure object: one per MQTT message, so its methods live on the prototype.
class PayloadBatch implements IngestBatch {
  private readonly observations: Observation[] = [];
  private readonly items: DecodedItem[];
  private readonly rejected: PayloadOutcome['rejected'];
  private readonly options: NormalizeOptions;
  private readonly fieldTypes: FieldTypeRegistry | undefined;
  private position = 0;

  constructor(payload: Buffer | string, format: PayloadFormat | 'auto', context: DecodeContext, normalize: IngestRules, now: number) {
    // Spelled out rather than spread: one stable object shape for the hot normalise path (~1.5x measured on JSON).
    this.options = { now, maxFutureMs: normalize.maxFutureMs, maxPastMs: normalize.maxPastMs, domains: normalize.domains };
    this.fieldTypes = normalize.fieldTypes;
    let decoded;
    try {
      decoded = decodePayload(payload, format, context);
    } catch (err) {
      // A decoder bug must not take the stream down: the message is rejected with the reason.
      this.items = [];
      this.rejected = [{ index: 0, error: `could not decode payload: ${(err as Error).message}` }];
      return;
    }
    this.items = decoded.items;
    // Decoders return fresh arrays: the errors array is ours to extend.
    this.rejected = decoded.errors;
    // An empty array or pack is refused like any other payload that brings nothing, with the reason.
    if (this.items.length === 0 && this.rejected.length === 0) {
      this.rejected.push({ index: 0, error: 'the payload holds no observation' });
    }
  }

  get remaining(): number {
    return this.items.length - this.position;
  }

  /** Validates up to `count` more items into `observations`. */
  advance(count: number): void {
    const { items, options, fieldTypes, observations, rejected } = this;
    const end = Math.min(items.length, this.position + count);
    for (; this.position < end; this.position++) {
      const item = items[this.position]!;
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
  }

  next(count: number): Observation[] {
    const from = this.observations.length;
    this.advance(count);
    return this.observations.slice(from);
  }

  finish(): PayloadOutcome {
    if (this.rejected.length > 1) this.rejected.sort((a, b) => a.index - b.index);
    return { observations: this.observations, rejected: this.rejected };
  }
}

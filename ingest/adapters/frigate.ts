import { z } from 'zod';
import { formatIssues } from '../../contract/index.js';

/*
 * Frigate NVR publishes one message per tracked object change on `<prefix>/events`:
 * `{type: 'new'|'update'|'end', before, after}`, `after` being the object as it is now. The product
 * takes these messages unchanged (Frigate cannot be taught another format) and reads only `after`.
 * https://docs.frigate.video/integrations/mqtt/#frigateevents
 */

const FrigateObjectSchema = z
  .object({
    id: z.string().min(1).max(128),
    camera: z.string().min(1).max(128),
    label: z.string().min(1).max(64),
    /** Recognised face or plate name: `[name, score]` in Frigate ≥ 0.14, a plain string before. */
    sub_label: z.union([z.string(), z.tuple([z.string(), z.number()]), z.null()]).optional(),
    score: z.number().min(0).max(1).optional(),
    top_score: z.number().min(0).max(1).optional(),
    frame_time: z.number().positive().optional(),
    start_time: z.number().positive(),
    end_time: z.number().positive().nullable().optional(),
    current_zones: z.array(z.string().max(128)).max(64).optional(),
    entered_zones: z.array(z.string().max(128)).max(64).optional(),
    has_snapshot: z.boolean().optional(),
    has_clip: z.boolean().optional(),
    /** Frigate ≥ 0.16 licence plate recognition. */
    recognized_license_plate: z.string().max(32).nullable().optional(),
  })
  .loose();

export const FrigateEventSchema = z
  .object({
    type: z.enum(['new', 'update', 'end']),
    after: FrigateObjectSchema,
  })
  .loose();

/** One Frigate object change, in the product's units (ms since epoch). */
export interface FrigateChange {
  type: 'new' | 'update' | 'end';
  id: string;
  camera: string;
  label: string;
  score: number;
  /** When the change happened (the frame's time, or the end time). */
  at: number;
  start: number;
  end: number | null;
  zones: string[];
  hasSnapshot: boolean;
  hasClip: boolean;
  plate?: string;
}

export type FrigateDecoded = { ok: true; change: FrigateChange } | { ok: false; error: string };

const ms = (seconds: number) => Math.round(seconds * 1000);

/** Decodes one `frigate/events` payload; the error names what is wrong. */
export function decodeFrigateEvent(payload: Buffer | string): FrigateDecoded {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const parsed = FrigateEventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `not a Frigate event: ${formatIssues(parsed.error, 'event')}` };
  const { type, after } = parsed.data;
  const end = after.end_time ?? null;
  const subLabel = Array.isArray(after.sub_label) ? after.sub_label[0] : after.sub_label;
  // Older Frigate versions put a recognised plate in sub_label for `license_plate` and `car` objects.
  const plate = after.recognized_license_plate ?? (after.label === 'license_plate' && subLabel ? subLabel : undefined);
  return {
    ok: true,
    change: {
      type,
      id: after.id,
      camera: after.camera,
      label: after.label,
      score: after.top_score ?? after.score ?? 0,
      at: ms(type === 'end' && end !== null ? end : (after.frame_time ?? after.start_time)),
      start: ms(after.start_time),
      end: end === null ? null : ms(end),
      zones: after.current_zones ?? after.entered_zones ?? [],
      hasSnapshot: after.has_snapshot ?? false,
      hasClip: after.has_clip ?? false,
      ...(plate ? { plate } : {}),
    },
  };
}

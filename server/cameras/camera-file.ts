import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CameraEventSchema, type CameraEvent } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';

/** How often changed events are written out, ms: a restart loses at most this much. */
export const CAMERA_FILE_SAVE_MS = 5_000;

const CameraFileSchema = z.object({ version: z.literal(1), events: z.array(CameraEventSchema) });

/** Drops what must never leave memory: a licence plate is personal data (README: cameras). */
function withoutPlate(event: CameraEvent): CameraEvent {
  const { plate: _plate, ...rest } = event;
  return rest;
}

export interface CameraEventFile {
  /** The events kept at the last save, oldest first; none when the file is missing or unreadable. */
  load(): CameraEvent[];
  /** Writes `events` (oldest first) without their plates, replacing the file whole. */
  save(events: readonly CameraEvent[]): Promise<void>;
}

/** Recent camera events in one JSON file in the data dir, so the wall's camera board survives a restart. */
export function createCameraEventFile(file: string, logger: Logger): CameraEventFile {
  let writing: Promise<void> = Promise.resolve();
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return [];
      }
      try {
        const parsed = CameraFileSchema.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data.events.map(withoutPlate);
        logger.warn('camera events file ignored: not in the expected shape', { file, error: parsed.error.message });
      } catch (err) {
        logger.warn('camera events file ignored: not JSON', { file, error: (err as Error).message });
      }
      return [];
    },
    save(events) {
      const body = JSON.stringify({ version: 1, events: events.map(withoutPlate) });
      // One write at a time, each to a temp file renamed over the old one: a crash leaves the old or the new file, never half.
      writing = writing.then(async () => {
        mkdirSync(path.dirname(file), { recursive: true });
        const temp = `${file}.tmp`;
        await writeFile(temp, body);
        await rename(temp, file);
      });
      return writing.catch((err: unknown) => logger.warn('camera events not saved', { file, error: (err as Error).message }));
    },
  };
}

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Identifies the console build being served: a hash of its index.html, which names every asset by
 * its content hash. Wall displays poll it and reload when it changes, so a new deployment reaches
 * screens nobody touches. Re-read only when the file's modification time changes.
 */
export function createBuildId(clientDir: string): () => string | undefined {
  const file = path.join(clientDir, 'index.html');
  let cached: { mtimeMs: number; id: string } | undefined;
  return () => {
    try {
      const { mtimeMs } = statSync(file);
      if (cached?.mtimeMs !== mtimeMs) {
        cached = { mtimeMs, id: createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16) };
      }
      return cached.id;
    } catch {
      // No built console (API-only runs and some tests): nothing to compare.
      return undefined;
    }
  };
}

import type { Observation } from '../../contract/index.js';
import { createFieldCatalog, type FieldCatalogChanges } from './embedded-catalog.js';
import { createCompactor } from './embedded-compact.js';
import { eachState, LatestMirror, type LatestStates } from './embedded-latest.js';
import { openWriterDatabase } from './embedded-schema.js';
import type { RetentionOptions } from './retention.js';

/**
 * Everything written to the SQLite file, in the writer thread: observation batches (rows, the
 * `latest` upserts, the field catalogue and the batch number, in one transaction) and compaction.
 */
export function createEmbeddedWriter(file: string, checkpointPages: number, retention?: RetentionOptions) {
  const { db, statements } = openWriterDatabase(file, checkpointPages);
  const mirror = new LatestMirror();
  mirror.load(statements.latestRows.iterate());
  const catalog = createFieldCatalog(db);
  const compactor = retention?.enabled ? createCompactor(db, retention) : undefined;
  const transaction = db.transaction(
    (seq: number, batch: readonly Observation[], changed: LatestStates, fields: FieldCatalogChanges) => {
      for (const obs of batch) {
        const tags = obs.tags && Object.keys(obs.tags).length > 0 ? JSON.stringify(obs.tags) : null;
        const hasPosition = obs.lat !== undefined && obs.lon !== undefined;
        const ts = Math.trunc(obs.ts);
        statements.insert.run(
          obs.domain,
          obs.id,
          ts,
          hasPosition ? obs.lat! : null,
          hasPosition ? obs.lon! : null,
          JSON.stringify(obs.fields),
          tags,
          obs.integers === undefined ? null : JSON.stringify(obs.integers),
        );
        mirror.merge(changed, obs, ts, tags);
        catalog.note(fields, obs, ts);
      }
      catalog.store(fields);
      // One row per entity per batch, however many observations it reported.
      for (const s of eachState(changed)) {
        const integers = s.integers === undefined || Object.keys(s.integers).length === 0 ? null : JSON.stringify(s.integers);
        statements.replaceLatest.run(s.domain, s.id, s.ts, s.lat, s.lon, JSON.stringify(s.fields), s.tags, integers);
      }
      // Committed with the rows: after a writer crash, the batches up to this one are known to be on disk.
      statements.recordBatch.run(seq);
    },
  );

  return {
    /** The number of the last batch committed (0 for a new file). */
    committedSeq(): number {
      return statements.committedBatch.get()?.batch ?? 0;
    },
    /** Commits one batch in one transaction; throws (nothing written) on failure. */
    commit(seq: number, batch: readonly Observation[]): void {
      const changed: LatestStates = new Map();
      const fields: FieldCatalogChanges = new Map();
      transaction(seq, batch, changed, fields);
      mirror.apply(changed);
      catalog.apply(fields);
    },
    /** One bounded compaction pass (server/store/embedded-compact.ts); undefined when retention is off. */
    compact(now: number) {
      return compactor?.pass(now);
    },
    /** Copies WAL pages back into the file: PASSIVE never waits for readers, TRUNCATE also empties the WAL. */
    checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
      db.pragma(`wal_checkpoint(${mode})`);
    },
    close(): void {
      db.close();
    },
  };
}

export type EmbeddedWriter = ReturnType<typeof createEmbeddedWriter>;

import type { AuditEntry } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { AuditQuery, NewAuditEntry, StateStore } from '../state/types.js';

/** Records who did what, from where; the one place every module writes audit entries through. */
export interface AuditLog {
  /** Appends an entry without blocking the caller; a failure is logged and counted, never thrown. */
  record(entry: Omit<NewAuditEntry, 'at'> & { at?: number }): void;
  /** Resolves when every entry recorded so far has been written (or has failed). */
  flush(): Promise<void>;
  query(query: AuditQuery): Promise<AuditEntry[]>;
  stats(): { written: number; failed: number };
}

/** Keys whose values never reach the audit log or the server log. */
const SECRET_KEYS = /pass(word)?|secret|token|hash|cookie|authorization/i;

/** Drops secrets from details (defence in depth: callers should not pass them at all). */
function redact(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) out[key] = SECRET_KEYS.test(key) ? '[redacted]' : value;
  return out;
}

export function createAuditLog(deps: { store: StateStore; logger: Logger; clock?: () => number }): AuditLog {
  const clock = deps.clock ?? Date.now;
  const pending = new Set<Promise<void>>();
  let written = 0;
  let failed = 0;
  return {
    record(entry) {
      const row: NewAuditEntry = { ...entry, at: entry.at ?? clock(), details: redact(entry.details) };
      const write = deps.store.appendAudit(row).then(
        () => {
          written += 1;
        },
        (err: Error) => {
          failed += 1;
          deps.logger.error('audit entry not written', { action: row.action, actor: row.actor, target: row.target, error: err.message });
        },
      );
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
    async flush() {
      await Promise.all([...pending]);
    },
    query: (query) => deps.store.queryAudit(query),
    stats: () => ({ written, failed }),
  };
}

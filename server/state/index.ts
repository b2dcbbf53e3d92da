import type { Config } from '../../config/schema.js';
import { quietLogger, type StoreLogger } from '../store/types-logger.js';
import { PostgresStateStore } from './postgres-state.js';
import { SqliteStateStore } from './sqlite-state.js';
import type { StateStore } from './types.js';

export * from './types.js';
export { PostgresStateStore, type PostgresStateStoreOptions } from './postgres-state.js';
export { SqliteStateStore, type SqliteStateStoreOptions } from './sqlite-state.js';

/** The configured state store: PostgreSQL when `postgresUrl` is set (several nodes share it), else SQLite in `dataDir`. */
export function createStateStore(config: Config, logger: StoreLogger = quietLogger): StateStore {
  if (config.postgresUrl) return new PostgresStateStore({ url: config.postgresUrl }, logger);
  return new SqliteStateStore({ dataDir: config.dataDir });
}

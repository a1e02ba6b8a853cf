/**
 * Opening the store: PostgreSQL when `DATABASE_URL` is set, otherwise SQLite in
 * `DATA_DIR/switchboard.db`.
 *
 * @module
 */
import path from 'node:path';
import { SwitchboardError } from '../errors';
import type { PostgresDriver } from './postgres-driver';
import { SqlStore } from './sql-store';
import { SqliteDriver } from './sqlite-driver';
import type { Store } from './types';

export * from './types';
export { StoreConflictError, isStoreUnavailable, retryOnConflict } from './driver';
export { SqlStore } from './sql-store';

export interface OpenStoreOptions {
  /** `postgres://…` for PostgreSQL. */
  databaseUrl?: string | undefined;
  /** Folder of the SQLite file; `:memory:` for a throwaway store. */
  dataDir?: string;
  /** Apply migrations (default true). */
  migrate?: boolean;
  /** Where the store reports trouble it recovers from by itself (a log's warn). */
  warn?: (message: string, error: Error) => void;
}

/** Opens, migrates and checks the store; a clear SB_STORE_UNAVAILABLE error if it cannot. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  let store: SqlStore;
  const where = options.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${options.dataDir}`;
  try {
    if (options.databaseUrl) {
      // pg loads with a PostgreSQL store only.
      const { PostgresDriver: Driver } = require('./postgres-driver') as {
        PostgresDriver: typeof PostgresDriver;
      };
      store = new SqlStore(new Driver(options.databaseUrl));
    } else {
      const dir = options.dataDir ?? './data';
      store = new SqlStore(
        new SqliteDriver(dir === ':memory:' ? dir : path.join(dir, 'switchboard.db'), options.warn),
      );
    }
  } catch (error) {
    throw new SwitchboardError(
      'SB_STORE_UNAVAILABLE',
      `Cannot open the store (${where}): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    await store.ping();
  } catch (error) {
    await store.close().catch(() => {});
    throw new SwitchboardError(
      'SB_STORE_UNAVAILABLE',
      `Cannot reach the store (${where}): ${(error as Error).message}. Check that the database is running and the URL is right.`,
      { cause: error },
    );
  }
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close().catch(() => {});
      throw new SwitchboardError(
        'SB_MIGRATION_FAILED',
        `Migrating the store failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return store;
}

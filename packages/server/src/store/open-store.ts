import { createKyselyStore } from './kysely-store.js';
import { migrateToLatest } from './migrations/migrate.js';
import { openDatabase, type StoreLocation } from './open-database.js';
import type { Store } from './store.js';
import type { StoreLogger } from './store-logger.js';

export interface OpenStoreOptions extends StoreLocation {
  readonly logger?: StoreLogger;
}

/**
 * Opens the store the configuration names — SQLite in the data directory
 * when `databaseUrl` is null, PostgreSQL otherwise — and applies any pending
 * migrations before returning it.
 *
 * Fails with ERR_STORE_UNAVAILABLE when the database cannot be reached and
 * ERR_STORE_MIGRATION_FAILED when its schema cannot be brought up to date
 * (including a database already migrated by a newer Vigil).
 *
 * @example
 * const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger });
 * try {
 *   await store.ping();
 * } finally {
 *   await store.close();
 * }
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { engine, db } = await openDatabase(options, options.logger);
  try {
    await migrateToLatest(db, {
      engine,
      createSchema: engine === 'postgres' ? options.postgresSchema : undefined,
      logger: options.logger,
      now: Date.now(),
    });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return createKyselyStore(db, engine);
}

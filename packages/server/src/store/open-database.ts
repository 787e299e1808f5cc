import { mkdir } from 'node:fs/promises';
import { Kysely } from 'kysely';
import type { Database, StoreEngine } from './database.js';
import { ErrorMappingDialect } from './error-mapping-dialect.js';
import { createPostgresDialect } from './postgres/postgres-dialect.js';
import { createSqliteDialect, sqliteFileOf } from './sqlite/sqlite-dialect.js';
import type { StoreLogger } from './store-logger.js';

/** Where a store's data lives; the shape of the matching `VigilConfig` fields. */
export interface StoreLocation {
  /** The data directory; with SQLite the database is `<dataDir>/vigil.sqlite`. */
  readonly dataDir: string;
  /** null: embedded SQLite. `postgres://…`: PostgreSQL. */
  readonly databaseUrl: string | null;
  /**
   * PostgreSQL only: the schema to keep Vigil's tables in, created if
   * missing and set as `search_path` on every pooled connection. Unset: the
   * server's default `search_path` (normally `public`). Lets tests, or two
   * installations sharing a database, stay apart.
   */
  readonly postgresSchema?: string | undefined;
}

export interface OpenedDatabase {
  readonly engine: StoreEngine;
  readonly db: Kysely<Database>;
}

/**
 * A Kysely instance on the location's engine, with driver errors mapped to
 * `VigilError`. Connects lazily: nothing is opened until the first query.
 * No schema is created or migrated here (that is `openStore`), so backup and
 * restore can look at a database without changing it.
 */
export async function openDatabase(
  location: StoreLocation,
  logger?: StoreLogger,
): Promise<OpenedDatabase> {
  if (location.databaseUrl === null) {
    // The data dir holds keys as well as the database: owner-only.
    await mkdir(location.dataDir, { recursive: true, mode: 0o700 });
    const dialect = new ErrorMappingDialect(createSqliteDialect(sqliteFileOf(location.dataDir)));
    return { engine: 'sqlite', db: new Kysely<Database>({ dialect }) };
  }
  const dialect = new ErrorMappingDialect(
    createPostgresDialect({
      connectionString: location.databaseUrl,
      schema: location.postgresSchema ?? null,
      logger,
    }),
  );
  return { engine: 'postgres', db: new Kysely<Database>({ dialect }) };
}

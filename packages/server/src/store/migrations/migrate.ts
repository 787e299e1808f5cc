import { sql, type Kysely } from 'kysely';
import { VigilError } from '@vigil/core';
import type { Database, StoreEngine } from '../database.js';
import type { StoreLogger } from '../store-logger.js';
import { vigilMigrations } from './migrations.js';

/** The table of applied versions; one row per migration. */
export const MIGRATION_TABLE = 'vigil_schema_migrations';

/**
 * Key of the PostgreSQL advisory lock held while migrating, so two servers
 * starting at once migrate one after the other. (On SQLite the transaction's
 * BEGIN IMMEDIATE is the lock.)
 */
const MIGRATION_LOCK = 0x5649_4749_4c4d; // "VIGILM"

type MigrationTable = {
  [MIGRATION_TABLE]: { version: number; name: string; applied_at: number };
};

export interface MigrateOptions {
  readonly engine: StoreEngine;
  /** PostgreSQL: a schema to create first if it is missing (it is already on `search_path`). */
  readonly createSchema?: string | undefined;
  readonly logger?: StoreLogger | undefined;
  /** Recorded as `applied_at`, epoch ms. */
  readonly now: number;
}

/**
 * Brings the schema up to date and returns its version. Safe at every start
 * and from several processes at once: everything — creating the schema and
 * the version table included — happens in one transaction under a lock, so
 * the second process finds the first one's work committed. PostgreSQL's
 * `IF NOT EXISTS` alone still races (the loser gets "already exists").
 *
 * A table of versions rather than Kysely's Migrator: the Migrator finds its
 * table by introspecting every schema in the database, which fails when
 * another schema is dropped meanwhile (as tests and shared databases do).
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  options: MigrateOptions,
): Promise<number> {
  const migrations = vigilMigrations(options.engine);
  const latest = migrations.at(-1)?.version ?? 0;
  const applied = await db
    .transaction()
    .execute(async (trx) => {
      if (options.engine === 'postgres') {
        await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      }
      if (options.createSchema !== undefined) {
        await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(options.createSchema)}`.execute(trx);
      }
      await createMigrationTable(trx);
      const current = await readSchemaVersion(trx);
      if (current > latest) {
        throw new VigilError(
          'ERR_STORE_MIGRATION_FAILED',
          `The database has schema version ${current}, newer than this server's ${latest}; run a newer Vigil.`,
        );
      }
      const pending = migrations.filter((m) => m.version > current);
      for (const migration of pending) {
        await migration.up(trx);
        await trx
          .withTables<MigrationTable>()
          .insertInto(MIGRATION_TABLE)
          .values({ version: migration.version, name: migration.name, applied_at: options.now })
          .execute();
      }
      return pending.map((m) => `${String(m.version).padStart(4, '0')}-${m.name}`);
    })
    .catch((error: unknown) => {
      // A connection failure keeps its own code; anything else is a migration that broke.
      if (error instanceof VigilError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new VigilError(
        'ERR_STORE_MIGRATION_FAILED',
        `Migrating the database failed: ${reason}`,
        {
          cause: error,
        },
      );
    });
  if (applied.length > 0)
    options.logger?.info({ migrations: applied }, 'Applied database migrations');
  return latest;
}

/** The schema version recorded in the database: the highest applied version, 0 if none. */
export async function readSchemaVersion(db: Kysely<Database>): Promise<number> {
  const row = await db
    .withTables<MigrationTable>()
    .selectFrom(MIGRATION_TABLE)
    .select((eb) => eb.fn.max('version').as('version'))
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

async function createMigrationTable(db: Kysely<Database>): Promise<void> {
  await db.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
}

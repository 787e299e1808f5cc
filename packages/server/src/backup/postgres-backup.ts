import { sql, type Kysely } from 'kysely';
import { VigilError } from '@vigil/core';
import type { Database } from '../store/database.js';
import { openDatabase, type StoreLocation } from '../store/open-database.js';
import { currentPostgresSchema } from '../store/postgres/postgres-schema.js';
import { runPgTool, type PgToolOptions } from './pg-tools.js';
import { assertFactsMatch, readStoreFacts, type StoreFacts } from './store-facts.js';

type PostgresLocation = StoreLocation & { readonly databaseUrl: string };

/**
 * Dumps the store's schema with `pg_dump --format=custom -n <schema>` and
 * counts its rows, both from one exported snapshot: the counts describe
 * exactly the rows in the archive even while the server keeps writing.
 * Returns the schema dumped with the facts.
 */
export async function dumpPostgres(
  location: PostgresLocation,
  dumpFile: string,
  options: PgToolOptions,
): Promise<StoreFacts & { readonly schema: string }> {
  return withDatabase(location, (db) =>
    db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const { rows } = await sql<{ id: string }>`SELECT pg_export_snapshot() AS id`.execute(trx);
        const schema = location.postgresSchema ?? (await currentPostgresSchema(trx));
        const facts = await readStoreFacts(trx).catch((cause: unknown) => {
          if (cause instanceof VigilError) throw cause;
          throw new VigilError(
            'ERR_BACKUP_FAILED',
            `There is no Vigil store in schema ${schema}.`,
            {
              cause,
            },
          );
        });
        const args = [
          '--format=custom',
          `--file=${dumpFile}`,
          // -n takes a pattern; double quotes make it match this one name literally.
          `--schema="${schema.replaceAll('"', '""')}"`,
          `--snapshot=${rows[0]?.id ?? ''}`,
        ];
        await runPgTool('pg_dump', args, location.databaseUrl, options).catch((cause: unknown) => {
          throw new VigilError('ERR_BACKUP_FAILED', messageOf(cause), { cause });
        });
        return { ...facts, schema };
      }),
  );
}

/** The schema a restore writes into: the configured one, or the search_path's first. */
export function postgresTargetSchema(location: PostgresLocation): Promise<string> {
  return location.postgresSchema !== undefined
    ? Promise.resolve(location.postgresSchema)
    : withDatabase(location, currentPostgresSchema);
}

/** True when the schema does not exist or holds no table, view or sequence. */
export function postgresTargetIsEmpty(
  location: PostgresLocation,
  schema: string,
): Promise<boolean> {
  return withDatabase(location, async (db) => (await relationsIn(db, schema)).length === 0);
}

/**
 * Restores an archive into its schema (created if missing) with
 * `pg_restore --single-transaction`, so a failure leaves nothing behind,
 * then checks the facts; if they differ the restored tables are dropped
 * again, leaving the schema as empty as it was found.
 */
export async function restorePostgres(
  location: PostgresLocation,
  schema: string,
  dumpFile: string,
  expected: StoreFacts,
  options: PgToolOptions,
): Promise<void> {
  await withDatabase(location, async (db) => {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  });
  const args = [
    '--single-transaction',
    '--exit-on-error',
    '--no-owner',
    '--no-privileges',
    // Unlike pg_dump's, pg_restore's -n is an exact name, not a pattern.
    `--schema=${schema}`,
    dumpFile,
  ];
  await runPgTool('pg_restore', args, location.databaseUrl, options).catch((cause: unknown) => {
    throw new VigilError('ERR_BACKUP_INVALID', messageOf(cause), { cause });
  });
  await withDatabase(location, async (db) => {
    try {
      assertFactsMatch(await readStoreFacts(db), expected);
    } catch (error) {
      for (const table of await relationsIn(db, schema, 'r')) {
        await sql`DROP TABLE IF EXISTS ${sql.id(schema, table)} CASCADE`.execute(db);
      }
      throw error;
    }
  });
}

async function relationsIn(db: Kysely<Database>, schema: string, kind?: 'r'): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    ${kind === undefined ? sql`` : sql`AND c.relkind = ${kind}`}`.execute(db);
  return rows.map((r) => r.name);
}

async function withDatabase<T>(
  location: StoreLocation,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const { db } = await openDatabase(location);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** pg_dump/pg_restore's own words (stderr) are what an operator needs to fix the cause. */
function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

import { sql, type Kysely } from 'kysely';
import { VigilError } from '@vigil/core';
import type { Database } from '../database.js';

/**
 * Creates the configured schema if it is missing (e.g. a fresh test schema);
 * the pool already has it on `search_path`, so the migrations land in it.
 */
export async function ensurePostgresSchema(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  } catch (error) {
    // IF NOT EXISTS still races when two processes start at once: the
    // loser hits the unique index of pg_namespace. The schema exists then.
    if (!(error instanceof VigilError && error.code === 'ERR_CONFLICT')) throw error;
  }
}

/** The schema unqualified names resolve to on this connection. */
export async function currentPostgresSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === null || schema === undefined) {
    throw new VigilError(
      'ERR_CONFIG_INVALID',
      'No schema on the PostgreSQL search_path exists; create one or set a schema.',
    );
  }
  return schema;
}

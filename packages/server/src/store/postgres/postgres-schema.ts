import { sql, type Kysely } from 'kysely';
import { VigilError } from '@vigil/core';
import type { Database } from '../database.js';

/** The schema unqualified names resolve to on this connection. */
export async function currentPostgresSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(
    db,
  );
  const schema = rows[0]?.schema;
  if (schema === null || schema === undefined) {
    throw new VigilError(
      'ERR_CONFIG_INVALID',
      'No schema on the PostgreSQL search_path exists; create one or set a schema.',
    );
  }
  return schema;
}

import { CompiledQuery, PostgresDialect } from 'kysely';
import pg from 'pg';
import { VigilError } from '@vigil/core';
import type { StoreLogger } from '../store-logger.js';

/** Largest pool; the server is the only client and requests are short. */
const POOL_MAX = 10;
/** How long to wait for a connection before the query fails with ERR_STORE_UNAVAILABLE, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A schema name we create and put on `search_path` ourselves, so it is
 * restricted to unquoted-identifier characters (no quoting or injection to
 * reason about; at most 63 bytes, PostgreSQL's NAMEDATALEN - 1).
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertPostgresSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new VigilError(
      'ERR_CONFIG_INVALID',
      `PostgreSQL schema "${schema}" must match ${SCHEMA_NAME.source}.`,
    );
  }
}

/**
 * int8 (BIGINT, BIGSERIAL, count(*)) arrives from node-postgres as a string
 * because it may exceed 2^53. Vigil stores epoch milliseconds and sequence
 * numbers there, far below 2^53, so a number is exact and saves a conversion
 * at every call site.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(id, format) as (value: string) => unknown),
};

export interface PostgresDialectOptions {
  readonly connectionString: string;
  /** Schema to put first (and alone) on `search_path`; null keeps the server's default. */
  readonly schema: string | null;
  readonly logger?: StoreLogger | undefined;
}

/**
 * The Kysely dialect for PostgreSQL: a node-postgres pool whose every
 * connection gets the Vigil schema as its `search_path`, so the shared
 * queries never name a schema.
 */
export function createPostgresDialect(options: PostgresDialectOptions): PostgresDialect {
  const { schema, logger } = options;
  if (schema !== null) assertPostgresSchemaName(schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: POOL_MAX,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types: TYPES,
    application_name: 'vigil',
  });
  // An idle connection dropped by the server emits 'error' on the pool;
  // unhandled, it would crash the process. The next query reconnects.
  pool.on('error', (error) => {
    logger?.warn({ err: error }, 'An idle PostgreSQL connection failed');
  });
  return new PostgresDialect({
    pool,
    onCreateConnection:
      schema === null
        ? undefined
        : async (connection) => {
            await connection.executeQuery(CompiledQuery.raw(`SET search_path TO "${schema}"`));
          },
  });
}

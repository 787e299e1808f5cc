import { VigilError, isVigilError } from '@vigil/core';

/**
 * Turns a driver error (better-sqlite3 `SqliteError`, node-postgres
 * `DatabaseError`, a socket error) into a `VigilError` when it means something
 * a caller can act on; anything else (a bug, a full disk) is returned as is and
 * surfaces as ERR_INTERNAL.
 *
 * - unique / primary-key violation → ERR_CONFLICT (the store narrows it, e.g. to ERR_USER_EXISTS)
 * - foreign-key violation → ERR_NOT_FOUND (the row referred to does not exist)
 * - no connection, server shutting down, lock wait timed out → ERR_STORE_UNAVAILABLE
 */
export function toStoreError(error: unknown): unknown {
  if (isVigilError(error) || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const reason = classify(typeof code === 'string' ? code : undefined, error.message);
  switch (reason) {
    case 'conflict':
      return new VigilError('ERR_CONFLICT', 'The record already exists.', { cause: error });
    case 'missing-parent':
      return new VigilError('ERR_NOT_FOUND', 'The record refers to one that does not exist.', {
        cause: error,
      });
    case 'unavailable':
      return new VigilError('ERR_STORE_UNAVAILABLE', 'The database cannot be reached.', {
        cause: error,
      });
    case undefined:
      return error;
  }
}

type Reason = 'conflict' | 'missing-parent' | 'unavailable';

/** Node socket errors seen when the PostgreSQL server is down or unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * PostgreSQL SQLSTATEs (Appendix A of the PostgreSQL manual) meaning "try
 * again later": 57P01-03 shutdown / cannot connect now, 53300 too many
 * connections, 3D000 database missing (not created yet or dropped).
 */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);

function classify(code: string | undefined, message: string): Reason | undefined {
  if (code === undefined) {
    // node-postgres raises these two without a code.
    return /Connection terminated|timeout exceeded when trying to connect/i.test(message)
      ? 'unavailable'
      : undefined;
  }
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'conflict';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'conflict';
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'missing-parent';
  if (SOCKET_CODES.has(code) || PG_UNAVAILABLE.has(code) || code.startsWith('08')) {
    return 'unavailable';
  }
  // SQLITE_BUSY after busy_timeout: another process held the write lock too long.
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_CANTOPEN')) return 'unavailable';
  return undefined;
}

/**
 * Runs `operation`, rethrowing its failure through `toStoreError`. A thunk,
 * not a promise: better-sqlite3 fails synchronously, before any promise exists.
 */
export async function mapStoreErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStoreError(error);
  }
}

import type { Kysely } from 'kysely';
import type { Database } from '../database.js';

/**
 * Runs `fn` in a transaction: the caller's own if `db` is already one (Kysely
 * forbids nesting `transaction()`), a new one otherwise. Lets a query that
 * needs several statements to be atomic also join a service's transaction.
 */
export function inTransaction<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { toOneTimeToken, toSetupToken } from '../row-mappers.js';
import { inTransaction } from './in-transaction.js';
import type { Store } from '../store.js';

export type SingleUseTokenQueries = Pick<
  Store,
  | 'createOneTimeToken'
  | 'consumeOneTimeToken'
  | 'expireOneTimeTokensOfUser'
  | 'putSetupToken'
  | 'consumeSetupToken'
>;

/**
 * Activation, reset and first-run setup tokens. Consuming is one
 * `UPDATE … WHERE used_at IS NULL AND expires_at > now RETURNING *`: the
 * database decides which of two concurrent requests wins, and the loser gets
 * no row back (OWASP ASVS 2.5.1: recovery tokens are single-use).
 */
export function singleUseTokenQueries(db: Kysely<Database>): SingleUseTokenQueries {
  return {
    async createOneTimeToken(input) {
      const row = {
        id: randomUUID(),
        user_id: input.userId,
        purpose: input.purpose,
        token_hash: input.tokenHash,
        created_at: input.createdAt,
        expires_at: input.expiresAt,
        used_at: null,
      };
      await db.insertInto('one_time_tokens').values(row).execute();
      return toOneTimeToken(row);
    },

    async consumeOneTimeToken(tokenHash, now) {
      const row = await db
        .updateTable('one_time_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row && toOneTimeToken(row);
    },

    async expireOneTimeTokensOfUser(userId, now) {
      // Expired rather than marked used: `used_at` records only real use.
      await db
        .updateTable('one_time_tokens')
        .set({ expires_at: now })
        .where('user_id', '=', userId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .execute();
    },

    async putSetupToken(input) {
      const row = {
        id: randomUUID(),
        token_hash: input.tokenHash,
        created_at: input.createdAt,
        expires_at: input.expiresAt,
        used_at: null,
      };
      // Old unused tokens go in the same transaction, so at most one is ever valid.
      await inTransaction(db, async (trx) => {
        await trx.deleteFrom('setup_tokens').where('used_at', 'is', null).execute();
        await trx.insertInto('setup_tokens').values(row).execute();
      });
      return toSetupToken(row);
    },

    async consumeSetupToken(tokenHash, now) {
      const row = await db
        .updateTable('setup_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row && toSetupToken(row);
    },
  };
}

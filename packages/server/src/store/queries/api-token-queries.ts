import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { toApiToken } from '../row-mappers.js';
import type { Store } from '../store.js';

export type ApiTokenQueries = Pick<
  Store,
  | 'createApiToken'
  | 'getApiTokenByHash'
  | 'getApiToken'
  | 'listApiTokensOfUser'
  | 'revokeApiToken'
  | 'markApiTokenUsed'
>;

/** Personal API tokens, stored as SHA-256 digests with their scopes as a JSON array. */
export function apiTokenQueries(db: Kysely<Database>): ApiTokenQueries {
  return {
    async createApiToken(input) {
      const row = {
        id: randomUUID(),
        user_id: input.userId,
        organisation_id: input.organisationId,
        name: input.name,
        token_hash: input.tokenHash,
        scopes: JSON.stringify(input.scopes),
        created_at: input.createdAt,
        expires_at: input.expiresAt,
        revoked_at: null,
        last_used_at: null,
      };
      await db.insertInto('api_tokens').values(row).execute();
      return toApiToken(row);
    },

    async getApiTokenByHash(tokenHash) {
      const row = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toApiToken(row);
    },

    async getApiToken(id) {
      const row = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toApiToken(row);
    },

    async listApiTokensOfUser(userId) {
      const rows = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toApiToken);
    },

    async revokeApiToken(id, now) {
      // The first revocation time is the one that counts for the audit trail.
      await db
        .updateTable('api_tokens')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async markApiTokenUsed(id, now) {
      await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
    },
  };
}

import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { toSession } from '../row-mappers.js';
import type { Store } from '../store.js';

export type SessionQueries = Pick<
  Store,
  | 'createSession'
  | 'getSessionByHash'
  | 'touchSession'
  | 'setSessionState'
  | 'deleteSession'
  | 'deleteSessionsOfUser'
>;

/** Browser sessions, looked up by the SHA-256 of their cookie value only. */
export function sessionQueries(db: Kysely<Database>): SessionQueries {
  return {
    async createSession(row) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: row.idHash,
          id: row.id,
          user_id: row.userId,
          state: row.state,
          csrf_hash: row.csrfHash,
          created_at: row.createdAt,
          last_seen_at: row.lastSeenAt,
          source_ip: row.sourceIp,
          user_agent: row.userAgent,
        })
        .execute();
    },

    async getSessionByHash(idHash) {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .executeTakeFirst();
      return row && toSession(row);
    },

    async touchSession(idHash, lastSeenAt) {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: lastSeenAt })
        .where('id_hash', '=', idHash)
        .execute();
    },

    async setSessionState(idHash, state) {
      await db.updateTable('sessions').set({ state }).where('id_hash', '=', idHash).execute();
    },

    async deleteSession(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },

    async deleteSessionsOfUser(userId) {
      const result = await db
        .deleteFrom('sessions')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

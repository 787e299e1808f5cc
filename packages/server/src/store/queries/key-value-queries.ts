import type { Kysely } from 'kysely';
import { UNLOCKED } from '@vigil/core';
import type { Database } from '../database.js';
import type { Store } from '../store.js';

export type KeyValueQueries = Pick<Store, 'getThrottle' | 'putThrottle' | 'getMeta' | 'putMeta'>;

/** Lockout throttles and server metadata: small rows keyed by a string, written by upsert. */
export function keyValueQueries(db: Kysely<Database>): KeyValueQueries {
  return {
    async getThrottle(key) {
      const row = await db
        .selectFrom('throttles')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) return UNLOCKED;
      return {
        failures: row.failures,
        lockedUntil: row.locked_until,
        lastFailureAt: row.last_failure_at,
      };
    },

    async putThrottle(key, state) {
      // A reset throttle is the same as none; deleting it keeps one row per
      // address that ever mistyped from piling up.
      if (state.failures === 0 && state.lockedUntil === 0 && state.lastFailureAt === 0) {
        await db.deleteFrom('throttles').where('key', '=', key).execute();
        return;
      }
      const values = {
        failures: state.failures,
        locked_until: state.lockedUntil,
        last_failure_at: state.lastFailureAt,
      };
      await db
        .insertInto('throttles')
        .values({ key, ...values })
        .onConflict((oc) => oc.column('key').doUpdateSet(values))
        .execute();
    },

    async getMeta(key) {
      const row = await db
        .selectFrom('meta')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },

    async putMeta(key, value) {
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
  };
}

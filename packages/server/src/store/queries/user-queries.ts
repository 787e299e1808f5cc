import { randomUUID } from 'node:crypto';
import type { Kysely, Updateable } from 'kysely';
import { VigilError } from '@vigil/core';
import type { Database, UsersTable } from '../database.js';
import { toUser } from '../row-mappers.js';
import type { Store } from '../store.js';

export type UserQueries = Pick<
  Store,
  | 'createUser'
  | 'getUser'
  | 'getUserByEmail'
  | 'countUsers'
  | 'updateUser'
  | 'advanceTotpStep'
  | 'deleteUser'
>;

/**
 * People. Emails are lower-cased here, next to the unique index that relies
 * on it, so "Ann@x" and "ann@x" can never be two accounts.
 */
export function userQueries(db: Kysely<Database>): UserQueries {
  return {
    async createUser(input) {
      const row = {
        id: randomUUID(),
        email: input.email.toLowerCase(),
        name: input.name,
        password_hash: input.passwordHash,
        totp_secret_sealed: null,
        totp_pending_sealed: null,
        totp_last_step: null,
        disabled: 0,
        created_at: input.now,
        password_changed_at: null,
      };
      try {
        await db.insertInto('users').values(row).execute();
      } catch (error) {
        // The id is a fresh UUID, so the only unique key that can clash is the email.
        if (error instanceof VigilError && error.code === 'ERR_CONFLICT') {
          throw new VigilError('ERR_USER_EXISTS', 'A user with this email already exists.', {
            cause: error,
          });
        }
        throw error;
      }
      return toUser(row);
    },

    async getUser(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async getUserByEmail(email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email.toLowerCase())
        .executeTakeFirst();
      return row && toUser(row);
    },

    async countUsers() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async updateUser(id, patch) {
      const set: Updateable<UsersTable> = {};
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
      if (patch.totpSecretSealed !== undefined) set.totp_secret_sealed = patch.totpSecretSealed;
      if (patch.totpPendingSealed !== undefined) set.totp_pending_sealed = patch.totpPendingSealed;
      if (patch.totpLastStep !== undefined) set.totp_last_step = patch.totpLastStep;
      if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
      if (patch.passwordChangedAt !== undefined) set.password_changed_at = patch.passwordChangedAt;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('users').set(set).where('id', '=', id).execute();
    },

    async advanceTotpStep(userId, step) {
      // One conditional UPDATE: of two requests replaying a code, the second matches no row.
      const result = await db
        .updateTable('users')
        .set({ totp_last_step: step })
        .where('id', '=', userId)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async deleteUser(id) {
      await db.deleteFrom('users').where('id', '=', id).execute();
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { toMembership, toOrganisation, toUser } from '../row-mappers.js';
import type { Store } from '../store.js';

export type OrganisationQueries = Pick<
  Store,
  | 'createOrganisation'
  | 'getOrganisation'
  | 'listOrganisationsServedBy'
  | 'listOrganisations'
  | 'countOrganisations'
  | 'addMembership'
  | 'setMembershipRole'
  | 'removeMembership'
  | 'listMembershipsOfUser'
  | 'listMembersOfOrganisation'
  | 'countMembersWithRole'
>;

/** Tenants and who belongs to them (memberships cascade with either side). */
export function organisationQueries(db: Kysely<Database>): OrganisationQueries {
  return {
    async createOrganisation(input) {
      const row = {
        id: randomUUID(),
        kind: input.kind,
        name: input.name,
        manufacturer_id: input.manufacturerId,
        created_at: input.now,
      };
      await db.insertInto('organisations').values(row).execute();
      return toOrganisation(row);
    },

    async getOrganisation(id) {
      const row = await db
        .selectFrom('organisations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toOrganisation(row);
    },

    async listOrganisationsServedBy(manufacturerId) {
      const rows = await db
        .selectFrom('organisations')
        .selectAll()
        .where('manufacturer_id', '=', manufacturerId)
        .orderBy('name')
        .orderBy('id')
        .execute();
      return rows.map(toOrganisation);
    },

    async listOrganisations(kind) {
      let query = db.selectFrom('organisations').selectAll();
      if (kind !== undefined) query = query.where('kind', '=', kind);
      const rows = await query.orderBy('name').orderBy('id').execute();
      return rows.map(toOrganisation);
    },

    async countOrganisations() {
      const row = await db
        .selectFrom('organisations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async addMembership(input) {
      await db
        .insertInto('memberships')
        .values({
          user_id: input.userId,
          organisation_id: input.organisationId,
          role: input.role,
          created_at: input.now,
        })
        .execute();
    },

    async setMembershipRole(userId, organisationId, role) {
      await db
        .updateTable('memberships')
        .set({ role })
        .where('user_id', '=', userId)
        .where('organisation_id', '=', organisationId)
        .execute();
    },

    async removeMembership(userId, organisationId) {
      await db
        .deleteFrom('memberships')
        .where('user_id', '=', userId)
        .where('organisation_id', '=', organisationId)
        .execute();
    },

    async listMembershipsOfUser(userId) {
      const rows = await db
        .selectFrom('memberships')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('organisation_id')
        .execute();
      return rows.map(toMembership);
    },

    async listMembersOfOrganisation(organisationId) {
      const rows = await db
        .selectFrom('memberships as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .selectAll('u')
        .select(['m.organisation_id', 'm.role', 'm.created_at as member_since'])
        .where('m.organisation_id', '=', organisationId)
        .orderBy('u.email')
        .execute();
      return rows.map((r) => ({
        userId: r.id,
        organisationId: r.organisation_id,
        role: r.role,
        createdAt: r.member_since,
        user: toUser(r),
      }));
    },

    async countMembersWithRole(organisationId, role) {
      const row = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organisation_id', '=', organisationId)
        .where('role', '=', role)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

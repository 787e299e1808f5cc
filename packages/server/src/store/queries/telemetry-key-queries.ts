import type { Kysely, Selectable } from 'kysely';
import type {
  Database,
  DataKeysTable,
  KeyManifestsTable,
  PseudonymTablesTable,
} from '../database.js';
import type { Store } from '../store.js';
import type {
  DataKeyRow,
  JsonObject,
  KeyManifestRow,
  PseudonymTableRow,
} from '../telemetry-store.js';

export type TelemetryKeyQueries = Pick<
  Store,
  | 'putMemberKey'
  | 'listMemberKeys'
  | 'getManifestSigningKey'
  | 'pinManifestSigningKey'
  | 'insertKeyManifest'
  | 'getLatestKeyManifest'
  | 'putTeamKey'
  | 'listTeamKeys'
  | 'putPseudonymSecret'
  | 'getPseudonymSecret'
  | 'insertDataKey'
  | 'getDataKey'
  | 'listDataKeys'
  | 'putPseudonymTable'
  | 'listPseudonymTables'
>;

/**
 * Public keys and wrapped keys of protected telemetry. JWKs and JWEs are kept
 * as JSON text and parsed back on reading; the store wrote them, so they are
 * trusted here (the services validated them on the way in).
 */
export function telemetryKeyQueries(db: Kysely<Database>): TelemetryKeyQueries {
  return {
    async putMemberKey(row) {
      const values = {
        kid: row.kid,
        public_jwk: JSON.stringify(row.publicJwk),
        registered_at: row.registeredAt,
      };
      await db
        .insertInto('member_keys')
        .values({ organisation_id: row.organisationId, user_id: row.userId, ...values })
        .onConflict((oc) => oc.columns(['organisation_id', 'user_id']).doUpdateSet(values))
        .execute();
    },

    async listMemberKeys(organisationId) {
      const rows = await db
        .selectFrom('member_keys as k')
        .innerJoin('memberships as m', (join) =>
          join
            .onRef('m.user_id', '=', 'k.user_id')
            .onRef('m.organisation_id', '=', 'k.organisation_id'),
        )
        .innerJoin('users as u', 'u.id', 'k.user_id')
        .select([
          'k.organisation_id',
          'k.user_id',
          'k.kid',
          'k.public_jwk',
          'k.registered_at',
          'm.role',
          'u.email',
          'u.name',
        ])
        .where('k.organisation_id', '=', organisationId)
        .orderBy('u.email')
        .execute();
      return rows.map((r) => ({
        organisationId: r.organisation_id,
        userId: r.user_id,
        kid: r.kid,
        publicJwk: parse(r.public_jwk),
        registeredAt: r.registered_at,
        email: r.email,
        displayName: r.name,
        role: r.role,
      }));
    },

    async getManifestSigningKey(organisationId) {
      const row = await db
        .selectFrom('manifest_signing_keys')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .executeTakeFirst();
      return (
        row && {
          organisationId: row.organisation_id,
          publicJwk: parse(row.public_jwk),
          fingerprint: row.fingerprint,
          pinnedAt: row.pinned_at,
        }
      );
    },

    async pinManifestSigningKey(row) {
      await db
        .insertInto('manifest_signing_keys')
        .values({
          organisation_id: row.organisationId,
          public_jwk: JSON.stringify(row.publicJwk),
          fingerprint: row.fingerprint,
          pinned_at: row.pinnedAt,
        })
        .execute();
    },

    async insertKeyManifest(row) {
      await db
        .insertInto('key_manifests')
        .values({
          organisation_id: row.organisationId,
          version: row.version,
          epoch: row.epoch,
          jws: row.jws,
          signing_public_jwk: JSON.stringify(row.signingPublicJwk),
          signing_key_fingerprint: row.signingKeyFingerprint,
          created_at: row.createdAt,
        })
        .execute();
    },

    async getLatestKeyManifest(organisationId) {
      const row = await db
        .selectFrom('key_manifests')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toKeyManifest(row);
    },

    async putTeamKey(row) {
      const values = { jwe: JSON.stringify(row.jwe), updated_at: row.updatedAt };
      await db
        .insertInto('team_keys')
        .values({ organisation_id: row.organisationId, epoch: row.epoch, ...values })
        .onConflict((oc) => oc.columns(['organisation_id', 'epoch']).doUpdateSet(values))
        .execute();
    },

    async listTeamKeys(organisationId) {
      const rows = await db
        .selectFrom('team_keys')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .orderBy('epoch')
        .execute();
      return rows.map((r) => ({
        organisationId: r.organisation_id,
        epoch: r.epoch,
        jwe: parse(r.jwe),
        updatedAt: r.updated_at,
      }));
    },

    async putPseudonymSecret(row) {
      const values = { epoch: row.epoch, jwe: JSON.stringify(row.jwe), updated_at: row.updatedAt };
      await db
        .insertInto('pseudonym_secrets')
        .values({ organisation_id: row.organisationId, ...values })
        .onConflict((oc) => oc.column('organisation_id').doUpdateSet(values))
        .execute();
    },

    async getPseudonymSecret(organisationId) {
      const row = await db
        .selectFrom('pseudonym_secrets')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .executeTakeFirst();
      return (
        row && {
          organisationId: row.organisation_id,
          epoch: row.epoch,
          jwe: parse(row.jwe),
          updatedAt: row.updated_at,
        }
      );
    },

    async insertDataKey(row) {
      const result = await db
        .insertInto('data_keys')
        .values({
          kid: row.kid,
          organisation_id: row.organisationId,
          epoch: row.epoch,
          device_id: row.deviceId,
          jwe: JSON.stringify(row.jwe),
          sha256: row.sha256,
          created_at: row.createdAt,
        })
        .onConflict((oc) => oc.column('kid').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async getDataKey(kid) {
      const row = await db
        .selectFrom('data_keys')
        .selectAll()
        .where('kid', '=', kid)
        .executeTakeFirst();
      return row && toDataKey(row);
    },

    async listDataKeys(organisationId, options) {
      let query = db
        .selectFrom('data_keys')
        .selectAll()
        .where('organisation_id', '=', organisationId);
      if (options.kid !== undefined) query = query.where('kid', '=', options.kid);
      if (options.afterKid !== undefined) query = query.where('kid', '>', options.afterKid);
      const rows = await query.orderBy('kid').limit(options.limit).execute();
      return rows.map(toDataKey);
    },

    async putPseudonymTable(row) {
      const jwe = JSON.stringify(row.jwe);
      const stored = await db
        .insertInto('pseudonym_tables')
        .values({
          device_id: row.deviceId,
          organisation_id: row.organisationId,
          version: 1,
          jwe,
          updated_at: row.updatedAt,
        })
        .onConflict((oc) =>
          oc.column('device_id').doUpdateSet((eb) => ({
            // The device's care organisation may have changed since its last upload.
            organisation_id: row.organisationId,
            version: eb('pseudonym_tables.version', '+', 1),
            jwe,
            updated_at: row.updatedAt,
          })),
        )
        .returning('version')
        .executeTakeFirstOrThrow();
      return Number(stored.version);
    },

    async listPseudonymTables(organisationId) {
      const rows = await db
        .selectFrom('pseudonym_tables')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .orderBy('device_id')
        .execute();
      return rows.map(toPseudonymTable);
    },
  };
}

function parse(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}

function toKeyManifest(row: Selectable<KeyManifestsTable>): KeyManifestRow {
  return {
    organisationId: row.organisation_id,
    version: Number(row.version),
    epoch: Number(row.epoch),
    jws: row.jws,
    signingPublicJwk: parse(row.signing_public_jwk),
    signingKeyFingerprint: row.signing_key_fingerprint,
    createdAt: row.created_at,
  };
}

function toDataKey(row: Selectable<DataKeysTable>): DataKeyRow {
  return {
    kid: row.kid,
    organisationId: row.organisation_id,
    epoch: Number(row.epoch),
    deviceId: row.device_id,
    jwe: parse(row.jwe),
    sha256: row.sha256,
    createdAt: row.created_at,
  };
}

function toPseudonymTable(row: Selectable<PseudonymTablesTable>): PseudonymTableRow {
  return {
    deviceId: row.device_id,
    organisationId: row.organisation_id,
    version: Number(row.version),
    jwe: parse(row.jwe),
    updatedAt: row.updated_at,
  };
}

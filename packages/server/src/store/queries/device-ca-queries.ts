import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, DeviceCasTable, DeviceModelsTable } from '../database.js';
import type { DeviceCaRow, DeviceModelRow } from '../device-store.js';
import type { Store } from '../store.js';
import { inTransaction } from './in-transaction.js';

export type DeviceCaQueries = Pick<
  Store,
  | 'createDeviceCa'
  | 'setDeviceCaIssuingKey'
  | 'getActiveDeviceCa'
  | 'getDeviceCa'
  | 'listDeviceCas'
  | 'activateDeviceCa'
  | 'nextCrlNumber'
  | 'putDeviceModel'
  | 'getDeviceModel'
  | 'listDeviceModels'
  | 'addAllowedSerials'
  | 'listAllowedSerials'
  | 'putAttestationNonce'
  | 'consumeAttestationNonce'
>;

/** Device CAs, device models with their attestation policy, and attestation nonces. */
export function deviceCaQueries(db: Kysely<Database>): DeviceCaQueries {
  return {
    async createDeviceCa(input) {
      const row = {
        id: randomUUID(),
        organisation_id: input.organisationId,
        root_cert_pem: input.rootCertPem,
        issuing_cert_pem: input.issuingCertPem,
        issuing_key_sealed: input.issuingKeySealed,
        active: 0,
        crl_number: 0,
        created_at: input.createdAt,
      };
      await db.insertInto('device_cas').values(row).execute();
      return toDeviceCa(row);
    },

    async setDeviceCaIssuingKey(id, issuingKeySealed) {
      await db
        .updateTable('device_cas')
        .set({ issuing_key_sealed: issuingKeySealed })
        .where('id', '=', id)
        .execute();
    },

    async getActiveDeviceCa(organisationId) {
      const row = await db
        .selectFrom('device_cas')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .where('active', '=', 1)
        .executeTakeFirst();
      return row && toDeviceCa(row);
    },

    async getDeviceCa(id) {
      const row = await db
        .selectFrom('device_cas')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toDeviceCa(row);
    },

    async listDeviceCas() {
      const rows = await db
        .selectFrom('device_cas')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toDeviceCa);
    },

    async activateDeviceCa(organisationId, id) {
      await inTransaction(db, async (trx) => {
        await trx
          .updateTable('device_cas')
          .set({ active: 0 })
          .where('organisation_id', '=', organisationId)
          .execute();
        await trx
          .updateTable('device_cas')
          .set({ active: 1 })
          .where('organisation_id', '=', organisationId)
          .where('id', '=', id)
          .execute();
      });
    },

    async nextCrlNumber(caId) {
      const row = await db
        .updateTable('device_cas')
        .set((eb) => ({ crl_number: eb('crl_number', '+', 1) }))
        .where('id', '=', caId)
        .returning('crl_number')
        .executeTakeFirstOrThrow();
      return Number(row.crl_number);
    },

    async putDeviceModel(input) {
      const existing = await db
        .selectFrom('device_models')
        .select('id')
        .where('organisation_id', '=', input.organisationId)
        .where('name', '=', input.name)
        .executeTakeFirst();
      const values = {
        attestation_required: input.attestationRequired ? 1 : 0,
        vendor_roots_pem: JSON.stringify(input.vendorRootsPem),
      };
      if (existing) {
        await db.updateTable('device_models').set(values).where('id', '=', existing.id).execute();
      } else {
        await db
          .insertInto('device_models')
          .values({
            id: randomUUID(),
            organisation_id: input.organisationId,
            name: input.name,
            created_at: input.createdAt,
            ...values,
          })
          .execute();
      }
      const row = await db
        .selectFrom('device_models')
        .selectAll()
        .where('organisation_id', '=', input.organisationId)
        .where('name', '=', input.name)
        .executeTakeFirstOrThrow();
      return toDeviceModel(row);
    },

    async getDeviceModel(organisationId, name) {
      const row = await db
        .selectFrom('device_models')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toDeviceModel(row);
    },

    async listDeviceModels(organisationId) {
      const rows = await db
        .selectFrom('device_models')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .orderBy('name')
        .execute();
      return rows.map(toDeviceModel);
    },

    async addAllowedSerials(modelId, batch, serials) {
      const unique = [...new Set(serials)];
      if (unique.length === 0) return 0;
      let added = 0;
      await inTransaction(db, async (trx) => {
        for (let i = 0; i < unique.length; i += 500) {
          const chunk = unique
            .slice(i, i + 500)
            .map((serial) => ({ model_id: modelId, serial, batch }));
          const result = await trx
            .insertInto('device_allowed_serials')
            .values(chunk)
            .onConflict((oc) => oc.columns(['model_id', 'serial']).doNothing())
            .executeTakeFirst();
          added += Number(result.numInsertedOrUpdatedRows ?? 0);
        }
      });
      return added;
    },

    async listAllowedSerials(modelId) {
      const rows = await db
        .selectFrom('device_allowed_serials')
        .select('serial')
        .where('model_id', '=', modelId)
        .execute();
      return rows.map((r) => r.serial);
    },

    async putAttestationNonce(input) {
      await db
        .insertInto('attestation_nonces')
        .values({
          nonce_hash: input.nonceHash,
          organisation_id: input.organisationId,
          expires_at: input.expiresAt,
          used_at: null,
        })
        .execute();
    },

    async consumeAttestationNonce(nonceHash, organisationId, now) {
      const row = await db
        .updateTable('attestation_nonces')
        .set({ used_at: now })
        .where('nonce_hash', '=', nonceHash)
        .where('organisation_id', '=', organisationId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('nonce_hash')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

function toDeviceCa(row: Selectable<DeviceCasTable>): DeviceCaRow {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    rootCertPem: row.root_cert_pem,
    issuingCertPem: row.issuing_cert_pem,
    issuingKeySealed: row.issuing_key_sealed,
    active: Boolean(row.active),
    createdAt: row.created_at,
  };
}

function toDeviceModel(row: Selectable<DeviceModelsTable>): DeviceModelRow {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    attestationRequired: Boolean(row.attestation_required),
    vendorRootsPem: JSON.parse(row.vendor_roots_pem) as string[],
    createdAt: row.created_at,
  };
}

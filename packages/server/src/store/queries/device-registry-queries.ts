import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type {
  Database,
  DeviceCertificatesTable,
  DevicesTable,
  EnrolmentTokensTable,
} from '../database.js';
import type { DeviceCertificateRow, DeviceRow, EnrolmentTokenRow } from '../device-store.js';
import type { Store } from '../store.js';

export type DeviceRegistryQueries = Pick<
  Store,
  | 'createEnrolmentToken'
  | 'getEnrolmentTokenByHash'
  | 'getEnrolmentToken'
  | 'listEnrolmentTokens'
  | 'consumeEnrolmentToken'
  | 'revokeEnrolmentToken'
  | 'createDevice'
  | 'getDevice'
  | 'listDevices'
  | 'updateDevice'
  | 'recordDeviceCertificate'
  | 'getDeviceCertificate'
  | 'revokeDeviceCertificates'
  | 'listRevokedCertificates'
>;

/** Enrolment tokens, devices and the certificates issued to them. */
export function deviceRegistryQueries(db: Kysely<Database>): DeviceRegistryQueries {
  return {
    async createEnrolmentToken(input) {
      const row = {
        id: randomUUID(),
        organisation_id: input.organisationId,
        token_hash: input.tokenHash,
        name: input.name,
        model: input.model,
        site: input.site,
        uses_total: input.usesTotal,
        uses_remaining: input.usesTotal,
        created_at: input.createdAt,
        expires_at: input.expiresAt,
        revoked_at: null,
        created_by: input.createdBy,
        care_organisation_id: input.careOrganisationId ?? null,
      };
      await db.insertInto('enrolment_tokens').values(row).execute();
      return toToken(row);
    },

    async getEnrolmentTokenByHash(tokenHash) {
      const row = await db
        .selectFrom('enrolment_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toToken(row);
    },

    async getEnrolmentToken(id) {
      const row = await db
        .selectFrom('enrolment_tokens')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toToken(row);
    },

    async listEnrolmentTokens(organisationId) {
      const rows = await db
        .selectFrom('enrolment_tokens')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toToken);
    },

    async consumeEnrolmentToken(tokenHash, now) {
      // One conditional UPDATE: the database decides which concurrent enrolment gets the last use.
      const row = await db
        .updateTable('enrolment_tokens')
        .set((eb) => ({ uses_remaining: eb('uses_remaining', '-', 1) }))
        .where('token_hash', '=', tokenHash)
        .where('uses_remaining', '>', 0)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return row && toToken(row);
    },

    async revokeEnrolmentToken(id, now) {
      await db
        .updateTable('enrolment_tokens')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async createDevice(input) {
      const row = {
        id: input.id,
        organisation_id: input.organisationId,
        model: input.model,
        hardware_revision: input.hardwareRevision,
        serial_number: input.serialNumber,
        site: input.site,
        status: input.status,
        cert_serial: input.certSerial,
        cert_not_after: input.certNotAfter,
        previous_cert_serial: null,
        hardware_attested: input.hardwareAttested ? 1 : 0,
        software_version: null,
        last_seen_at: null,
        enrolled_at: input.enrolledAt,
        enrolment_token_id: input.enrolmentTokenId,
        care_organisation_id: input.careOrganisationId ?? null,
      };
      await db.insertInto('devices').values(row).execute();
      return toDevice(row);
    },

    async getDevice(id) {
      const row = await db
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toDevice(row);
    },

    async listDevices(organisationId) {
      const rows = await db
        .selectFrom('devices')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .orderBy('enrolled_at')
        .orderBy('id')
        .execute();
      return rows.map(toDevice);
    },

    async updateDevice(id, patch) {
      const set: Updateable<DevicesTable> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.certSerial !== undefined) set.cert_serial = patch.certSerial;
      if (patch.certNotAfter !== undefined) set.cert_not_after = patch.certNotAfter;
      if (patch.previousCertSerial !== undefined)
        set.previous_cert_serial = patch.previousCertSerial;
      if (patch.softwareVersion !== undefined) set.software_version = patch.softwareVersion;
      if (patch.lastSeenAt !== undefined) set.last_seen_at = patch.lastSeenAt;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('devices').set(set).where('id', '=', id).execute();
    },

    async recordDeviceCertificate(input) {
      await db
        .insertInto('device_certificates')
        .values({
          serial: input.serial,
          device_id: input.deviceId,
          ca_id: input.caId,
          issued_at: input.issuedAt,
          not_after: input.notAfter,
          revoked_at: null,
          revocation_reason: null,
        })
        .execute();
    },

    async getDeviceCertificate(serial) {
      const row = await db
        .selectFrom('device_certificates')
        .selectAll()
        .where('serial', '=', serial)
        .executeTakeFirst();
      return row && toCertificate(row);
    },

    async revokeDeviceCertificates(deviceId, now, reason) {
      const rows = await db
        .updateTable('device_certificates')
        .set({ revoked_at: now, revocation_reason: reason })
        .where('device_id', '=', deviceId)
        .where('revoked_at', 'is', null)
        .returning('serial')
        .execute();
      return rows.map((r) => r.serial);
    },

    async listRevokedCertificates(caId, now) {
      const rows = await db
        .selectFrom('device_certificates')
        .selectAll()
        .where('ca_id', '=', caId)
        .where('revoked_at', 'is not', null)
        .where('not_after', '>', now)
        .orderBy('revoked_at')
        .orderBy('serial')
        .execute();
      return rows.map(toCertificate);
    },
  };
}

function toToken(row: Selectable<EnrolmentTokensTable>): EnrolmentTokenRow {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    tokenHash: row.token_hash,
    name: row.name,
    model: row.model,
    site: row.site,
    usesTotal: Number(row.uses_total),
    usesRemaining: Number(row.uses_remaining),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
    careOrganisationId: row.care_organisation_id,
  };
}

function toDevice(row: Selectable<DevicesTable>): DeviceRow {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    model: row.model,
    hardwareRevision: row.hardware_revision,
    serialNumber: row.serial_number,
    site: row.site,
    status: row.status,
    certSerial: row.cert_serial,
    certNotAfter: row.cert_not_after,
    previousCertSerial: row.previous_cert_serial,
    hardwareAttested: Boolean(row.hardware_attested),
    softwareVersion: row.software_version,
    lastSeenAt: row.last_seen_at,
    enrolledAt: row.enrolled_at,
    enrolmentTokenId: row.enrolment_token_id,
    careOrganisationId: row.care_organisation_id,
  };
}

function toCertificate(row: Selectable<DeviceCertificatesTable>): DeviceCertificateRow {
  return {
    serial: row.serial,
    deviceId: row.device_id,
    caId: row.ca_id,
    issuedAt: row.issued_at,
    notAfter: row.not_after,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
  };
}

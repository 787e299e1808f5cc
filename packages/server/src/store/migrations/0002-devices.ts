import { sql } from 'kysely';
import type { UntypedKysely } from './migrations.js';

/**
 * Device identity: per-organisation device CAs (the issuing key sealed),
 * device models with their attestation policy and batch allow-lists,
 * enrolment tokens, devices, every certificate issued (for CRLs) and
 * single-use attestation nonces.
 */
export async function devicesMigration(db: UntypedKysely): Promise<void> {
  await db.schema
    .createTable('device_cas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('root_cert_pem', 'text', (c) => c.notNull())
    .addColumn('issuing_cert_pem', 'text', (c) => c.notNull())
    .addColumn('issuing_key_sealed', 'text', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
    .addColumn('crl_number', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('device_cas_organisation_id_idx')
    .on('device_cas')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('device_models')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('attestation_required', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
    .addColumn('vendor_roots_pem', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('device_models_org_name_unique', ['organisation_id', 'name'])
    .execute();

  await db.schema
    .createTable('device_allowed_serials')
    .addColumn('model_id', 'text', (c) =>
      c.notNull().references('device_models.id').onDelete('cascade'),
    )
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('batch', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_allowed_serials_pk', ['model_id', 'serial'])
    .execute();

  await db.schema
    .createTable('enrolment_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('site', 'text')
    .addColumn('uses_total', 'integer', (c) => c.notNull())
    .addColumn('uses_remaining', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('created_by', 'text')
    .execute();
  await db.schema
    .createIndex('enrolment_tokens_organisation_id_idx')
    .on('enrolment_tokens')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('hardware_revision', 'text')
    .addColumn('serial_number', 'text')
    .addColumn('site', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cert_serial', 'text', (c) => c.notNull())
    .addColumn('cert_not_after', 'bigint', (c) => c.notNull())
    .addColumn('previous_cert_serial', 'text')
    .addColumn('hardware_attested', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
    .addColumn('software_version', 'text')
    .addColumn('last_seen_at', 'bigint')
    .addColumn('enrolled_at', 'bigint', (c) => c.notNull())
    .addColumn('enrolment_token_id', 'text')
    .execute();
  await db.schema
    .createIndex('devices_organisation_id_idx')
    .on('devices')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('device_certificates')
    .addColumn('serial', 'text', (c) => c.primaryKey())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('ca_id', 'text', (c) => c.notNull().references('device_cas.id').onDelete('cascade'))
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revocation_reason', 'text')
    .execute();
  await db.schema
    .createIndex('device_certificates_device_id_idx')
    .on('device_certificates')
    .column('device_id')
    .execute();
  await db.schema
    .createIndex('device_certificates_ca_id_idx')
    .on('device_certificates')
    .column('ca_id')
    .execute();

  await db.schema
    .createTable('attestation_nonces')
    .addColumn('nonce_hash', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
}

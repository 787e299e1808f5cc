import type { UntypedKysely } from './migrations.js';

/**
 * Protected telemetry (docs/telemetry.md, ADR 0010): which care organisation
 * a device reports to, the public and wrapped keys the care team and its
 * gateways exchange through the server, and the batches themselves. Every
 * key column holds a public key or a JWE; nothing here decrypts anything.
 *
 * `ALTER TABLE … ADD COLUMN … REFERENCES` with a NULL default is one of the
 * few ALTER forms SQLite has, so the two new columns need no table copy.
 */
export async function telemetryMigration(db: UntypedKysely): Promise<void> {
  for (const table of ['enrolment_tokens', 'devices']) {
    await db.schema
      .alterTable(table)
      .addColumn('care_organisation_id', 'text', (c) => c.references('organisations.id'))
      .execute();
  }

  await db.schema
    .createTable('member_keys')
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_keys_pk', ['organisation_id', 'user_id'])
    .execute();

  // The signing key is fixed by the first manifest (trust on first use, ADR 0011 §2): one row
  // per organisation, so two first uploads racing cannot pin two keys.
  await db.schema
    .createTable('manifest_signing_keys')
    .addColumn('organisation_id', 'text', (c) =>
      c.primaryKey().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('pinned_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('key_manifests')
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('signing_public_jwk', 'text', (c) => c.notNull())
    .addColumn('signing_key_fingerprint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('key_manifests_pk', ['organisation_id', 'version'])
    .execute();

  await db.schema
    .createTable('team_keys')
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('jwe', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_keys_pk', ['organisation_id', 'epoch'])
    .execute();

  await db.schema
    .createTable('pseudonym_secrets')
    .addColumn('organisation_id', 'text', (c) =>
      c.primaryKey().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('jwe', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('data_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('jwe', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('data_keys_organisation_id_kid_idx')
    .on('data_keys')
    .columns(['organisation_id', 'kid'])
    .execute();

  await db.schema
    .createTable('pseudonym_tables')
    .addColumn('device_id', 'text', (c) =>
      c.primaryKey().references('devices.id').onDelete('cascade'),
    )
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('jwe', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('pseudonym_tables_organisation_id_idx')
    .on('pseudonym_tables')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) =>
      c.notNull().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('sequence', 'bigint', (c) => c.notNull())
    .addColumn('pseudonym', 'text', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('from_at', 'bigint', (c) => c.notNull())
    .addColumn('to_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('jwe', 'text', (c) => c.notNull())
    .addColumn('device_public_jwk', 'text')
    // The outbox's at-least-once delivery becomes exactly-once storage here.
    .addUniqueConstraint('batches_device_sequence_unique', ['device_id', 'sequence'])
    .execute();
  // One patient's readings by time, all readings by time (paging), and the retention sweep.
  await db.schema
    .createIndex('batches_organisation_pseudonym_from_idx')
    .on('batches')
    .columns(['organisation_id', 'pseudonym', 'from_at', 'id'])
    .execute();
  await db.schema
    .createIndex('batches_organisation_from_idx')
    .on('batches')
    .columns(['organisation_id', 'from_at', 'id'])
    .execute();
  await db.schema
    .createIndex('batches_organisation_to_idx')
    .on('batches')
    .columns(['organisation_id', 'to_at'])
    .execute();

  await db.schema
    .createTable('retention_policies')
    .addColumn('organisation_id', 'text', (c) =>
      c.primaryKey().references('organisations.id').onDelete('cascade'),
    )
    .addColumn('days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

import type { Kysely, Selectable } from 'kysely';
import type { BatchesTable, Database } from '../database.js';
import type { Store } from '../store.js';
import type { BatchRow, JsonObject } from '../telemetry-store.js';

export type BatchQueries = Pick<
  Store,
  | 'insertBatch'
  | 'insertBatches'
  | 'getBatchDigest'
  | 'listBatches'
  | 'listPseudonyms'
  | 'deleteBatchesEndingBefore'
  | 'getRetentionPolicy'
  | 'putRetentionPolicy'
>;

/**
 * Protected batches and their retention. Ingest is the hot path: one INSERT
 * per group of batches that does nothing on a (device, sequence) already
 * stored, and a lookup of the stored digest only then.
 */
export function batchQueries(db: Kysely<Database>): BatchQueries {
  const toRow = (row: BatchRow) => ({
    id: row.id,
    organisation_id: row.organisationId,
    device_id: row.deviceId,
    sequence: row.sequence,
    pseudonym: row.pseudonym,
    epoch: row.epoch,
    kid: row.kid,
    from_at: row.fromAt,
    to_at: row.toAt,
    created_at: row.createdAt,
    received_at: row.receivedAt,
    size: row.size,
    sha256: row.sha256,
    jwe: row.jwe,
    device_public_jwk: row.devicePublicJwk === null ? null : JSON.stringify(row.devicePublicJwk),
  });

  // One statement for a whole group: one round trip on PostgreSQL, one statement to step on
  // SQLite. A row is stored if its own id (random, made by the ingest service) comes back;
  // a row whose (device, sequence) is already there, or appears twice in the group, does not.
  const insertAll = async (rows: readonly BatchRow[]): Promise<boolean[]> => {
    if (rows.length === 0) return [];
    const inserted = await db
      .insertInto('batches')
      .values(rows.map(toRow))
      .onConflict((oc) => oc.columns(['device_id', 'sequence']).doNothing())
      .returning('id')
      .execute();
    const ids = new Set(inserted.map((r) => r.id));
    return rows.map((row) => ids.has(row.id));
  };

  return {
    insertBatch: async (row) => (await insertAll([row]))[0] === true,

    insertBatches: insertAll,

    async getBatchDigest(deviceId, sequence) {
      const row = await db
        .selectFrom('batches')
        .select('sha256')
        .where('device_id', '=', deviceId)
        .where('sequence', '=', sequence)
        .executeTakeFirst();
      return row?.sha256;
    },

    async listBatches(query) {
      let select = db
        .selectFrom('batches')
        .selectAll()
        .where('organisation_id', '=', query.organisationId);
      if (query.pseudonym !== undefined) select = select.where('pseudonym', '=', query.pseudonym);
      // Overlap of [from_at, to_at] with [from, to]: a batch that started before `to`
      // and had not ended before `from`.
      if (query.to !== undefined) select = select.where('from_at', '<=', query.to);
      if (query.from !== undefined) select = select.where('to_at', '>=', query.from);
      const after = query.after;
      if (after !== undefined) {
        select = select.where((eb) =>
          eb.or([
            eb('from_at', '>', after.fromAt),
            eb.and([eb('from_at', '=', after.fromAt), eb('id', '>', after.id)]),
          ]),
        );
      }
      const rows = await select.orderBy('from_at').orderBy('id').limit(query.limit).execute();
      return rows.map(toBatch);
    },

    async listPseudonyms(organisationId, options) {
      let select = db
        .selectFrom('batches')
        .select((eb) => [
          'pseudonym',
          eb.fn.countAll<number>().as('batches'),
          eb.fn.min('from_at').as('first'),
          eb.fn.max('to_at').as('last'),
        ])
        .where('organisation_id', '=', organisationId);
      if (options.afterPseudonym !== undefined) {
        select = select.where('pseudonym', '>', options.afterPseudonym);
      }
      const rows = await select
        .groupBy('pseudonym')
        .orderBy('pseudonym')
        .limit(options.limit)
        .execute();
      return rows.map((r) => ({
        pseudonym: r.pseudonym,
        batches: Number(r.batches),
        first: Number(r.first),
        last: Number(r.last),
      }));
    },

    async deleteBatchesEndingBefore(organisationId, before, limit) {
      // In slices, so a first sweep over years of data does not hold SQLite's one write lock
      // (and every ingest behind it) for the whole delete.
      const result = await db
        .deleteFrom('batches')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('batches')
            .select('id')
            .where('organisation_id', '=', organisationId)
            .where('to_at', '<', before)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async getRetentionPolicy(organisationId) {
      const row = await db
        .selectFrom('retention_policies')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .executeTakeFirst();
      return (
        row && {
          organisationId: row.organisation_id,
          days: Number(row.days),
          updatedAt: row.updated_at,
        }
      );
    },

    async putRetentionPolicy(row) {
      const values = { days: row.days, updated_at: row.updatedAt };
      await db
        .insertInto('retention_policies')
        .values({ organisation_id: row.organisationId, ...values })
        .onConflict((oc) => oc.column('organisation_id').doUpdateSet(values))
        .execute();
    },
  };
}

function toBatch(row: Selectable<BatchesTable>): BatchRow {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    deviceId: row.device_id,
    sequence: Number(row.sequence),
    pseudonym: row.pseudonym,
    epoch: Number(row.epoch),
    kid: row.kid,
    fromAt: row.from_at,
    toAt: row.to_at,
    createdAt: row.created_at,
    receivedAt: row.received_at,
    size: Number(row.size),
    sha256: row.sha256,
    jwe: row.jwe,
    devicePublicJwk:
      row.device_public_jwk === null ? null : (JSON.parse(row.device_public_jwk) as JsonObject),
  };
}

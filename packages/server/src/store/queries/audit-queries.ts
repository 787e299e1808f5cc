import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AuditEventInput } from '@vigil/core';
import type { Database, StoreEngine } from '../database.js';
import { toAuditEvent } from '../row-mappers.js';
import type { Store } from '../store.js';
import { inTransaction } from './in-transaction.js';

export type AuditQueries = Pick<
  Store,
  'appendAuditEvent' | 'listAuditEvents' | 'listAllAuditEvents'
>;

/**
 * Key of the PostgreSQL advisory lock that serialises audit appends. A
 * BIGSERIAL value is drawn at insert but becomes visible at commit, so two
 * concurrent transactions could commit sequence 8 before 7, and an exporter
 * that already read "after 7" would miss 7 for ever. Holding this lock until
 * commit makes commit order equal sequence order. (SQLite has one writer.)
 */
const AUDIT_APPEND_LOCK = 0x5649_4749_4c41; // "VIGILA"

/** The append-only audit trail (FDA premarket guidance App. 1; MDS2 AUDT). */
export function auditQueries(db: Kysely<Database>, engine: StoreEngine): AuditQueries {
  const append = async (trx: Kysely<Database>, event: AuditEventInput, now: number) => {
    const row = await trx
      .insertInto('audit_events')
      .values({
        id: randomUUID(),
        organisation_id: event.organisationId,
        type: event.type,
        outcome: event.outcome,
        actor: JSON.stringify(event.actor),
        target: event.target === undefined ? null : JSON.stringify(event.target),
        source_ip: event.sourceIp ?? null,
        user_agent: event.userAgent ?? null,
        request_id: event.requestId ?? null,
        details: event.details === undefined ? null : JSON.stringify(event.details),
        occurred_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAuditEvent(row);
  };

  return {
    appendAuditEvent(event, now) {
      if (engine === 'sqlite') return append(db, event, now);
      return inTransaction(db, async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${AUDIT_APPEND_LOCK})`.execute(trx);
        return append(trx, event, now);
      });
    },

    async listAuditEvents(query) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .where((eb) =>
          query.includeServerWide === true
            ? eb.or([
                eb('organisation_id', '=', query.organisationId),
                eb('organisation_id', 'is', null),
              ])
            : eb('organisation_id', '=', query.organisationId),
        )
        .where('sequence', '>', query.afterSequence ?? 0)
        .orderBy('sequence')
        .limit(query.limit)
        .execute();
      return rows.map(toAuditEvent);
    },

    async listAllAuditEvents(afterSequence, limit) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('sequence', '>', afterSequence)
        .orderBy('sequence')
        .limit(limit)
        .execute();
      return rows.map(toAuditEvent);
    },
  };
}

import { actorOf, authorise, type Clock, type Principal } from '@vigil/core';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import type { RequestContext } from './request-context.js';

/** How long batches are kept when an organisation has set nothing: ten years, in days. */
export const DEFAULT_RETENTION_DAYS = 3650;
/** Longest retention that can be set (100 years), in days. */
export const MAX_RETENTION_DAYS = 36_500;
/** Batches deleted per statement, so a large sweep lets ingest in between. */
const SWEEP_SLICE = 5_000;
const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  readonly days: number;
  /** null while the organisation uses the default. */
  readonly updatedAt: number | null;
}

export interface RetentionServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/**
 * How long a care organisation's batches are kept (GDPR Art. 5(1)(e), storage
 * limitation; the organisation sets it for its jurisdiction's record-keeping
 * rules), and the sweep that deletes older ones. A batch goes once all its
 * readings (`to`) are older than the period. Each sweep that deletes
 * something is one audit event per organisation, with the count.
 */
export class RetentionService {
  constructor(private readonly deps: RetentionServiceDeps) {}

  async policy(principal: Principal, organisationId: string): Promise<RetentionPolicy> {
    authorise(principal, organisationId, 'org:read');
    const row = await this.deps.store.getRetentionPolicy(organisationId);
    return row ? { days: row.days, updatedAt: row.updatedAt } : defaultPolicy();
  }

  async setPolicy(
    principal: Principal,
    organisationId: string,
    days: number,
    context: RequestContext,
  ): Promise<RetentionPolicy> {
    authorise(principal, organisationId, 'org:manage');
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      const previous = await tx.getRetentionPolicy(organisationId);
      await tx.putRetentionPolicy({ organisationId, days, updatedAt: now });
      await this.deps.audit.record(
        {
          type: 'telemetry.retention.changed',
          organisationId,
          actor: actorOf(principal),
          details: { days, previousDays: previous?.days ?? DEFAULT_RETENTION_DAYS },
        },
        context,
        tx,
      );
    });
    return { days, updatedAt: now };
  }

  /**
   * Deletes, in every organisation, the batches whose readings all ended
   * before its retention period; returns how many per organisation (only
   * those with deletions). Run by the server on a timer and by tests directly.
   */
  async sweep(context: RequestContext): Promise<Map<string, number>> {
    const { store, clock, audit } = this.deps;
    const now = clock.now();
    const deleted = new Map<string, number>();
    for (const organisation of await store.listOrganisations()) {
      const days =
        (await store.getRetentionPolicy(organisation.id))?.days ?? DEFAULT_RETENTION_DAYS;
      const before = now - days * DAY_MS;
      let count = 0;
      for (;;) {
        const slice = await store.deleteBatchesEndingBefore(organisation.id, before, SWEEP_SLICE);
        count += slice;
        if (slice < SWEEP_SLICE) break;
      }
      if (count === 0) continue;
      deleted.set(organisation.id, count);
      await audit.record(
        {
          type: 'telemetry.retention.applied',
          organisationId: organisation.id,
          actor: { kind: 'system' },
          details: { deleted: count, days, before },
        },
        context,
      );
    }
    return deleted;
  }
}

function defaultPolicy(): RetentionPolicy {
  return { days: DEFAULT_RETENTION_DAYS, updatedAt: null };
}

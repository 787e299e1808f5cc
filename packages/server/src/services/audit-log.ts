import type { AuditActor, AuditEvent, AuditEventType, AuditValue, Clock } from '@vigil/core';
import type { Store } from '../store/store.js';
import type { RequestContext } from './request-context.js';

export interface AuditRecord {
  readonly type: AuditEventType;
  readonly outcome?: 'success' | 'failure';
  readonly organisationId?: string | null;
  readonly actor: AuditActor;
  readonly target?: { readonly kind: string; readonly id: string };
  readonly details?: Readonly<Record<string, AuditValue>>;
}

/**
 * Records security events (FDA premarket guidance App. 1 "event detection and
 * logging"; MDS2 AUDT). Writing goes through the store in the caller's
 * transaction when there is one, so an act and its event commit together.
 */
export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  record(
    record: AuditRecord,
    context: RequestContext,
    store: Store = this.store,
  ): Promise<AuditEvent> {
    return store.appendAuditEvent(
      {
        type: record.type,
        outcome: record.outcome ?? 'success',
        organisationId: record.organisationId ?? null,
        actor: record.actor,
        ...(record.target ? { target: record.target } : {}),
        sourceIp: context.sourceIp,
        ...(context.userAgent ? { userAgent: context.userAgent } : {}),
        requestId: context.requestId,
        ...(record.details ? { details: record.details } : {}),
      },
      this.clock.now(),
    );
  }

  /**
   * Records an event about a person (sign-in, MFA, password) in every
   * organisation they belong to, so each tenant's security team sees its own
   * people's events; server-wide (organisation null) if they belong to none.
   */
  async recordForPerson(
    userId: string,
    record: Omit<AuditRecord, 'organisationId'>,
    context: RequestContext,
    store: Store = this.store,
  ): Promise<void> {
    const memberships = await store.listMembershipsOfUser(userId);
    const organisations =
      memberships.length > 0 ? memberships.map((m) => m.organisationId) : [null];
    for (const organisationId of organisations) {
      await this.record({ ...record, organisationId }, context, store);
    }
  }
}

import { authorise, type AuditEvent, type Principal } from '@vigil/core';
import type { Store } from '../store/store.js';

/**
 * Reading the audit trail. A tenant sees its own events; the manufacturer
 * that operates the server also sees server-wide ones (setup, failed sign-ins
 * for unknown accounts, address lockouts, configuration changes).
 */
export class AuditQueryService {
  constructor(private readonly store: Store) {}

  async list(
    principal: Principal,
    organisationId: string,
    afterSequence: number,
    limit: number,
  ): Promise<AuditEvent[]> {
    authorise(principal, organisationId, 'audit:read');
    const organisation = await this.store.getOrganisation(organisationId);
    return this.store.listAuditEvents({
      organisationId,
      afterSequence,
      limit,
      includeServerWide: organisation?.kind === 'manufacturer',
    });
  }
}

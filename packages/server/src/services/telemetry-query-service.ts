import { authorise, type Principal } from '@vigil/core';
import { decodeBatchCursor, encodeBatchCursor } from '../telemetry/batch-cursor.js';
import type { Store } from '../store/store.js';
import type { BatchRow, PseudonymSummary, PseudonymTableRow } from '../store/telemetry-store.js';

/** Most batches per page. */
export const MAX_BATCH_PAGE = 500;
/**
 * A page stops adding batches once their ciphertext passes this many bytes (at least
 * one batch is always returned), so 500 large batches never become one huge answer.
 */
export const MAX_BATCH_PAGE_BYTES = 16 * 1024 * 1024;
/** Most pseudonyms per page. */
export const MAX_PSEUDONYM_PAGE = 1000;

export interface BatchPageQuery {
  readonly pseudonym?: string;
  /** Epoch ms; batches whose readings overlap [from, to]. */
  readonly from?: number;
  readonly to?: number;
  /** The `next` of the previous page. */
  readonly after?: string;
  readonly limit: number;
}

export interface BatchPage {
  readonly batches: BatchRow[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: string | null;
}

export interface TelemetryQueryServiceDeps {
  readonly store: Store;
}

/**
 * What a care organisation's clinicians read (`data:read`, docs/telemetry.md):
 * ciphertext with the metadata to find it, the pseudonyms that have
 * readings, and the devices' sealed pseudonym tables. Decryption happens on
 * their machines; nothing here can.
 */
export class TelemetryQueryService {
  constructor(private readonly deps: TelemetryQueryServiceDeps) {}

  async batches(
    principal: Principal,
    organisationId: string,
    query: BatchPageQuery,
  ): Promise<BatchPage> {
    authorise(principal, organisationId, 'data:read');
    const limit = Math.min(Math.max(query.limit, 1), MAX_BATCH_PAGE);
    const rows = await this.deps.store.listBatches({
      organisationId,
      ...(query.pseudonym === undefined ? {} : { pseudonym: query.pseudonym }),
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(query.after === undefined ? {} : { after: decodeBatchCursor(query.after) }),
      limit,
    });
    let bytes = 0;
    let kept = 0;
    while (kept < rows.length && (kept === 0 || bytes + rows[kept]!.size <= MAX_BATCH_PAGE_BYTES)) {
      bytes += rows[kept]!.size;
      kept++;
    }
    const batches = rows.slice(0, kept);
    const last = batches.at(-1);
    const full = kept < rows.length || rows.length === limit;
    return {
      batches,
      next: full && last ? encodeBatchCursor({ fromAt: last.fromAt, id: last.id }) : null,
    };
  }

  async pseudonyms(
    principal: Principal,
    organisationId: string,
    query: { after?: string; limit: number },
  ): Promise<{ pseudonyms: PseudonymSummary[]; next: string | null }> {
    authorise(principal, organisationId, 'data:read');
    const limit = Math.min(Math.max(query.limit, 1), MAX_PSEUDONYM_PAGE);
    const pseudonyms = await this.deps.store.listPseudonyms(organisationId, {
      ...(query.after === undefined ? {} : { afterPseudonym: query.after }),
      limit,
    });
    const last = pseudonyms.at(-1);
    return { pseudonyms, next: pseudonyms.length === limit && last ? last.pseudonym : null };
  }

  async pseudonymTables(
    principal: Principal,
    organisationId: string,
  ): Promise<PseudonymTableRow[]> {
    authorise(principal, organisationId, 'data:read');
    return this.deps.store.listPseudonymTables(organisationId);
  }
}

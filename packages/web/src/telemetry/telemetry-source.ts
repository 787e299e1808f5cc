import {
  getDataKey,
  listBatches,
  listPseudonyms,
  listPseudonymTables,
  listTeamKeys,
} from '../api/client.js';
import type {
  BatchPage,
  BatchQuery,
  PatientSummary,
  SealedPseudonymTable,
  WrappedDataKey,
  WrappedTeamKey,
} from '../api/types.js';

/**
 * What the decrypting code needs from the server, for one care organisation: only
 * ciphertext and wrapped keys. An interface so that tests hand in real JWEs made
 * with @vigil/protect without a server.
 */
export interface TelemetrySource {
  teamKeys(): Promise<readonly WrappedTeamKey[]>;
  /** The wrapped data keys named by these kids (unknown kids are simply absent). */
  dataKeys(kids: readonly string[]): Promise<readonly WrappedDataKey[]>;
  pseudonymTables(): Promise<readonly SealedPseudonymTable[]>;
  batches(query: BatchQuery): Promise<BatchPage>;
}

/** The operator API of docs/telemetry.md for one organisation. */
export function apiTelemetrySource(orgId: string): TelemetrySource {
  return {
    teamKeys: async () => (await listTeamKeys(orgId)).teamKeys,
    // One request per kid: a patient's batches name few data keys (one per gateway and epoch).
    dataKeys: async (kids) =>
      (await Promise.all(kids.map((kid) => getDataKey(orgId, kid)))).flatMap((a) => a.dataKeys),
    pseudonymTables: async () => (await listPseudonymTables(orgId)).pseudonymTables,
    batches: (query) => listBatches(orgId, query),
  };
}

/** Pages of pseudonyms fetched at most (the server sends up to 1,000 a page). */
const MAX_PATIENT_PAGES = 20;

/** Every pseudonym with readings, following the server's pages. */
export async function listAllPatients(
  orgId: string,
): Promise<{ pseudonyms: PatientSummary[]; truncated: boolean }> {
  const pseudonyms: PatientSummary[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PATIENT_PAGES; page += 1) {
    const answer = await listPseudonyms(orgId, after);
    pseudonyms.push(...answer.pseudonyms);
    if (answer.next === null) return { pseudonyms, truncated: false };
    after = answer.next;
  }
  return { pseudonyms, truncated: true };
}

import { openBatch } from '@vigil/protect';
import type { VitalSignObservation } from '@vigil/protect';
import type { StoredBatch } from '../api/types.js';
import { failureOf, type TelemetryFailure } from './telemetry-failure.js';
import type { TeamKeyring } from './team-keyring.js';

/** What became of one stored batch: its readings, or why it could not be read. */
export type BatchOutcome =
  | { readonly batch: StoredBatch; readonly observations: readonly VitalSignObservation[] }
  | { readonly batch: StoredBatch; readonly failure: TelemetryFailure };

/**
 * Opens a patient's batches with the clinician's keys, each on its own: a batch that
 * fails (wrong key, tampered ciphertext, bad device signature, another patient's
 * batch) is reported with its code and the others still open. `openBatch` checks the
 * algorithms, decrypts (the header is the AAD), verifies the device's ES256 signature
 * and that the signed payload matches the header (ADR 0009).
 *
 * The device's public key comes with each stored batch (`devicePublicJwk`), as the
 * server's device registry knows it; a batch without one fails ERR_BATCH_SIGNATURE.
 * Replays are not judged here (no `lastSequence`): the same JWE twice is shown once.
 *
 * @throws ApiError only when the data keys cannot be fetched at all.
 * @example
 * const outcomes = await openPatientBatches(keyring, 'p1_…', page.batches);
 */
export async function openPatientBatches(
  keyring: TeamKeyring,
  pseudonym: string,
  batches: readonly StoredBatch[],
): Promise<BatchOutcome[]> {
  const unique = uniqueBatches(batches);
  await keyring.fetchDataKeys(unique.map((batch) => batch.kid));
  return Promise.all(
    unique.map(async (batch): Promise<BatchOutcome> => {
      try {
        const opened = await openBatch(batch.jwe, {
          dataKeys: (kid) => keyring.dataKey(kid),
          deviceVerificationKey: (deviceId) =>
            deviceId === batch.deviceId ? (batch.devicePublicJwk ?? undefined) : undefined,
          // The server chose these batches for this patient; the signed header must agree.
          expected: {
            organisationId: keyring.organisationId,
            deviceId: batch.deviceId,
            pseudonym,
          },
        });
        return { batch, observations: opened.observations };
      } catch (error) {
        return { batch, failure: failureOf(error) };
      }
    }),
  );
}

function uniqueBatches(batches: readonly StoredBatch[]): StoredBatch[] {
  const seen = new Set<string>();
  return batches.filter((batch) => {
    // Identical bytes only: two different batches under one sequence are both opened and shown.
    if (seen.has(batch.jwe)) return false;
    seen.add(batch.jwe);
    return true;
  });
}

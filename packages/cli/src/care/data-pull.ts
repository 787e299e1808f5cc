import { VigilError } from '@vigil/core';
import {
  openBatch,
  openTableForStaff,
  unwrapDataKey,
  validateObservation,
  type DataKey,
  type FhirSchemaValidator,
  type PrivateEcJwk,
  type PseudonymTable,
  type VitalSignObservation,
} from '@vigil/protect';
import type { BatchRecord, CareApi } from './care-api.js';
import { unlockTeamKeys, type TeamKeyring } from './team-keyring.js';

export interface PullInput {
  readonly api: CareApi;
  /** The member's own private key, from their keystore. */
  readonly memberKey: PrivateEcJwk;
  /** Only these patients (pseudonyms); with `label`, the pseudonyms that label names. */
  readonly pseudonyms?: readonly string[];
  /** A display label (P1, P2, …) from the staff copy of the pseudonym tables. */
  readonly label?: string;
  /** Readings in [from, to], epoch ms; either bound optional. */
  readonly from?: number;
  readonly to?: number;
  /** The official FHIR R4 schema, compiled (`createFhirSchemaValidator`). */
  readonly schemaValidator: FhirSchemaValidator;
  /** Batches per page (default 100). */
  readonly pageSize?: number;
}

/** One authenticated, validated reading and who and where it is from. */
export interface PulledReading {
  readonly observation: VitalSignObservation;
  readonly pseudonym: string;
  readonly deviceId: string;
  /** The display label from the device's pseudonym table, if known. */
  readonly label: string | undefined;
  /** The patient identifier: re-identification, only for those authorised to see it. */
  readonly patientId: string | undefined;
}

export interface PullResult {
  readonly readings: readonly PulledReading[];
  readonly batches: number;
}

/**
 * `vigil data pull` without the I/O: fetches the member's wrapped team keys,
 * the data keys the batches name and the staff copies of the pseudonym tables,
 * and decrypts locally — `unwrapTeamKey` with the member key, `unwrapDataKey`,
 * then `openBatch`, which authenticates the header, verifies the device's
 * signature and checks that the signed batch says what the header says. The
 * server's metadata must agree with the authenticated header, a (device,
 * sequence) seen twice is a replay, and every Observation passes
 * `validateObservation`. Any failure stops the pull with its coded error: an
 * export never silently drops a reading.
 *
 * @throws VigilError ERR_PROTECT_NOT_A_RECIPIENT (an epoch the member lacks),
 *   ERR_BATCH_*, ERR_FHIR_*, ERR_NOT_FOUND / ERR_CONFLICT (an unknown or ambiguous label).
 */
export async function pullReadings(input: PullInput): Promise<PullResult> {
  const { api } = input;
  const organisationId = api.organisationId;
  const keyring = await unlockTeamKeys(organisationId, await api.listTeamKeys(), input.memberKey);
  const tables = await openTables(api, keyring);
  const pseudonyms = selectPseudonyms(input, tables);

  const dataKeys = new Map<string, DataKey['key']>();
  const seen = new Set<string>();
  const readings: PulledReading[] = [];
  let batches = 0;
  for (const pseudonym of pseudonyms) {
    let after: string | undefined;
    do {
      const page = await api.listBatches({
        ...(pseudonym === undefined ? {} : { pseudonym }),
        ...(input.from === undefined ? {} : { from: input.from }),
        ...(input.to === undefined ? {} : { to: input.to }),
        ...(after === undefined ? {} : { after }),
        limit: input.pageSize ?? 100,
      });
      await fetchDataKeys(api, keyring, page.batches, dataKeys);
      for (const batch of page.batches) {
        const replayKey = `${batch.deviceId}\n${batch.sequence}`;
        if (seen.has(replayKey)) {
          throw new VigilError('ERR_BATCH_REPLAYED', 'The server returned a batch twice.', {
            details: { deviceId: batch.deviceId, sequence: batch.sequence },
          });
        }
        seen.add(replayKey);
        const opened = await openBatch(batch.jwe, {
          dataKeys: (kid) => dataKeys.get(kid),
          deviceVerificationKey: (deviceId) =>
            deviceId === batch.deviceId ? (batch.devicePublicJwk ?? undefined) : undefined,
          expected: { organisationId, deviceId: batch.deviceId, pseudonym: batch.pseudonym },
        });
        if (opened.sequence !== batch.sequence) {
          throw new VigilError('ERR_BATCH_BINDING', 'The server mislabelled a batch sequence.');
        }
        const entry = tables.get(opened.deviceId)?.byPseudonym(opened.pseudonym);
        for (const item of opened.observations) {
          readings.push({
            observation: validateObservation(item, { schemaValidator: input.schemaValidator }),
            pseudonym: opened.pseudonym,
            deviceId: opened.deviceId,
            label: entry?.label ?? labelAnywhere(tables, opened.pseudonym),
            patientId: entry?.patientId ?? patientAnywhere(tables, opened.pseudonym),
          });
        }
        batches++;
      }
      after = page.next ?? undefined;
    } while (after !== undefined);
  }
  readings.sort((a, b) =>
    a.observation.effectiveDateTime < b.observation.effectiveDateTime
      ? -1
      : a.observation.effectiveDateTime > b.observation.effectiveDateTime
        ? 1
        : 0,
  );
  return { readings, batches };
}

/** Each device's pseudonym table, opened with the team key of the epoch it was sealed to. */
async function openTables(
  api: CareApi,
  keyring: TeamKeyring,
): Promise<Map<string, PseudonymTable>> {
  const tables = new Map<string, PseudonymTable>();
  for (const { deviceId, jwe } of await api.listPseudonymTables()) {
    // A table sealed to an epoch this member lacks just leaves its labels unknown.
    const team = keyring.forRecipientOf(jwe);
    if (team === undefined) continue;
    tables.set(deviceId, await openTableForStaff(jwe, team.key, api.organisationId));
  }
  return tables;
}

/** The pseudonyms to query, `[undefined]` for all of them. */
function selectPseudonyms(
  input: PullInput,
  tables: Map<string, PseudonymTable>,
): Array<string | undefined> {
  if (input.label === undefined) {
    return input.pseudonyms === undefined || input.pseudonyms.length === 0
      ? [undefined]
      : [...new Set(input.pseudonyms)];
  }
  // Labels are per gateway: P3 on one gateway may be another patient than P3 on the next.
  const named = new Set<string>();
  for (const table of tables.values()) {
    for (const entry of table.entries())
      if (entry.label === input.label) named.add(entry.pseudonym);
  }
  if (named.size === 0) {
    throw new VigilError(
      'ERR_NOT_FOUND',
      `No pseudonym table you can open has label ${input.label}.`,
    );
  }
  if (named.size > 1) {
    throw new VigilError(
      'ERR_CONFLICT',
      `Label ${input.label} names ${named.size} patients on different gateways; use --pseudonym.`,
      { details: { pseudonyms: [...named] } },
    );
  }
  return [...named];
}

async function fetchDataKeys(
  api: CareApi,
  keyring: TeamKeyring,
  batches: readonly BatchRecord[],
  known: Map<string, DataKey['key']>,
): Promise<void> {
  const wanted = [...new Set(batches.map((b) => b.kid))].filter((kid) => !known.has(kid));
  if (wanted.length === 0) return;
  for (const record of await api.listDataKeys(wanted)) {
    if (!wanted.includes(record.kid) || known.has(record.kid)) continue;
    const teamKey = keyring.require(record.epoch);
    const dataKey = await unwrapDataKey(record.jwe, teamKey, {
      organisationId: api.organisationId,
      epoch: record.epoch,
      kid: record.kid,
    });
    known.set(dataKey.kid, dataKey.key);
  }
  // A kid the server did not answer for stays unknown: openBatch says ERR_BATCH_KEY_UNKNOWN.
}

function labelAnywhere(tables: Map<string, PseudonymTable>, pseudonym: string) {
  for (const table of tables.values()) {
    const label = table.byPseudonym(pseudonym)?.label;
    if (label !== undefined) return label;
  }
  return undefined;
}

function patientAnywhere(tables: Map<string, PseudonymTable>, pseudonym: string) {
  for (const table of tables.values()) {
    const patientId = table.byPseudonym(pseudonym)?.patientId;
    if (patientId !== undefined) return patientId;
  }
  return undefined;
}

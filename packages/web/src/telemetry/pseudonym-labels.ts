import { openTableForStaff } from '@vigil/protect';
import type { PrivateEcJwk } from '@vigil/protect';
import type { SealedPseudonymTable } from '../api/types.js';
import { failureOf, type TelemetryFailure } from './telemetry-failure.js';
import type { TeamKeyring } from './team-keyring.js';

/** Display labels of the organisation's patients, from the gateways' staff tables. */
export interface PatientLabels {
  /** "P1", "P2", …; "P1 · 3f2a9c01" when two gateways gave P1 to different patients. */
  readonly byPseudonym: ReadonlyMap<string, string>;
  /** Tables that could not be opened, by the device that uploaded them. */
  readonly failures: readonly { readonly deviceId: string; readonly failure: TelemetryFailure }[];
}

/**
 * Opens each gateway's staff copy of its pseudonym table with a team key (the newest
 * epoch that opens it) and keeps only the P-labels. The tables also hold the patient
 * identifiers — the re-identification data of GDPR Art. 4(5) — which this page never
 * shows or keeps: a label is all a chart needs.
 *
 * @example
 * const { byPseudonym } = await patientLabels(keyring, await source.pseudonymTables());
 * byPseudonym.get('p1_…'); // "P1"
 */
export async function patientLabels(
  keyring: TeamKeyring,
  tables: readonly SealedPseudonymTable[],
): Promise<PatientLabels> {
  const teamKeys = await usableTeamKeys(keyring);
  const failures: { deviceId: string; failure: TelemetryFailure }[] = [];
  const claims: { pseudonym: string; label: string; deviceId: string }[] = [];
  const ordered = [...tables].sort((a, b) => compare(a.deviceId, b.deviceId));
  const opened = await Promise.all(
    ordered.map((table) => openWithAny(table, teamKeys, keyring.organisationId)),
  );
  ordered.forEach((table, index) => {
    const result = opened[index];
    if (result === undefined) return;
    if ('failure' in result) {
      failures.push({ deviceId: table.deviceId, failure: result.failure });
      return;
    }
    for (const { pseudonym, label } of result.entries) {
      claims.push({ pseudonym, label, deviceId: table.deviceId });
    }
  });
  return { byPseudonym: disambiguate(claims), failures };
}

/** The team keys this member can unwrap, newest epoch first; a lost epoch is not an error here. */
async function usableTeamKeys(keyring: TeamKeyring): Promise<PrivateEcJwk[]> {
  const epochs = (await keyring.epochs()).reverse();
  const keys = await Promise.all(
    epochs.map((epoch) => keyring.teamKey(epoch).catch(() => undefined)),
  );
  return keys.filter((key): key is PrivateEcJwk => key !== undefined);
}

type Opened =
  | { readonly entries: readonly { pseudonym: string; label: string }[] }
  | { readonly failure: TelemetryFailure };

async function openWithAny(
  table: SealedPseudonymTable,
  teamKeys: readonly PrivateEcJwk[],
  organisationId: string,
): Promise<Opened> {
  let failure: TelemetryFailure = {
    code: 'ERR_PROTECT_NOT_A_RECIPIENT',
    message: 'None of the team keys you hold opens this pseudonym table.',
  };
  for (const teamKey of teamKeys) {
    try {
      const opened = await openTableForStaff(table.jwe, teamKey, organisationId);
      return { entries: opened.entries().map(({ pseudonym, label }) => ({ pseudonym, label })) };
    } catch (error) {
      // Not addressed to this epoch: try an older one. Anything else is this table's fault.
      const reason = failureOf(error);
      if (reason.code !== 'ERR_PROTECT_NOT_A_RECIPIENT') failure = reason;
    }
  }
  return { failure };
}

/** First gateway's label wins per pseudonym; a label two patients share gets a device suffix. */
function disambiguate(
  claims: readonly { pseudonym: string; label: string; deviceId: string }[],
): Map<string, string> {
  const chosen = new Map<string, { label: string; deviceId: string }>();
  for (const claim of claims) {
    if (!chosen.has(claim.pseudonym)) chosen.set(claim.pseudonym, claim);
  }
  const holders = new Map<string, Set<string>>();
  for (const [pseudonym, { label }] of chosen) {
    holders.set(label, (holders.get(label) ?? new Set()).add(pseudonym));
  }
  const labels = new Map<string, string>();
  for (const [pseudonym, { label, deviceId }] of chosen) {
    const shared = (holders.get(label)?.size ?? 0) > 1;
    labels.set(pseudonym, shared ? `${label} · ${deviceId.slice(0, 8)}` : label);
  }
  return labels;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

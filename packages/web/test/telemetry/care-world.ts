// A care organisation as the dashboard finds it, made with the real @vigil/protect:
// a clinician's member key, the recovery key, team epochs (the second one not wrapped
// to the clinician), data keys, enrolled devices and batches of FHIR readings.
import {
  generateKeyPair,
  holdPrivateKey,
  generateSigningKeyPair,
  newDataKey,
  newEpoch,
  protectBatch,
  vitalSignObservation,
  type EcKeyPair,
  type NewDataKey,
  type SigningKeyPair,
  type TeamEpoch,
  type VitalSignReading,
} from '@vigil/protect';
import type {
  BatchPage,
  BatchQuery,
  SealedPseudonymTable,
  StoredBatch,
  WrappedDataKey,
  WrappedTeamKey,
} from '../../src/api/types.js';
import { memberKeyHeld, type MemberKey } from '../../src/keystore/member-key.js';
import { TeamKeyring } from '../../src/telemetry/team-keyring.js';
import type { TelemetrySource } from '../../src/telemetry/telemetry-source.js';

export const ORGANISATION_ID = 'care-org-1';
export const DEVICE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
export const OTHER_DEVICE_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const PATIENT = 'p1_mfrggzdfmztwq2lknnwg23tpobyxe43u';
export const OTHER_PATIENT = 'p1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
/** 2026-11-29 10:00 UTC: every reading is this plus whole minutes. */
export const T0 = Date.UTC(2026, 10, 29, 10, 0, 0);
export const MINUTE = 60_000;

export interface CareWorld {
  readonly clinician: EcKeyPair;
  readonly colleague: EcKeyPair;
  readonly recovery: EcKeyPair;
  /** Wrapped to the clinician and the colleague. */
  readonly epoch1: TeamEpoch;
  /** Wrapped to the colleague only. */
  readonly epoch2: TeamEpoch;
  readonly dataKey1: NewDataKey;
  readonly dataKey2: NewDataKey;
  readonly device: SigningKeyPair;
  readonly otherDevice: SigningKeyPair;
}

export async function makeCareWorld(): Promise<CareWorld> {
  const [clinician, colleague, recovery, device, otherDevice] = await Promise.all([
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
    generateSigningKeyPair(),
    generateSigningKeyPair(),
  ]);
  const epoch1 = await newEpoch({
    organisationId: ORGANISATION_ID,
    previousEpoch: 0,
    memberPublicJwks: [clinician.publicJwk, colleague.publicJwk],
    recoveryPublicJwk: recovery.publicJwk,
  });
  const epoch2 = await newEpoch({
    organisationId: ORGANISATION_ID,
    previousEpoch: 1,
    memberPublicJwks: [colleague.publicJwk],
    recoveryPublicJwk: recovery.publicJwk,
  });
  const dataKeyOf = (epoch: TeamEpoch) =>
    newDataKey({
      organisationId: ORGANISATION_ID,
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
    });
  const [dataKey1, dataKey2] = await Promise.all([dataKeyOf(epoch1), dataKeyOf(epoch2)]);
  return {
    clinician,
    colleague,
    recovery,
    epoch1,
    epoch2,
    dataKey1,
    dataKey2,
    device,
    otherDevice,
  };
}

/** A reading `minutes` after T0. */
export type TimedReading = VitalSignReading & { readonly minutes: number };

/** One stored batch as the server would list it, its JWE made by `protectBatch`. */
export async function storedBatch(
  world: CareWorld,
  options: {
    readonly sequence: number;
    readonly readings: readonly TimedReading[];
    readonly pseudonym?: string;
    readonly deviceId?: string;
    readonly dataKey?: NewDataKey;
    /** Who signs: default the device itself. */
    readonly signer?: SigningKeyPair;
    /** The key the server lists for the device: default the device's; null for none. */
    readonly listedKey?: SigningKeyPair | null;
  },
): Promise<StoredBatch> {
  const pseudonym = options.pseudonym ?? PATIENT;
  const deviceId = options.deviceId ?? DEVICE_ID;
  const dataKey = options.dataKey ?? world.dataKey1;
  const observations = options.readings.map(({ minutes, ...reading }) =>
    vitalSignObservation({
      ...reading,
      effective: new Date(T0 + minutes * MINUTE),
      pseudonym,
      deviceId,
    }),
  );
  const times = options.readings.map((r) => T0 + r.minutes * MINUTE);
  const jwe = await protectBatch({
    dataKey,
    signingKey: (options.signer ?? world.device).privateJwk,
    organisationId: ORGANISATION_ID,
    deviceId,
    sequence: options.sequence,
    createdAt: new Date(Math.max(T0, ...times)),
    pseudonym,
    observations,
  });
  const listed = options.listedKey === undefined ? world.device : options.listedKey;
  return {
    id: `batch-${deviceId.slice(0, 8)}-${options.sequence}`,
    deviceId,
    sequence: options.sequence,
    pseudonym,
    epoch: dataKey.epoch,
    kid: dataKey.kid,
    from: Math.min(...times),
    to: Math.max(...times),
    jwe,
    devicePublicJwk: listed === null ? null : listed.publicJwk,
  };
}

/** The operator API over fixed answers, counting requests. */
export class FakeSource implements TelemetrySource {
  readonly calls = { teamKeys: 0, dataKeys: [] as string[][], batches: [] as BatchQuery[] };
  teamKeyList: WrappedTeamKey[];
  dataKeyList: WrappedDataKey[];
  tables: SealedPseudonymTable[] = [];
  batchList: StoredBatch[] = [];
  pageSize = 100;
  /** Thrown by the next request for data keys, once (a network failure). */
  failNext: Error | undefined;

  constructor(world: CareWorld) {
    this.teamKeyList = [world.epoch1, world.epoch2].map((e) => ({
      epoch: e.epoch,
      jwe: e.wrapped,
    }));
    this.dataKeyList = [world.dataKey1, world.dataKey2].map((k) => ({
      kid: k.kid,
      epoch: k.epoch,
      deviceId: DEVICE_ID,
      jwe: k.wrapped,
    }));
  }

  async teamKeys(): Promise<readonly WrappedTeamKey[]> {
    this.calls.teamKeys += 1;
    return this.teamKeyList;
  }

  async dataKeys(kids: readonly string[]): Promise<readonly WrappedDataKey[]> {
    this.calls.dataKeys.push([...kids]);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) throw failure;
    return this.dataKeyList.filter((k) => kids.includes(k.kid));
  }

  async pseudonymTables(): Promise<readonly SealedPseudonymTable[]> {
    return this.tables;
  }

  async batches(query: BatchQuery): Promise<BatchPage> {
    this.calls.batches.push(query);
    const start = query.after === undefined ? 0 : Number(query.after);
    const size = Math.min(this.pageSize, query.limit ?? this.pageSize);
    const matching = this.batchList.filter((b) => b.pseudonym === query.pseudonym);
    const page = matching.slice(start, start + size);
    const end = start + page.length;
    return { batches: page, next: end < matching.length ? String(end) : null };
  }
}

export async function clinicianKey(world: CareWorld): Promise<MemberKey> {
  return memberKeyHeld(ORGANISATION_ID, await holdPrivateKey(world.clinician.privateJwk));
}

export async function clinicianKeyring(world: CareWorld, source: TelemetrySource) {
  return new TeamKeyring(await clinicianKey(world), source);
}

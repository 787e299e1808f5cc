// Shared fixtures for the batch tests: an organisation with a team epoch and a
// recovery key, an epoch data key, two enrolled devices and a sample batch.
import assert from 'node:assert/strict';
import { base64url, type CryptoKey } from 'jose';
import {
  generateKeyPair,
  newDataKey,
  newEpoch,
  vitalSignObservation,
  type BatchInput,
  type EcKeyPair,
  type NewDataKey,
  type TeamEpoch,
  type VitalSignObservation,
} from '@vigil/protect';

export const ORGANISATION_ID = 'org-1';
export const DEVICE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
export const OTHER_DEVICE_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const PSEUDONYM = 'p1_mfrggzdfmztwq2lknnwg23tpobyxe43u';
export const OTHER_PSEUDONYM = 'p1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const CREATED_AT = new Date('2026-11-29T10:00:00.000Z');

/** An ECDSA key pair as WebCrypto returns it (the DOM lib is not in this project). */
export interface DeviceKeys {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

export interface World {
  readonly alice: EcKeyPair;
  readonly recovery: EcKeyPair;
  readonly epoch: TeamEpoch;
  readonly dataKey: NewDataKey;
  readonly device: DeviceKeys;
  readonly otherDevice: DeviceKeys;
}

export async function makeWorld(): Promise<World> {
  const [alice, recovery] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  const epoch = await newEpoch({
    organisationId: ORGANISATION_ID,
    previousEpoch: 0,
    memberPublicJwks: [alice.publicJwk],
    recoveryPublicJwk: recovery.publicJwk,
  });
  const dataKey = await newDataKey({
    organisationId: ORGANISATION_ID,
    epoch: epoch.epoch,
    teamPublicJwk: epoch.teamKey.publicJwk,
    recoveryPublicJwk: recovery.publicJwk,
  });
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const [device, otherDevice] = (await Promise.all([
    globalThis.crypto.subtle.generateKey(ecdsa, false, ['sign', 'verify']),
    globalThis.crypto.subtle.generateKey(ecdsa, false, ['sign', 'verify']),
  ])) as [DeviceKeys, DeviceKeys];
  return { alice, recovery, epoch, dataKey, device, otherDevice };
}

export function observations(
  count: number,
  pseudonym = PSEUDONYM,
  deviceId = DEVICE_ID,
): VitalSignObservation[] {
  return Array.from({ length: count }, (_, i) =>
    vitalSignObservation({
      kind: 'heart-rate',
      value: 60 + i,
      effective: new Date(CREATED_AT.getTime() - i * 1000),
      pseudonym,
      deviceId,
    }),
  );
}

export function batchInput(world: World, overrides: Partial<BatchInput> = {}): BatchInput {
  return {
    dataKey: world.dataKey,
    signingKey: world.device.privateKey,
    organisationId: ORGANISATION_ID,
    deviceId: DEVICE_ID,
    sequence: 7,
    createdAt: CREATED_AT,
    pseudonym: PSEUDONYM,
    observations: observations(3),
    ...overrides,
  };
}

/** The reader's side: the unwrapped data keys and the enrolled devices' public keys. */
export function readerOptions(world: World, dataKey: CryptoKey = world.dataKey.key) {
  const devices = new Map<string, CryptoKey>([
    [DEVICE_ID, world.device.publicKey],
    [OTHER_DEVICE_ID, world.otherDevice.publicKey],
  ]);
  return {
    dataKeys: (kid: string) => (kid === world.dataKey.kid ? dataKey : undefined),
    deviceVerificationKey: (deviceId: string) => devices.get(deviceId),
  };
}

export function hasCode(...codes: string[]) {
  return (error: unknown) => {
    assert.ok(codes.includes((error as { code?: string }).code ?? ''), String(error));
    return true;
  };
}

/** Flips the lowest bit of one decoded byte of a base64url segment. */
export function flipBit(segment: string, at = 0): string {
  const bytes = base64url.decode(segment);
  bytes[at] = bytes[at]! ^ 1;
  return base64url.encode(bytes);
}

export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(segment))) as Record<string, unknown>;
}

export function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

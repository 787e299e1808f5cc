// Shared fixtures for the key-manifest tests: an organisation, its admin's
// signing key, and a payload listing ECDH P-256 public keys.
import { generateSigningKeyPair, type SigningKeyPair } from '../../src/manifest/signing-key.js';
import type { KeyManifestPayload, P256PublicJwk } from '../../src/manifest/key-manifest.js';
import type { ManifestPins } from '../../src/manifest/verify-manifest.js';

export const ORGANISATION_ID = 'org-st-mary';
export const NOW = new Date('2025-03-14T09:30:00.000Z');

export async function ecdhPublicJwk(): Promise<P256PublicJwk> {
  const pair = await globalThis.crypto.subtle.generateKey(
    { name: 'ECDH', namedCurve: 'P-256' },
    true,
    ['deriveBits'],
  );
  const { x, y } = await globalThis.crypto.subtle.exportKey('jwk', pair.publicKey);
  return { kty: 'EC', crv: 'P-256', x: x!, y: y! };
}

export interface World {
  admin: SigningKeyPair;
  payload: KeyManifestPayload;
  pins: ManifestPins;
}

export async function world(version = 2): Promise<World> {
  const admin = await generateSigningKeyPair();
  const payload: KeyManifestPayload = {
    typ: 'vigil-key-manifest',
    organisationId: ORGANISATION_ID,
    version,
    issuedAt: '2025-03-14T09:26:53.000Z',
    epoch: 4,
    teamPublicJwk: await ecdhPublicJwk(),
    recoveryPublicJwk: await ecdhPublicJwk(),
    members: [
      { kid: 'nurse-1', publicJwk: await ecdhPublicJwk() },
      { kid: 'doctor-2', publicJwk: await ecdhPublicJwk() },
    ],
  };
  const pins: ManifestPins = {
    organisationId: ORGANISATION_ID,
    signingPublicJwk: admin.publicJwk,
    lastAcceptedVersion: 1,
  };
  return { admin, payload, pins };
}

export function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

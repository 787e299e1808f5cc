import { VigilError } from '@vigil/core/errors';
import { calculateJwkThumbprint, type CryptoKey, type JWK } from 'jose';

/**
 * The care organisation's key pairs: each member's personal key, the team key
 * of each epoch and the recovery key are all ECDH P-256 key pairs, carried as
 * JWKs (RFC 7517) so that the dashboard (browser) and the gateway (Node.js)
 * exchange them without any platform-specific encoding.
 */

/** A public ECDH P-256 JWK: only the members RFC 7638 needs, nothing else. */
export interface PublicEcJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/** A private ECDH P-256 JWK (the public members plus `d`). Keep it secret. */
export interface PrivateEcJwk extends PublicEcJwk {
  readonly d: string;
}

/** A generated key pair with its stable key id. */
export interface EcKeyPair {
  readonly publicJwk: PublicEcJwk;
  readonly privateJwk: PrivateEcJwk;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  readonly kid: string;
}

const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Generates an ECDH P-256 key pair with WebCrypto (Node.js ≥ 20 and browsers).
 *
 * @example
 * const member = await generateKeyPair();
 * publish(member.publicJwk); // and keep member.privateJwk on the member's device
 */
export async function generateKeyPair(): Promise<EcKeyPair> {
  const pair = await globalThis.crypto.subtle.generateKey(ECDH_P256, true, ['deriveBits']);
  const privateJwk = toPrivateJwk(await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey));
  const publicJwk = toPublicJwk(privateJwk);
  return { publicJwk, privateJwk, kid: await keyIdOf(publicJwk) };
}

/**
 * The stable key id of a key: its RFC 7638 thumbprint. A private JWK gives the
 * same id as its public half, because the thumbprint covers only crv, kty, x, y.
 *
 * @example
 * const kid = await keyIdOf(member.publicJwk); // e.g. "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
 */
export async function keyIdOf(jwk: PublicEcJwk): Promise<string> {
  return calculateJwkThumbprint(toPublicJwk(jwk), 'sha256');
}

/**
 * Checks an untrusted JWK and keeps only its public members.
 *
 * @example
 * const recoveryPublic = toPublicJwk(JSON.parse(published));
 */
export function toPublicJwk(jwk: unknown): PublicEcJwk {
  const candidate = (typeof jwk === 'object' && jwk !== null ? jwk : {}) as JWK;
  const { kty, crv, x, y } = candidate;
  if (kty !== 'EC' || crv !== 'P-256' || !isCoordinate(x) || !isCoordinate(y)) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'Expected an EC P-256 JWK.');
  }
  return { kty: 'EC', crv: 'P-256', x, y };
}

/**
 * Checks an untrusted private JWK and keeps only kty, crv, x, y and d.
 *
 * @example
 * const teamPrivate = toPrivateJwk(JSON.parse(plaintext));
 */
export function toPrivateJwk(jwk: unknown): PrivateEcJwk {
  const publicJwk = toPublicJwk(jwk);
  const { d } = jwk as JWK;
  if (!isCoordinate(d)) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'Expected a private EC P-256 JWK.');
  }
  return { ...publicJwk, d };
}

// P-256 coordinates and scalars are 32 bytes: 43 base64url characters, unpadded.
function isCoordinate(value: unknown): value is string {
  return typeof value === 'string' && value.length === 43 && BASE64URL.test(value);
}

/**
 * A member's private key held as a NON-EXTRACTABLE WebCrypto key, with its kid: what a
 * browser keeps in IndexedDB (structured clone preserves non-extractability), so that
 * script running in the page can use the key but never read it out.
 */
export interface HeldPrivateKey {
  /** RFC 7638 thumbprint of the public half, as `keyIdOf` computes it. */
  readonly kid: string;
  /** ECDH P-256, type `private`, usage `deriveBits`, not extractable. */
  readonly privateKey: CryptoKey;
}

/**
 * Imports a private JWK as a {@link HeldPrivateKey}. Drop every copy of the JWK afterwards.
 *
 * @example
 * const held = await holdPrivateKey(memberKey); // then store `held` in IndexedDB
 * const team = await unwrapTeamKey(jwe, held, { organisationId, epoch });
 */
export async function holdPrivateKey(jwk: PrivateEcJwk): Promise<HeldPrivateKey> {
  const own = toPrivateJwk(jwk);
  const privateKey = await globalThis.crypto.subtle.importKey(
    'jwk',
    { kty: own.kty, crv: own.crv, x: own.x, y: own.y, d: own.d },
    { name: 'ECDH', namedCurve: 'P-256' },
    false,
    ['deriveBits'],
  );
  return { kid: await keyIdOf(own), privateKey };
}

/** Whether a value is a {@link HeldPrivateKey} usable for ECDH-ES unwrapping. */
export function isHeldPrivateKey(value: unknown): value is HeldPrivateKey {
  if (typeof value !== 'object' || value === null) return false;
  const { kid, privateKey } = value as Partial<HeldPrivateKey>;
  if (typeof kid !== 'string' || typeof privateKey !== 'object' || privateKey === null) {
    return false;
  }
  const algorithm = privateKey.algorithm as { name?: unknown; namedCurve?: unknown } | undefined;
  return (
    privateKey.type === 'private' &&
    algorithm?.name === 'ECDH' &&
    algorithm.namedCurve === 'P-256' &&
    privateKey.usages.includes('deriveBits')
  );
}

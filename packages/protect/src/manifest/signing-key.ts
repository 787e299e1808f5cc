import { VigilError } from '@vigil/core/errors';
import { calculateJwkThumbprint } from 'jose';
import type { P256PublicJwk } from './key-manifest.js';

/**
 * The care organisation's manifest-signing key: an ECDSA P-256 key pair (ES256,
 * RFC 7518 §3.4) held by its admin, never by the Vigil server. Agents pin the
 * public half at enrolment.
 */

/** A private ECDSA P-256 JWK. Keep it with the admin; never upload it. */
export interface P256PrivateJwk extends P256PublicJwk {
  readonly d: string;
}

export interface SigningKeyPair {
  readonly publicJwk: P256PublicJwk;
  readonly privateJwk: P256PrivateJwk;
  /** RFC 7638 thumbprint (SHA-256) of the public key: the JWS `kid`. */
  readonly kid: string;
}

const COORDINATE = /^[A-Za-z0-9_-]{43}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a signing key given by a caller: a P-256 EC JWK, private (with `d`)
 * when `needPrivate`, public (without `d`) otherwise. Returns only kty, crv, x,
 * y (and d), dropping `key_ops`, `ext` and the like.
 *
 * @throws VigilError ERR_MANIFEST_SIGNING_KEY.
 */
export function toSigningJwk(value: unknown, needPrivate: true): P256PrivateJwk;
export function toSigningJwk(value: unknown, needPrivate: false): P256PublicJwk;
export function toSigningJwk(value: unknown, needPrivate: boolean): P256PublicJwk | P256PrivateJwk {
  const jwk = isRecord(value) ? value : {};
  const { kty, crv, x, y, d } = jwk;
  const shapeOk =
    kty === 'EC' &&
    crv === 'P-256' &&
    typeof x === 'string' &&
    typeof y === 'string' &&
    COORDINATE.test(x) &&
    COORDINATE.test(y) &&
    (jwk['alg'] === undefined || jwk['alg'] === 'ES256');
  if (!shapeOk) {
    throw new VigilError('ERR_MANIFEST_SIGNING_KEY', 'Expected an ECDSA P-256 (ES256) JWK.');
  }
  if (!needPrivate) {
    // A pin holding `d` means the private key left the admin's hands: refuse it.
    if (d !== undefined) {
      throw new VigilError('ERR_MANIFEST_SIGNING_KEY', 'A pinned key must be public (no d).');
    }
    return { kty, crv, x, y };
  }
  if (typeof d !== 'string' || !COORDINATE.test(d)) {
    throw new VigilError('ERR_MANIFEST_SIGNING_KEY', 'Signing needs the private key (d).');
  }
  return { kty, crv, x, y, d };
}

/**
 * The key id of a signing key: its RFC 7638 thumbprint (covers kty, crv, x, y).
 *
 * @example
 * const kid = await signingKeyId(pins.signingPublicJwk);
 */
export async function signingKeyId(jwk: P256PublicJwk): Promise<string> {
  const { kty, crv, x, y } = jwk;
  return calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
}

/**
 * Generates the organisation's manifest-signing key pair with WebCrypto.
 *
 * @example
 * const { privateJwk, publicJwk, kid } = await generateSigningKeyPair();
 * // the admin keeps privateJwk; enrolment hands publicJwk to each agent
 */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const pair = await globalThis.crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign', 'verify'],
  );
  const exported = await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey);
  const privateJwk = toSigningJwk(exported, true);
  const { d: _d, ...publicPart } = privateJwk;
  const publicJwk = toSigningJwk(publicPart, false);
  return { privateJwk, publicJwk, kid: await signingKeyId(publicJwk) };
}

import { VigilError } from '@vigil/core/errors';
import { CompactSign, importJWK } from 'jose';
import {
  KEY_MANIFEST_JWS_TYP,
  checkManifestKeysOnCurve,
  parseManifestPayload,
  type KeyManifestPayload,
} from './key-manifest.js';
import { signingKeyId, toSigningJwk } from './signing-key.js';

/**
 * Signs a key manifest as a compact JWS (RFC 7515) with ES256, on the admin's
 * machine. The payload is checked with the same parser agents use, so a
 * manifest that agents would refuse is never produced.
 *
 * @throws VigilError ERR_MANIFEST_MALFORMED, ERR_MANIFEST_KEY_INVALID (e.g. a
 *   private key in the payload), ERR_MANIFEST_SIGNING_KEY.
 * @example
 * const jws = await signManifest({
 *   typ: 'vigil-key-manifest', organisationId: 'org-1', version: 7,
 *   issuedAt: new Date().toISOString(), epoch: 3,
 *   teamPublicJwk, recoveryPublicJwk, members: [{ kid, publicJwk }],
 * }, admin.privateJwk);
 */
export async function signManifest(
  payload: KeyManifestPayload,
  privateJwk: unknown,
): Promise<string> {
  const manifest = parseManifestPayload(payload);
  await checkManifestKeysOnCurve(manifest);
  const jwk = toSigningJwk(privateJwk, true);
  let key;
  try {
    key = await importJWK({ ...jwk }, 'ES256');
  } catch (cause) {
    throw new VigilError('ERR_MANIFEST_SIGNING_KEY', 'The signing key cannot be imported.', {
      cause,
    });
  }
  const { d: _d, ...publicJwk } = jwk;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
    .setProtectedHeader({
      alg: 'ES256',
      typ: KEY_MANIFEST_JWS_TYP,
      kid: await signingKeyId(publicJwk),
    })
    .sign(key);
}

import { Buffer } from 'node:buffer';
import {
  keyIdOf,
  signingKeyId,
  verifyManifest,
  type KeyManifestPayload,
  type ManifestPins,
  type P256PublicJwk,
} from '@vigil/protect';
import { AgentError } from '../errors.js';

/**
 * Which key manifests the gateway accepts (ADR 0008, ADR 0010 §2). Pure: the
 * caller fetches the answer, passes the time, and stores the pins returned.
 *
 * - **First manifest after enrolment: trust on first use.** The signing key
 *   comes from the server's answer, so it is checked against the fingerprint the
 *   care organisation published out of band when the installer configured one
 *   (`expectedSigningKeyFingerprint`), and the manifest must verify under it.
 * - **Every later manifest** is verified with the pinned key only; the
 *   answer's `signingPublicJwk` and `signingKeyFingerprint` are ignored. A server
 *   that signs a manifest with its own key, rolls back to an older version,
 *   replays the current one with other bytes or names another organisation is
 *   refused (`ERR_MANIFEST_*`), and the manifest in force stays.
 */

/** `GET /device/v1/key-manifest`, as the server answers it (docs/telemetry.md). */
export interface ManifestAnswer {
  readonly jws: string;
  /** Only read for the first manifest (trust on first use). */
  readonly signingPublicJwk: unknown;
  /** The server's claim; never trusted. */
  readonly signingKeyFingerprint?: string;
}

/** What the gateway trusts after accepting a manifest. */
export interface AcceptedManifest {
  readonly pins: ManifestPins & { readonly lastAcceptedVersion: number };
  readonly manifest: KeyManifestPayload;
  readonly jws: string;
  /** RFC 7638 thumbprint (SHA-256, base64url) of the pinned signing key: show it to the installer. */
  readonly signingKeyFingerprint: string;
}

export interface FirstUseOptions {
  /** The signing key's fingerprint as the care organisation publishes it (see `sameFingerprint`). */
  readonly expectedSigningKeyFingerprint?: string;
  /** The care organisation the device was assigned to, when the installer knows it. */
  readonly expectedOrganisationId?: string;
}

/**
 * Pins the signing key of the first manifest: the key from the answer, checked
 * against the expected fingerprint when given, and the manifest verified under it.
 *
 * @throws AgentError ERR_AGENT_MANIFEST_FINGERPRINT; VigilError ERR_MANIFEST_* from verifyManifest.
 * @example
 * const accepted = await trustFirstManifest(answer, { expectedSigningKeyFingerprint }, new Date());
 * await save({ pins: accepted.pins, manifestJws: accepted.jws });
 */
export async function trustFirstManifest(
  answer: ManifestAnswer,
  options: FirstUseOptions,
  now: Date,
): Promise<AcceptedManifest> {
  const claimedKey = answer.signingPublicJwk as P256PublicJwk;
  const organisationId = options.expectedOrganisationId ?? claimedOrganisation(answer.jws);
  // verifyManifest checks the key's shape (ERR_MANIFEST_SIGNING_KEY) before using it.
  const manifest = await verifyManifest(
    answer.jws,
    { organisationId, signingPublicJwk: claimedKey, lastAcceptedVersion: null },
    now,
  );
  const { kty, crv, x, y } = claimedKey;
  const fingerprint = await signingKeyId({ kty, crv, x, y });
  const expected = options.expectedSigningKeyFingerprint;
  if (expected !== undefined && !sameFingerprint(expected, fingerprint)) {
    throw new AgentError(
      'ERR_AGENT_MANIFEST_FINGERPRINT',
      'The key manifest is not signed by the key the care organisation published.',
      { details: { expected, actual: fingerprint } },
    );
  }
  return {
    pins: {
      organisationId: manifest.organisationId,
      signingPublicJwk: { kty, crv, x, y },
      lastAcceptedVersion: manifest.version,
    },
    manifest,
    jws: answer.jws,
    signingKeyFingerprint: fingerprint,
  };
}

/**
 * Accepts a newer manifest under the pins. `unchanged` when the answer is the
 * manifest already in force, byte for byte (the common case of a periodic refresh).
 *
 * @throws VigilError ERR_MANIFEST_UNKNOWN_KEY (another key), ERR_MANIFEST_SIGNATURE,
 *   ERR_MANIFEST_ROLLBACK (older, or the same version with other bytes),
 *   ERR_MANIFEST_ORGANISATION, ERR_MANIFEST_MALFORMED …
 */
export async function verifyNextManifest(
  answer: ManifestAnswer,
  current: { pins: AcceptedManifest['pins']; jws: string },
  now: Date,
): Promise<AcceptedManifest | 'unchanged'> {
  if (answer.jws === current.jws) return 'unchanged';
  // The pinned key, never the answer's: a breached server cannot introduce its own.
  const manifest = await verifyManifest(answer.jws, current.pins, now);
  return {
    pins: { ...current.pins, lastAcceptedVersion: manifest.version },
    manifest,
    jws: answer.jws,
    signingKeyFingerprint: await signingKeyId(current.pins.signingPublicJwk),
  };
}

/**
 * Verifies the stored manifest again at start-up (the record could have been
 * edited on disk): under the pins, and of exactly the pinned version.
 *
 * @throws AgentError ERR_AGENT_STORAGE_CORRUPT
 */
export async function reloadManifest(
  jws: string,
  pins: AcceptedManifest['pins'],
  now: Date,
): Promise<AcceptedManifest> {
  try {
    const previous = { ...pins, lastAcceptedVersion: pins.lastAcceptedVersion - 1 };
    // Issued before it was first accepted; `now` only bounds issuedAt from above.
    const manifest = await verifyManifest(jws, previous, now, {
      maxClockSkewSeconds: Number.MAX_SAFE_INTEGER / 1000,
    });
    if (manifest.version !== pins.lastAcceptedVersion) throw new Error('another version');
    return {
      pins,
      manifest,
      jws,
      signingKeyFingerprint: await signingKeyId(pins.signingPublicJwk),
    };
  } catch (cause) {
    throw new AgentError(
      'ERR_AGENT_STORAGE_CORRUPT',
      'The stored key manifest does not verify under the stored pins.',
      { cause },
    );
  }
}

/**
 * Whether a published fingerprint names this RFC 7638 thumbprint. Accepted
 * spellings: the base64url thumbprint itself (the manifest's JWS `kid`), or the
 * same 32 bytes in hex, upper or lower case, with or without ":" separators.
 */
export function sameFingerprint(published: string, thumbprint: string): boolean {
  const text = published.trim();
  const hex = text.replaceAll(':', '');
  if (/^[0-9a-fA-F]{64}$/.test(hex)) {
    return hex.toLowerCase() === Buffer.from(thumbprint, 'base64url').toString('hex');
  }
  return text.replace(/=+$/, '') === thumbprint;
}

/**
 * The team and recovery key ids a manifest encrypts to (`<team kid>.<recovery kid>`):
 * when they change, a new data key and a new staff copy of the table are due.
 */
export async function manifestRecipients(manifest: KeyManifestPayload): Promise<string> {
  const [team, recovery] = await Promise.all([
    keyIdOf(manifest.teamPublicJwk),
    keyIdOf(manifest.recoveryPublicJwk),
  ]);
  return `${manifest.epoch}:${team}.${recovery}`;
}

/** The organisation a manifest claims, read before verification (only to build the first pins). */
function claimedOrganisation(jws: string): string {
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    const organisationId = (payload as { organisationId?: unknown } | null)?.organisationId;
    return typeof organisationId === 'string' ? organisationId : '';
  } catch {
    // verifyManifest refuses it as malformed.
    return '';
  }
}

import { VigilError, type ErrorCode } from '@vigil/core/errors';
import { base64url, compactVerify, importJWK } from 'jose';
import {
  KEY_MANIFEST_JWS_TYP,
  checkManifestKeysOnCurve,
  parseManifestPayload,
  type KeyManifestPayload,
  type P256PublicJwk,
} from './key-manifest.js';
import { signingKeyId, toSigningJwk } from './signing-key.js';

/** What the agent pinned at enrolment and remembers between manifests. */
export interface ManifestPins {
  /** The organisation the agent is enrolled in. */
  readonly organisationId: string;
  /** The organisation's manifest-signing public key, pinned at enrolment. */
  readonly signingPublicJwk: P256PublicJwk;
  /** The version of the last manifest accepted, or null before the first. */
  readonly lastAcceptedVersion: number | null;
}

export interface VerifyManifestOptions {
  /** How far in the future `issuedAt` may lie, for clock skew (seconds; default 300). */
  readonly maxClockSkewSeconds?: number;
  /** The longest compact JWS accepted (characters; default 262 144). */
  readonly maxLength?: number;
}

const DEFAULTS = { maxClockSkewSeconds: 300, maxLength: 256 * 1024 };

// Header parameters that carry or point at a key (RFC 7515 §4.1.3–4.1.8): a
// verifier that used them would let the signer choose the key it is checked with.
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5c', 'x5u', 'x5t', 'x5t#S256'];
const ALLOWED_HEADERS = new Set(['alg', 'typ', 'kid']);
const SEGMENT = /^[A-Za-z0-9_-]*$/;

function refuse(code: ErrorCode, message: string, cause?: unknown): never {
  throw new VigilError(code, message, cause === undefined ? {} : { cause });
}

function decodeJson(segment: string, what: string): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment));
    return JSON.parse(text) as unknown;
  } catch (cause) {
    return refuse('ERR_MANIFEST_MALFORMED', `The ${what} is not base64url JSON.`, cause);
  }
}

function isCanonicalBase64url(segment: string): boolean {
  try {
    return base64url.encode(base64url.decode(segment)) === segment;
  } catch {
    return false;
  }
}

function checkHeader(header: unknown, pinnedKid: string): void {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    refuse('ERR_MANIFEST_MALFORMED', 'The JWS header must be a JSON object.');
  }
  const h = header as Record<string, unknown>;
  // RFC 8725 §3.1: use an allow list of algorithms; `none` and HMAC never.
  if (h['alg'] !== 'ES256')
    refuse('ERR_MANIFEST_ALGORITHM', 'The manifest must be signed with ES256.');
  if (KEY_CARRYING_HEADERS.some((name) => Object.hasOwn(h, name))) {
    refuse(
      'ERR_MANIFEST_UNKNOWN_KEY',
      'The manifest embeds or points at a key; only the pinned key counts.',
    );
  }
  for (const name of Object.keys(h)) {
    // `crit`, `b64` and other extensions are refused: nothing here understands them.
    if (!ALLOWED_HEADERS.has(name))
      refuse('ERR_MANIFEST_MALFORMED', `Unexpected JWS header ${name}.`);
  }
  if (h['typ'] !== KEY_MANIFEST_JWS_TYP) {
    refuse('ERR_MANIFEST_MALFORMED', `The JWS typ must be ${KEY_MANIFEST_JWS_TYP}.`);
  }
  if (h['kid'] !== pinnedKid) {
    refuse(
      'ERR_MANIFEST_UNKNOWN_KEY',
      'The manifest is not signed with the pinned organisation key.',
    );
  }
}

/**
 * Verifies a key manifest received from the server against what the agent
 * pinned: the signature with the pinned key only (never a key named by the
 * JWS), the organisation, and a version newer than the last one accepted. Pure:
 * no I/O and no clock — the caller passes `now` and stores the new version.
 *
 * @throws VigilError ERR_MANIFEST_MALFORMED, ERR_MANIFEST_ALGORITHM,
 *   ERR_MANIFEST_UNKNOWN_KEY, ERR_MANIFEST_SIGNATURE, ERR_MANIFEST_ORGANISATION,
 *   ERR_MANIFEST_ROLLBACK, ERR_MANIFEST_NOT_YET_VALID, ERR_MANIFEST_KEY_INVALID,
 *   ERR_MANIFEST_SIGNING_KEY (a bad pin).
 * @example
 * const manifest = await verifyManifest(jws, pins, new Date());
 * await store.savePins({ ...pins, lastAcceptedVersion: manifest.version });
 */
export async function verifyManifest(
  jws: unknown,
  pins: ManifestPins,
  now: Date,
  options: VerifyManifestOptions = {},
): Promise<KeyManifestPayload> {
  const { maxClockSkewSeconds, maxLength } = { ...DEFAULTS, ...options };
  const pinned = toSigningJwk(pins.signingPublicJwk, false);
  if (typeof jws !== 'string' || jws.length > maxLength) {
    refuse('ERR_MANIFEST_MALFORMED', 'The manifest must be a compact JWS string.');
  }
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p)) || !parts[0] || !parts[1]) {
    refuse('ERR_MANIFEST_MALFORMED', 'The manifest is not a compact JWS.');
  }
  // Canonical base64url only (RFC 7515 §2, RFC 4648 §3.5): otherwise the same
  // manifest would have several encodings, and a changed one could still verify.
  if (!parts.every(isCanonicalBase64url)) {
    refuse('ERR_MANIFEST_MALFORMED', 'The manifest is not canonical base64url.');
  }
  checkHeader(decodeJson(parts[0], 'JWS header'), await signingKeyId(pinned));

  let payloadBytes: Uint8Array;
  try {
    const key = await importJWK({ ...pinned }, 'ES256');
    ({ payload: payloadBytes } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
  } catch (cause) {
    return refuse('ERR_MANIFEST_SIGNATURE', 'The manifest signature does not verify.', cause);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (cause) {
    return refuse('ERR_MANIFEST_MALFORMED', 'The manifest payload is not JSON.', cause);
  }
  const manifest = parseManifestPayload(decoded);

  if (manifest.organisationId !== pins.organisationId) {
    refuse('ERR_MANIFEST_ORGANISATION', 'The manifest belongs to another organisation.');
  }
  // Equal is a replay of the current manifest; lower is a rollback to old keys.
  if (pins.lastAcceptedVersion !== null && manifest.version <= pins.lastAcceptedVersion) {
    refuse('ERR_MANIFEST_ROLLBACK', 'The manifest is not newer than the one accepted.');
  }
  // Fail closed without a usable reference time.
  const reference = now instanceof Date ? now.getTime() : Number.NaN;
  if (!(Date.parse(manifest.issuedAt) <= reference + maxClockSkewSeconds * 1000)) {
    refuse('ERR_MANIFEST_NOT_YET_VALID', 'The manifest was issued in the future.');
  }
  await checkManifestKeysOnCurve(manifest);
  return manifest;
}

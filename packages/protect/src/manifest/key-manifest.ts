import { VigilError } from '@vigil/core/errors';

/**
 * The key manifest: the public keys a gateway encrypts readings to, listed and
 * signed by the care organisation itself (its admin's ECDSA P-256 key), not by
 * the Vigil server. The agent pins the organisation's signing key at enrolment,
 * so a compromised server can relay manifests but cannot forge one.
 * This file holds the payload and its parser; `sign-manifest.ts` and
 * `verify-manifest.ts` the two operations.
 */

export const KEY_MANIFEST_TYP = 'vigil-key-manifest';
/** The JWS `typ` header (RFC 8725 §3.11: explicit typing). */
export const KEY_MANIFEST_JWS_TYP = 'vigil-key-manifest+jws';

/** A P-256 public JWK with exactly the members RFC 7638 hashes. */
export interface P256PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

export interface KeyManifestMember {
  /** The member's key id (their RFC 7638 thumbprint, by convention). */
  readonly kid: string;
  /** The member's ECDH P-256 public key. */
  readonly publicJwk: P256PublicJwk;
}

export interface KeyManifestPayload {
  readonly typ: typeof KEY_MANIFEST_TYP;
  readonly organisationId: string;
  /** Increases by at least one with every manifest the organisation signs. */
  readonly version: number;
  /** RFC 3339 UTC time of signing, e.g. `2025-03-14T09:26:53.000Z`. */
  readonly issuedAt: string;
  /** The team-key epoch this manifest announces. */
  readonly epoch: number;
  readonly teamPublicJwk: P256PublicJwk;
  readonly recoveryPublicJwk: P256PublicJwk;
  readonly members: readonly KeyManifestMember[];
}

export const MAX_MANIFEST_MEMBERS = 1000;

const PAYLOAD_KEYS = [
  'typ',
  'organisationId',
  'version',
  'issuedAt',
  'epoch',
  'teamPublicJwk',
  'recoveryPublicJwk',
  'members',
];
const JWK_KEYS = ['kty', 'crv', 'x', 'y'];
const MEMBER_KEYS = ['kid', 'publicJwk'];
// 32-byte P-256 coordinates: 43 base64url characters, no padding (RFC 7518 §6.2.1.2).
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const KID = /^[A-Za-z0-9_.:-]{1,128}$/;
const ORGANISATION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function malformed(message: string, path: string): never {
  throw new VigilError('ERR_MANIFEST_MALFORMED', message, { details: { path } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasExactly(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

/**
 * Checks that a manifest key is an ECDH P-256 public JWK, and nothing more:
 * a private `d` (a leaked key) or any other member is refused, not stripped.
 * The point itself is checked against the curve by `importEcdhPublicKeys`.
 */
export function parseManifestPublicJwk(value: unknown, path: string): P256PublicJwk {
  const fail = (message: string): never => {
    throw new VigilError('ERR_MANIFEST_KEY_INVALID', message, { details: { path } });
  };
  if (!isRecord(value)) return fail(`${path} must be a JWK object.`);
  if (Object.hasOwn(value, 'd')) return fail(`${path} carries a private key (d).`);
  const { kty, crv, x, y } = value;
  if (
    !hasExactly(value, JWK_KEYS) ||
    kty !== 'EC' ||
    crv !== 'P-256' ||
    typeof x !== 'string' ||
    typeof y !== 'string' ||
    !COORDINATE.test(x) ||
    !COORDINATE.test(y)
  ) {
    return fail(`${path} must be exactly { kty: "EC", crv: "P-256", x, y }.`);
  }
  return { kty, crv, x, y };
}

function safeInteger(value: unknown, min: number, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    malformed(`${path} must be an integer ≥ ${min}.`, path);
  }
  return value;
}

/**
 * Parses an untrusted manifest payload (already decoded JSON) into a typed one.
 * Only shape is checked here; trust comes from the signature and the pins.
 *
 * @throws VigilError ERR_MANIFEST_MALFORMED, ERR_MANIFEST_KEY_INVALID.
 */
export function parseManifestPayload(value: unknown): KeyManifestPayload {
  if (!isRecord(value)) malformed('The payload must be a JSON object.', '');
  if (!hasExactly(value, PAYLOAD_KEYS)) {
    malformed(`The payload must have exactly: ${PAYLOAD_KEYS.join(', ')}.`, '');
  }
  const { typ, organisationId, issuedAt, members } = value;
  if (typ !== KEY_MANIFEST_TYP) malformed(`typ must be ${KEY_MANIFEST_TYP}.`, '/typ');
  if (typeof organisationId !== 'string' || !ORGANISATION_ID.test(organisationId)) {
    malformed('organisationId must be 1-128 of A-Z a-z 0-9 _ . : -', '/organisationId');
  }
  const version = safeInteger(value['version'], 1, '/version');
  const epoch = safeInteger(value['epoch'], 0, '/epoch');
  if (
    typeof issuedAt !== 'string' ||
    !UTC_TIME.test(issuedAt) ||
    !Number.isFinite(Date.parse(issuedAt))
  ) {
    malformed('issuedAt must be an RFC 3339 UTC time.', '/issuedAt');
  }
  if (!Array.isArray(members) || members.length > MAX_MANIFEST_MEMBERS) {
    malformed(`members must be an array of at most ${MAX_MANIFEST_MEMBERS}.`, '/members');
  }
  const kids = new Set<string>();
  const parsedMembers = members.map((member: unknown, i): KeyManifestMember => {
    const path = `/members/${i}`;
    if (!isRecord(member) || !hasExactly(member, MEMBER_KEYS)) {
      malformed(`${path} must be exactly { kid, publicJwk }.`, path);
    }
    const { kid } = member;
    if (typeof kid !== 'string' || !KID.test(kid) || kids.has(kid)) {
      malformed(`${path}/kid must be a unique key id.`, `${path}/kid`);
    }
    kids.add(kid);
    return { kid, publicJwk: parseManifestPublicJwk(member['publicJwk'], `${path}/publicJwk`) };
  });
  return {
    typ: KEY_MANIFEST_TYP,
    organisationId,
    version,
    issuedAt,
    epoch,
    teamPublicJwk: parseManifestPublicJwk(value['teamPublicJwk'], '/teamPublicJwk'),
    recoveryPublicJwk: parseManifestPublicJwk(value['recoveryPublicJwk'], '/recoveryPublicJwk'),
    members: parsedMembers,
  };
}

/**
 * Imports every key of the manifest as an ECDH P-256 public key, so that a
 * point that is not on the curve (an invalid-curve attack) is refused here and
 * never reaches a key agreement.
 *
 * @throws VigilError ERR_MANIFEST_KEY_INVALID.
 */
export async function checkManifestKeysOnCurve(payload: KeyManifestPayload): Promise<void> {
  const keys: [string, P256PublicJwk][] = [
    ['/teamPublicJwk', payload.teamPublicJwk],
    ['/recoveryPublicJwk', payload.recoveryPublicJwk],
    ...payload.members.map((m, i): [string, P256PublicJwk] => [
      `/members/${i}/publicJwk`,
      m.publicJwk,
    ]),
  ];
  for (const [path, jwk] of keys) {
    try {
      await globalThis.crypto.subtle.importKey(
        'jwk',
        { ...jwk },
        { name: 'ECDH', namedCurve: 'P-256' },
        true,
        [],
      );
    } catch (cause) {
      throw new VigilError('ERR_MANIFEST_KEY_INVALID', `${path} is not a point on P-256.`, {
        cause,
        details: { path },
      });
    }
  }
}

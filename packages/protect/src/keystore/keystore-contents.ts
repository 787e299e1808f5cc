import { VigilError } from '@vigil/core/errors';
import { toPrivateJwk, type PrivateEcJwk } from '../keys.js';
import { toSigningJwk, type P256PrivateJwk } from '../manifest/signing-key.js';
import { malformed } from './keystore-header.js';

/** What a member keeps sealed in their keystore, for one care organisation. */
export interface KeystoreContents {
  /** The member's ECDH P-256 key: unwraps the team epochs they are a recipient of. */
  readonly memberKey?: PrivateEcJwk;
  /** The admin's ECDSA P-256 manifest-signing key (ADR 0011 §2). */
  readonly signingKey?: P256PrivateJwk;
  readonly organisationId: string;
  readonly userEmail?: string;
  /** RFC 3339 UTC time the keystore was first sealed, e.g. `2026-11-29T10:00:00.000Z`. */
  readonly createdAt: string;
}

const KEYS = new Set(['memberKey', 'signingKey', 'organisationId', 'userEmail', 'createdAt']);
const ORGANISATION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const MAX_EMAIL_LENGTH = 320;

/**
 * Checks keystore contents (before sealing, and after opening: a keystore is
 * input like any other) and keeps only the known members, the keys reduced to
 * their JWK members.
 *
 * @throws VigilError ERR_KEYSTORE_MALFORMED
 */
export function parseKeystoreContents(value: unknown): KeystoreContents {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    malformed('The keystore contents must be a JSON object.');
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !KEYS.has(key));
  if (unknown.length > 0) malformed(`Unknown keystore member ${unknown[0]}.`);
  const { organisationId, userEmail, createdAt, memberKey, signingKey } = record;
  if (typeof organisationId !== 'string' || !ORGANISATION_ID.test(organisationId)) {
    malformed('organisationId must be 1–128 of A-Z a-z 0-9 _ . : -');
  }
  if (
    userEmail !== undefined &&
    (typeof userEmail !== 'string' || userEmail.length === 0 || userEmail.length > MAX_EMAIL_LENGTH)
  ) {
    malformed(`userEmail must be 1–${MAX_EMAIL_LENGTH} characters.`);
  }
  if (
    typeof createdAt !== 'string' ||
    !UTC_TIME.test(createdAt) ||
    !Number.isFinite(Date.parse(createdAt))
  ) {
    malformed('createdAt must be an RFC 3339 UTC time.');
  }
  return {
    ...(memberKey === undefined ? {} : { memberKey: asKey(() => toPrivateJwk(memberKey)) }),
    ...(signingKey === undefined
      ? {}
      : { signingKey: asKey(() => toSigningJwk(signingKey, true)) }),
    organisationId,
    ...(userEmail === undefined ? {} : { userEmail }),
    createdAt,
  };
}

function asKey<T>(parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof VigilError) malformed(`A key in the keystore is unusable.`, cause);
    throw cause;
  }
}

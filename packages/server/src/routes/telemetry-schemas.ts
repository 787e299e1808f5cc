import { Type } from 'typebox';
import { Closed, EpochMs, Id } from './schemas.js';

/**
 * Schemas of protected telemetry, shared by the device listener and the
 * operator API. Shapes only: what a header must say is checked by
 * `telemetry/sealed-header.ts`, signatures by `verifyManifest`.
 */

const base64url = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });

/** A P-256 public JWK with exactly the members RFC 7638 hashes; `d` (a private key) is refused. */
export const P256PublicJwkSchema = Type.Object(
  {
    kty: Type.Literal('EC'),
    crv: Type.Literal('P-256'),
    // 32-byte coordinates: 43 base64url characters without padding (RFC 7518 §6.2.1.2).
    x: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    y: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  },
  { ...Closed, description: 'ECDH / ECDSA P-256 public JWK: exactly kty, crv, x, y' },
);

/**
 * A JWE in General JSON serialization (RFC 7516 §7.2.1), as `@vigil/protect`
 * wraps keys and seals tables: each recipient named by its `kid`.
 */
export function generalJweSchema(limits: { maxRecipients: number; maxCiphertext: number }) {
  return Type.Object(
    {
      protected: base64url(8_192),
      unprotected: Type.Optional(
        Type.Object({}, { additionalProperties: true, maxProperties: 16 }),
      ),
      iv: base64url(64),
      ciphertext: base64url(limits.maxCiphertext),
      tag: base64url(64),
      aad: Type.Optional(base64url(8_192)),
      recipients: Type.Array(
        Type.Object(
          {
            header: Type.Object(
              { kid: Type.String({ minLength: 1, maxLength: 128 }) },
              { additionalProperties: true, maxProperties: 16 },
            ),
            encrypted_key: base64url(1_024),
          },
          Closed,
        ),
        { minItems: 1, maxItems: limits.maxRecipients },
      ),
    },
    { ...Closed, description: 'General JSON JWE (RFC 7516 §7.2.1), never decrypted by the server' },
  );
}

/** Team keys go to every member of an epoch and the recovery key (ADR 0008: up to 1,000 members). */
export const TeamKeyJweSchema = generalJweSchema({ maxRecipients: 1_001, maxCiphertext: 4_096 });
/** Data keys and the pseudonym secret: wrapped to the team epoch and the recovery key. */
export const SmallJweSchema = generalJweSchema({ maxRecipients: 4, maxCiphertext: 4_096 });
/** A device's pseudonym table, sealed for staff (to the team epoch and the recovery key). */
export const PseudonymTableJweSchema = generalJweSchema({
  maxRecipients: 4,
  maxCiphertext: 1_000_000,
});

/** Request body limits of the uploads above, in bytes (the listeners' default is 64 KiB). */
export const BODY_LIMITS = {
  teamKey: 1024 * 1024,
  manifest: 512 * 1024,
  pseudonymTable: 1536 * 1024,
} as const;

export const DATA_KEY_ID_PATTERN = '^dk_[A-Za-z0-9_-]{22}$';
export const DataKeyId = Type.String({ pattern: DATA_KEY_ID_PATTERN, description: '`dk_…` kid' });

export const KeyManifestSchema = Type.Object({
  jws: Type.String({ description: 'The compact JWS the care organisation signed' }),
  signingPublicJwk: P256PublicJwkSchema,
  signingKeyFingerprint: Type.String({
    description:
      'RFC 7638 SHA-256 thumbprint (base64url) of the signing key: the JWS kid; compare it out of band',
  }),
  version: Type.Integer(),
  epoch: Type.Integer(),
});

export const MemberKeySchema = Type.Object({
  userId: Id,
  kid: Type.String({ description: 'RFC 7638 SHA-256 thumbprint of publicJwk' }),
  publicJwk: P256PublicJwkSchema,
  registeredAt: EpochMs,
});

export const DataKeySchema = Type.Object({
  kid: Type.String(),
  epoch: Type.Integer(),
  deviceId: Id,
  jwe: SmallJweSchema,
  createdAt: EpochMs,
});

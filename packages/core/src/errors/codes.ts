/**
 * The registry of every error code Vigil returns, with its HTTP status and a
 * one-line meaning. docs/errors.md is checked against this table by a test, so
 * adding a code here means documenting it there.
 *
 * Codes follow `ERR_<AREA>_<REASON>` and never change meaning once released.
 */
export const ERROR_CODES = {
  // Requests
  ERR_REQUEST_INVALID: { status: 400, title: 'The request does not match the route schema.' },
  ERR_REQUEST_TOO_LARGE: { status: 413, title: 'The request body is larger than allowed.' },
  ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'The request body has a content type this route does not accept.',
  },
  ERR_REQUEST_URI_TOO_LONG: {
    status: 414,
    title: 'A path segment or the URL is longer than allowed.',
  },
  ERR_REQUEST_RATE_LIMITED: { status: 429, title: 'Too many requests; retry later.' },
  ERR_NOT_FOUND: { status: 404, title: 'No such resource, or not visible to the caller.' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'The route does not support this method.' },
  ERR_CONFLICT: { status: 409, title: 'The resource already exists or changed meanwhile.' },
  ERR_INTERNAL: { status: 500, title: 'An unexpected error; quote the request id to support.' },
  ERR_UNAVAILABLE: { status: 503, title: 'The service is starting or shutting down.' },

  // Authentication
  ERR_AUTH_REQUIRED: { status: 401, title: 'Sign in, or present an API token.' },
  ERR_AUTH_INVALID_CREDENTIALS: { status: 401, title: 'The email or password is wrong.' },
  ERR_AUTH_LOCKED: { status: 429, title: 'Too many failed attempts; wait before trying again.' },
  ERR_AUTH_MFA_REQUIRED: { status: 401, title: 'A second factor is required to continue.' },
  ERR_AUTH_MFA_INVALID: { status: 401, title: 'The one-time code is wrong, expired or reused.' },
  ERR_AUTH_MFA_ENROLMENT_REQUIRED: {
    status: 403,
    title: 'This role requires MFA; enrol an authenticator first.',
  },
  ERR_AUTH_MFA_NOT_PENDING: { status: 409, title: 'There is no MFA enrolment to confirm.' },
  ERR_AUTH_MFA_MANDATORY: {
    status: 409,
    title: 'MFA cannot be removed while a role requires it.',
  },
  ERR_AUTH_SESSION_EXPIRED: { status: 401, title: 'The session has expired; sign in again.' },
  ERR_AUTH_CSRF: { status: 403, title: 'Missing or wrong CSRF token.' },
  ERR_AUTH_TOKEN_INVALID: { status: 401, title: 'The API token is unknown, revoked or expired.' },
  ERR_AUTH_TOKEN_SCOPE: { status: 403, title: 'The API token lacks the scope this route needs.' },
  ERR_AUTH_FORBIDDEN: { status: 403, title: 'Your role does not allow this action.' },
  ERR_AUTH_ACCOUNT_DISABLED: { status: 403, title: 'The account is disabled.' },
  ERR_AUTH_ONE_TIME_TOKEN_INVALID: {
    status: 400,
    title: 'The activation or reset token is unknown, used or expired.',
  },

  // Passwords (NIST SP 800-63B)
  ERR_PASSWORD_TOO_SHORT: { status: 422, title: 'The password is shorter than required.' },
  ERR_PASSWORD_TOO_LONG: { status: 422, title: 'The password is longer than accepted.' },
  ERR_PASSWORD_COMMON: {
    status: 422,
    title: 'The password is on the list of common or breached passwords.',
  },
  ERR_PASSWORD_CONTEXT: {
    status: 422,
    title: 'The password contains the account name or email.',
  },

  // First-run setup
  ERR_SETUP_DONE: { status: 409, title: 'Setup has already been completed.' },
  ERR_SETUP_TOKEN_INVALID: { status: 401, title: 'The setup token is wrong, used or expired.' },

  // Organisations and people
  ERR_USER_EXISTS: { status: 409, title: 'A user with this email already exists.' },
  ERR_ROLE_LAST_ADMIN: {
    status: 409,
    title: 'An organisation must keep at least one admin.',
  },

  // Devices: enrolment, identity and the device API
  ERR_ENROLMENT_TOKEN_INVALID: {
    status: 401,
    title: 'The enrolment token is unknown, used up, revoked or expired.',
  },
  ERR_DEVICE_CA_MISSING: {
    status: 409,
    title: 'The organisation has no device CA yet; run `vigil ca init`.',
  },
  ERR_DEVICE_CA_EXISTS: { status: 409, title: 'The organisation already has a device CA.' },
  ERR_DEVICE_UNKNOWN: {
    status: 401,
    title: 'The client certificate does not belong to a registered device.',
  },
  ERR_DEVICE_REVOKED: { status: 403, title: 'The device has been revoked.' },
  ERR_DEVICE_QUARANTINED: {
    status: 403,
    title: 'The device is quarantined: it may only check in and fetch updates.',
  },
  ERR_DEVICE_CERT_SUPERSEDED: {
    status: 401,
    title: 'This device certificate has been replaced by a newer one.',
  },
  ERR_EST_SUBJECT_MISMATCH: {
    status: 400,
    title: "A re-enrolment CSR must keep the current certificate's subject.",
  },
  ERR_ATTESTATION_REQUIRED: {
    status: 403,
    title: 'This device model requires genuine-hardware attestation.',
  },

  // Configuration (start-up; reported by the CLI, not over HTTP)
  ERR_CONFIG_INVALID: { status: 500, title: 'The configuration is invalid.' },
  ERR_TLS_CONFIG: { status: 500, title: 'The TLS certificate or key cannot be used.' },

  // Storage and backups
  ERR_STORE_UNAVAILABLE: { status: 503, title: 'The database cannot be reached.' },
  ERR_STORE_MIGRATION_FAILED: {
    status: 500,
    title: 'The database schema could not be brought up to date (or is newer than this server).',
  },
  ERR_BACKUP_FAILED: { status: 500, title: 'The backup could not be written.' },
  ERR_BACKUP_INVALID: {
    status: 500,
    title: 'The backup is unreadable or fails its integrity check.',
  },
  ERR_BACKUP_TARGET_NOT_EMPTY: {
    status: 500,
    title: 'Restore needs an empty data directory or database.',
  },
  ERR_BACKUP_TARGET_MISMATCH: {
    status: 500,
    title: 'The backup was taken from another engine or PostgreSQL schema than the restore target.',
  },

  // Device PKI (RFC 5280) and EST enrolment requests (RFC 7030)
  ERR_CA_INVALID: {
    status: 500,
    title:
      'The device CA certificate or key cannot be used (unreadable, mismatched, not a CA, expired or of another organisation).',
  },
  ERR_CA_PARAMETERS_INVALID: {
    status: 422,
    title:
      'A certificate, CA or CRL parameter is out of range (device id, validity, dates, names, serial numbers).',
  },
  ERR_CA_PASSPHRASE_WEAK: {
    status: 422,
    title: 'The passphrase protecting a CA key must be at least 15 characters.',
  },
  ERR_CA_PASSPHRASE_WRONG: {
    status: 400,
    title: 'The CA key passphrase is wrong, or the encrypted key is damaged.',
  },
  ERR_CA_CERTIFICATE_INVALID: {
    status: 400,
    title: 'The input is not a readable X.509 certificate.',
  },
  ERR_EST_CSR_INVALID: {
    status: 400,
    title: 'The certificate request is not a readable PKCS#10 CSR of at most 16 KiB.',
  },
  ERR_EST_CSR_SIGNATURE: {
    status: 400,
    title: 'The CSR is not signed by its own key (no proof of possession).',
  },
  ERR_EST_KEY_UNSUPPORTED: {
    status: 400,
    title:
      "The CSR's key or signature algorithm is not accepted (ECDSA P-256/P-384, Ed25519, RSA 2048-8192).",
  },

  // Genuine-hardware attestation (FDA premarket guidance App. 1: authenticity)
  ERR_ATTESTATION_MALFORMED: {
    status: 400,
    title: 'The attestation evidence (certificate chain, nonce or signature) cannot be parsed.',
  },
  ERR_ATTESTATION_UNTRUSTED_CHAIN: {
    status: 403,
    title: 'The hardware certificate chain does not lead to a trusted vendor root.',
  },
  ERR_ATTESTATION_CERT_EXPIRED: {
    status: 403,
    title: 'A certificate of the hardware chain is expired or not yet valid.',
  },
  ERR_ATTESTATION_UNKNOWN_SERIAL: {
    status: 403,
    title: 'The hardware serial number is not in a production-batch manifest.',
  },
  ERR_ATTESTATION_SIGNATURE: {
    status: 403,
    title: 'The nonce signature does not verify with the hardware key.',
  },
  ERR_ATTESTATION_NONCE: {
    status: 403,
    title: 'The attestation nonce is unknown, used or expired.',
  },

  // Data protection (GDPR Art. 4(5) pseudonymisation, team keys, k-of-n recovery; @vigil/protect)
  ERR_PROTECT_PARAMETERS_INVALID: {
    status: 422,
    title:
      'A protection parameter is out of range (secret length, domain, version, epoch, threshold, key).',
  },
  ERR_PROTECT_DECRYPTION_FAILED: {
    status: 400,
    title: 'The JWE is malformed, tampered with, or cannot be opened with this key.',
  },
  ERR_PROTECT_ALGORITHM_REFUSED: {
    status: 400,
    title: 'The JWE uses a key-management or content-encryption algorithm that is not allowed.',
  },
  ERR_PROTECT_NOT_A_RECIPIENT: {
    status: 403,
    title: 'The JWE is not addressed to this key (e.g. a member removed before this epoch).',
  },
  ERR_PROTECT_KEY_MISMATCH: {
    status: 400,
    title: 'The JWE belongs to another organisation, epoch or purpose than expected.',
  },
  ERR_BATCH_MALFORMED: {
    status: 400,
    title: 'The telemetry batch is not a well-formed compact JWE with a valid header and payload.',
  },
  ERR_BATCH_KEY_UNKNOWN: {
    status: 400,
    title: 'The data key named by the batch (kid) is not known to the reader.',
  },
  ERR_BATCH_DECRYPTION_FAILED: {
    status: 400,
    title:
      'The batch cannot be decrypted: wrong data key, or the ciphertext or header was altered.',
  },
  ERR_BATCH_SIGNATURE: {
    status: 400,
    title: "The batch is not signed with ES256 by the device's enrolled key.",
  },
  ERR_BATCH_BINDING: {
    status: 422,
    title:
      'The signed batch disagrees with its header or the expected organisation, device or patient.',
  },
  ERR_BATCH_REPLAYED: {
    status: 409,
    title: "The batch's sequence number is not above the last one accepted from the device.",
  },
  ERR_PSEUDONYM_ID_INVALID: {
    status: 422,
    title: 'The patient identifier is empty or too long after normalisation.',
  },
  ERR_PSEUDONYM_TABLE_INVALID: {
    status: 400,
    title: 'The pseudonym table is malformed, or a pseudonym would map to two patients.',
  },
  ERR_RECOVERY_SHARE_MALFORMED: {
    status: 400,
    title: 'The text is not a vigil-share:v1 recovery share.',
  },
  ERR_RECOVERY_SHARE_CHECKSUM: {
    status: 400,
    title: 'The recovery share checksum does not match (typing or copying error).',
  },
  ERR_RECOVERY_SHARE_DUPLICATE: {
    status: 400,
    title: 'The same recovery share was presented twice.',
  },
  ERR_RECOVERY_SHARES_MIXED: {
    status: 400,
    title: 'The recovery shares come from different splits.',
  },
  ERR_RECOVERY_NOT_ENOUGH_SHARES: {
    status: 400,
    title: 'Fewer recovery shares than the threshold were presented.',
  },
  ERR_RECOVERY_KEY_MISMATCH: {
    status: 400,
    title: "The rebuilt key is not the organisation's recovery key (wrong or tampered shares).",
  },
  // Member keystores (ADR 0011: PBKDF2-SHA256 ≥ 600,000 iterations + AES-256-GCM; CLI and browser)
  ERR_KEYSTORE_MALFORMED: {
    status: 400,
    title: 'The text is not a version 1 vigil-keystore, or its contents are malformed.',
  },
  ERR_KEYSTORE_PASSPHRASE: {
    status: 400,
    title: 'The keystore passphrase is wrong, or the keystore was altered.',
  },
  ERR_KEYSTORE_PASSPHRASE_WEAK: {
    status: 422,
    title: 'A keystore passphrase must be at least 15 characters.',
  },
  ERR_KEYSTORE_KDF_REFUSED: {
    status: 400,
    title:
      'The keystore names a key derivation other than PBKDF2-SHA256 with 600,000 to 10,000,000 iterations.',
  },
  ERR_KEYSTORE_KEY_MISSING: {
    status: 409,
    title: 'The keystore holds no key of the kind this action needs (member or signing key).',
  },
  ERR_KEYSTORE_ORGANISATION: {
    status: 400,
    title: 'The keystore belongs to another organisation than the one named.',
  },
  // FHIR readings (FHIR R4 Observation, vital-signs profile; LOINC codes, UCUM units)
  ERR_FHIR_SCHEMA: {
    status: 422,
    title:
      'The Observation does not conform to the FHIR R4 JSON schema, or lacks a 1..1 element (status).',
  },
  ERR_FHIR_SCHEMA_UNUSABLE: {
    status: 500,
    title: 'The FHIR R4 JSON schema given cannot be compiled (not the official fhir.schema.json?).',
  },
  ERR_FHIR_STATUS: {
    status: 422,
    title: 'The Observation status is not final, amended or corrected.',
  },
  ERR_FHIR_CATEGORY: { status: 422, title: 'The Observation is not in the vital-signs category.' },
  ERR_FHIR_CODE: {
    status: 422,
    title:
      'The Observation does not carry exactly one known vital-sign LOINC code (or components).',
  },
  ERR_FHIR_UNIT: {
    status: 422,
    title: 'The quantity does not use the UCUM unit expected for its LOINC code.',
  },
  ERR_FHIR_VALUE_RANGE: {
    status: 422,
    title: 'The value is missing, not a number, or outside the plausible range for its kind.',
  },
  ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS: {
    status: 422,
    title:
      'The subject is not a Vigil pseudonym, or the Observation has an element that could carry identity.',
  },
  ERR_FHIR_DEVICE: {
    status: 422,
    title: "The Observation does not name the gateway's device as a urn:uuid identifier.",
  },
  ERR_FHIR_EFFECTIVE: {
    status: 422,
    title: 'effectiveDateTime is missing or not a full date-time with a time zone.',
  },

  // Key manifests (the care organisation's signed list of public keys; pinned signing key)
  ERR_MANIFEST_MALFORMED: {
    status: 400,
    title: 'The key manifest is not a well-formed compact JWS with a valid payload.',
  },
  ERR_MANIFEST_ALGORITHM: {
    status: 400,
    title: 'The key manifest is not signed with ES256 (none, HMAC and others are refused).',
  },
  ERR_MANIFEST_UNKNOWN_KEY: {
    status: 403,
    title:
      "The key manifest names a signing key other than the organisation's pinned key, or embeds one.",
  },
  ERR_MANIFEST_SIGNATURE: {
    status: 403,
    title: "The key manifest's signature does not verify with the pinned signing key.",
  },
  ERR_MANIFEST_ORGANISATION: {
    status: 403,
    title: 'The key manifest belongs to another organisation.',
  },
  ERR_MANIFEST_ROLLBACK: {
    status: 409,
    title: 'The key manifest version is not newer than the last one accepted (rollback or replay).',
  },
  ERR_MANIFEST_NOT_YET_VALID: {
    status: 403,
    title: 'The key manifest was issued in the future (beyond the allowed clock skew).',
  },
  ERR_MANIFEST_KEY_INVALID: {
    status: 400,
    title: 'A key in the manifest is not a P-256 ECDH public JWK (private members are refused).',
  },
  ERR_MANIFEST_SIGNING_KEY: {
    status: 500,
    title:
      'The signing key given is not an ECDSA P-256 JWK of the right kind (private to sign, public to pin).',
  },

  // Protected telemetry on the server: ownership, key distribution and ingest (docs/telemetry.md)
  ERR_CARE_ORGANISATION_NOT_SERVED: {
    status: 422,
    title: 'The care organisation named is not one this manufacturer serves.',
  },
  ERR_DEVICE_NOT_ASSIGNED: {
    status: 409,
    title: 'The device reports to no care organisation (its enrolment token named none).',
  },
  ERR_BATCH_TOO_LARGE: {
    status: 413,
    title: 'The telemetry batch is larger than the server accepts.',
  },
  ERR_BATCH_CONFLICT: {
    status: 409,
    title: 'A different batch is already stored under this device and sequence number.',
  },
  ERR_DATA_KEY_UNKNOWN: {
    status: 422,
    title: "The batch's data key (kid) has not been uploaded for the device's care organisation.",
  },
  ERR_DATA_KEY_CONFLICT: {
    status: 409,
    title: 'A different wrapped data key is already stored under this kid.',
  },
  ERR_MANIFEST_NOT_FOUND: {
    status: 404,
    title: 'The care organisation has not published a key manifest yet.',
  },
  ERR_WRAPPED_KEY_MALFORMED: {
    status: 400,
    title:
      'The upload is not a JWE of the expected form (serialization, typ, algorithms, organisation, epoch, size).',
  },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

import { AgentError } from '../errors.js';

/**
 * Everything the agent needs to act as its device after a restart. The private
 * key is here in clear PKCS#8: encrypting it at rest is the storage adapter's
 * job, and the adapter is the only code that writes it anywhere.
 */
export interface StoredIdentity {
  /** The device id the server assigned (the `urn:uuid:` in the certificate's subjectAltName). */
  readonly deviceId: string;
  /** The manufacturer organisation, when known; also the EST label (RFC 7030 §3.2.2). */
  readonly organisationId?: string;
  /** The device's private key, PKCS#8 PEM. Generated on this gateway; never sent. */
  readonly keyPkcs8Pem: string;
  /** The device certificate, PEM. */
  readonly certificatePem: string;
  /** The issuing and root device CA certificates from EST `cacerts`, PEM. */
  readonly caChainPem: string;
  /** The server's TLS trust anchor, PEM, pinned by the default transport. */
  readonly serverTrustPem?: string;
  /** The enrolment listener, e.g. `https://vigil.example:8443`. */
  readonly enrolUrl: string;
  /** The device (mutual TLS) listener, e.g. `https://vigil.example:8444`. */
  readonly deviceUrl: string;
  /** When the device enrolled, epoch ms (agent clock). */
  readonly enrolledAt: number;
  /** When the certificate was last renewed, epoch ms (agent clock). */
  readonly renewedAt?: number;
}

/**
 * Where the identity lives between runs. One method to read, one to replace —
 * `save` must be atomic: after a crash at any point, `load` returns either the
 * old identity or the new one, never a new key with an old certificate.
 *
 * Production gateways should prefer an adapter over a hardware keystore
 * (Android Keystore, iOS Secure Enclave, a TPM or secure element) that wraps
 * the stored key with a key that never leaves the hardware; `FileStorage` is
 * the portable fallback.
 *
 * @example
 * class KeychainStorage implements AgentStorage {
 *   async load() { return parseStoredIdentity(JSON.parse(await keychain.get('vigil'))); }
 *   async save(identity) { await keychain.set('vigil', JSON.stringify(identity)); }
 * }
 */
export interface AgentStorage {
  /** The stored identity, or null when the gateway has not enrolled. */
  load(): Promise<StoredIdentity | null>;
  /** Replaces the stored identity atomically. */
  save(identity: StoredIdentity): Promise<void>;
  /**
   * Reads a small named record kept beside the identity (text, usually JSON;
   * `telemetry` holds the pinned manifest key and the sealed pseudonym table),
   * or null when there is none. Optional: only features that keep state need
   * it, and they refuse a storage without it (`ERR_AGENT_INVALID_OPTIONS`).
   * Names match {@link RECORD_NAME}.
   */
  loadRecord?(name: string): Promise<string | null>;
  /** Replaces a named record atomically: after a crash, the old content or the new. */
  saveRecord?(name: string, content: string): Promise<void>;
}

/** What a record name may be: lower-case letters, digits and "-", 1–32, starting with a letter. */
export const RECORD_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Refuses a record name that could escape the storage's namespace (`ERR_AGENT_INVALID_OPTIONS`). */
export function checkRecordName(name: string): void {
  if (!RECORD_NAME.test(name)) {
    throw new AgentError('ERR_AGENT_INVALID_OPTIONS', `"${name}" is not a record name.`);
  }
}

/**
 * Checks a value read back from storage (JSON, a keychain) and returns it typed,
 * or throws `ERR_AGENT_STORAGE_CORRUPT`. Unknown fields are dropped.
 *
 * @example
 * const identity = parseStoredIdentity(JSON.parse(text));
 */
export function parseStoredIdentity(value: unknown): StoredIdentity {
  if (typeof value !== 'object' || value === null) throw corrupt('not an object');
  const record = value as Record<string, unknown>;
  const text = (field: keyof StoredIdentity): string => {
    const v = record[field];
    if (typeof v !== 'string' || v.length === 0) throw corrupt(`${field} is missing`);
    return v;
  };
  const optional = <T>(field: keyof StoredIdentity, read: (f: keyof StoredIdentity) => T) =>
    record[field] === undefined ? {} : { [field]: read(field) };
  const time = (field: keyof StoredIdentity): number => {
    const v = record[field];
    if (!isTime(v)) throw corrupt(`${field} is not a time`);
    return v;
  };
  return {
    deviceId: text('deviceId'),
    keyPkcs8Pem: text('keyPkcs8Pem'),
    certificatePem: text('certificatePem'),
    caChainPem: text('caChainPem'),
    enrolUrl: text('enrolUrl'),
    deviceUrl: text('deviceUrl'),
    enrolledAt: time('enrolledAt'),
    ...optional('organisationId', text),
    ...optional('serverTrustPem', text),
    ...optional('renewedAt', time),
  };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function corrupt(reason: string): AgentError {
  return new AgentError('ERR_AGENT_STORAGE_CORRUPT', `The stored identity is invalid: ${reason}.`);
}

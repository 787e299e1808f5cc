import { base32Encode } from '@vigil/core/encoding';
import { VigilError } from '@vigil/core/errors';
import type { CryptoKey } from 'jose';
import { bufferSource } from './buffer-source.js';

/**
 * Keyed pseudonyms for patients. GDPR Art. 4(5): pseudonymised data can no longer
 * be attributed to a person "without the use of additional information", which
 * must be "kept separately" — here that information is the organisation secret
 * (on the gateway) and the pseudonym table (see PseudonymTable). ISO 25237:2017
 * and EDPB Guidelines 01/2025 recommend a keyed one-way function (HMAC) per
 * pseudonymisation domain, which is what this file implements.
 */

/** RFC 5869 §3.1: a fixed, application-specific salt. */
const HKDF_SALT = new TextEncoder().encode('vigil/pseudonym');
/** 20 bytes = 160 bits: 32 base32 characters, collision-free for any realistic cohort. */
const PSEUDONYM_BYTES = 20;
const MIN_SECRET_BYTES = 32;
const MAX_ID_LENGTH = 256;
const DOMAIN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Derives the HMAC-SHA256 key of one pseudonymisation domain and version with
 * HKDF-SHA256 (RFC 5869): salt "vigil/pseudonym", info "vigil/pseudonym/<domain>/v<version>".
 * Different domains or versions give unrelated keys (ISO 25237 domain separation);
 * different organisations have different secrets, so their pseudonyms are unlinkable.
 * The key is non-extractable.
 *
 * @example
 * const key = await derivePseudonymKey(orgSecret, 'telemetry', 1);
 * const pseudonym = await pseudonymFor(key, 1, 'MRN 0042'); // "p1_…"
 */
export async function derivePseudonymKey(
  organisationSecret: Uint8Array,
  domain: string,
  version: number,
): Promise<CryptoKey> {
  if (
    !(organisationSecret instanceof Uint8Array) ||
    organisationSecret.byteLength < MIN_SECRET_BYTES
  ) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      `The organisation secret must be at least ${MIN_SECRET_BYTES} bytes.`,
    );
  }
  // The domain is part of the HKDF info; refusing "/" keeps that string unambiguous.
  if (!DOMAIN.test(domain)) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'A pseudonymisation domain is 1–64 characters of a-z, 0-9, ".", "_" and "-".',
    );
  }
  checkVersion(version);
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', bufferSource(organisationSecret), 'HKDF', false, [
    'deriveKey',
  ]);
  return subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: HKDF_SALT,
      info: new TextEncoder().encode(`vigil/pseudonym/${domain}/v${version}`),
    },
    base,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign'],
  );
}

/**
 * Normalises a patient identifier so that the same patient always gets the same
 * pseudonym however the identifier was typed: Unicode NFKC (full-width digits and
 * ligatures become ASCII), leading/trailing whitespace removed, inner runs of
 * whitespace collapsed to one space, then upper-cased (locale-independent).
 * "  mrn\u00a0 0042 " and "MRN 0042" are the same patient.
 *
 * @example
 * normalisePatientId('  mrn 0042 '); // "MRN 0042"
 */
export function normalisePatientId(id: string): string {
  const normalised =
    typeof id === 'string' ? id.normalize('NFKC').trim().replace(/\s+/gu, ' ').toUpperCase() : '';
  if (normalised.length === 0 || normalised.length > MAX_ID_LENGTH) {
    throw new VigilError(
      'ERR_PSEUDONYM_ID_INVALID',
      `A patient identifier must have 1–${MAX_ID_LENGTH} characters after normalisation.`,
    );
  }
  return normalised;
}

/**
 * The pseudonym of a patient: `p<version>_` followed by the RFC 4648 base32
 * (lower-case, unpadded) of the first 20 bytes of HMAC-SHA256(key, normalised id).
 * The version prefix lets a gateway tell which key version made a pseudonym.
 *
 * @example
 * await pseudonymFor(key, 1, '  mrn 0042 '); // "p1_" + 32 characters of [a-z2-7]
 */
export async function pseudonymFor(
  key: CryptoKey,
  version: number,
  patientId: string,
): Promise<string> {
  checkVersion(version);
  const message = new TextEncoder().encode(normalisePatientId(patientId));
  const mac = await globalThis.crypto.subtle.sign('HMAC', key, message);
  const truncated = new Uint8Array(mac, 0, PSEUDONYM_BYTES);
  return `p${version}_${base32Encode(truncated).toLowerCase()}`;
}

function checkVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new VigilError(
      'ERR_PROTECT_PARAMETERS_INVALID',
      'A pseudonym version is an integer ≥ 1.',
    );
  }
}

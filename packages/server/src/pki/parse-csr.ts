import { createHash } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { VigilError, isVigilError } from '@vigil/core';
import { type KeyAlgorithm, acceptKey, verifyProofOfPossession } from './csr-key-policy.js';
import { MAX_CSR_BYTES, derFromInput, untrustedParseOptions } from './der-input.js';
import {
  OID,
  attributeValues,
  formatRfc4514,
  isPrintableSerialNumber,
} from './distinguished-name.js';

/** A PKCS#10 request whose self-signature verified and whose key is on the allow-list. */
export interface ParsedCsr {
  /** The subject as RFC 4514 text, e.g. `CN=gw,serialNumber=SN-0001`. */
  readonly subject: string;
  /** The subject's serialNumber attribute (2.5.4.5): the device's hardware serial. */
  readonly subjectSerialNumber: string | null;
  readonly commonName: string | null;
  /** The SubjectPublicKeyInfo (DER) that the certificate will carry. */
  readonly publicKeySpkiDer: Uint8Array;
  /** SHA-256 of `publicKeySpkiDer`, lower-case hex. */
  readonly publicKeyFingerprintSha256: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** The CSR as received, DER. */
  readonly der: Uint8Array;
}

/** RFC 7468 §7 label, and the legacy one some tools still write. */
const CSR_PEM_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'] as const;

/**
 * Reads an EST enrolment request (RFC 7030 §4.2.1: a PKCS#10 CSR, RFC 2986)
 * given as PEM, as the base64 body of `application/pkcs10` (line breaks and
 * whitespace anywhere), or as DER bytes; at most 16 KiB. Checks the key type
 * and the proof of possession.
 *
 * Throws only VigilError: ERR_EST_CSR_INVALID (unreadable, too large, not DER,
 * or an unusable serialNumber/CN), ERR_EST_KEY_UNSUPPORTED (key or signature
 * algorithm not accepted), ERR_EST_CSR_SIGNATURE (signature does not verify).
 *
 * @example
 * const csr = await parseCsr(requestBody); // Buffer of `application/pkcs10`
 * console.log(csr.subjectSerialNumber, csr.keyAlgorithm); // 'SN-0001' 'ECDSA-P256'
 */
export async function parseCsr(input: string | Uint8Array): Promise<ParsedCsr> {
  try {
    return readCsr(input);
  } catch (cause) {
    if (isVigilError(cause)) throw cause;
    // A parser bug or a corner asn1js does not expect: still the caller's input.
    throw new VigilError('ERR_EST_CSR_INVALID', 'The CSR cannot be read.', { cause });
  }
}

function readCsr(input: string | Uint8Array): ParsedCsr {
  const der = derFromInput(input, CSR_PEM_LABELS, MAX_CSR_BYTES, 'ERR_EST_CSR_INVALID');
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(der, CertificationRequest, untrustedParseOptions(MAX_CSR_BYTES));
  } catch (cause) {
    throw new VigilError('ERR_EST_CSR_INVALID', 'The input is not a PKCS#10 CSR.', { cause });
  }
  const info = csr.certificationRequestInfo;
  const signedBytes = csr.certificationRequestInfoRaw;
  // RFC 2986 §4.1: version is v1(0), the only one there is.
  if (info.version !== 0 || signedBytes === undefined) {
    throw new VigilError('ERR_EST_CSR_INVALID', 'The CSR version is not v1.');
  }

  // The key first: a refused key type is the more useful answer than a signature
  // we would not accept anyway.
  const key = acceptKey(info.subjectPKInfo);
  verifyProofOfPossession(key, csr.signatureAlgorithm, signedBytes, csr.signature);

  const subjectSerialNumber = single(
    attributeValues(info.subject, OID.serialNumber),
    'serialNumber',
  );
  if (subjectSerialNumber !== null && !isPrintableSerialNumber(subjectSerialNumber)) {
    throw new VigilError(
      'ERR_EST_CSR_INVALID',
      'The subject serialNumber must be 1 to 64 PrintableString characters (X.520).',
    );
  }
  return {
    subject: formatRfc4514(info.subject),
    subjectSerialNumber,
    commonName: single(attributeValues(info.subject, OID.commonName), 'CN'),
    publicKeySpkiDer: key.spkiDer,
    publicKeyFingerprintSha256: createHash('sha256').update(key.spkiDer).digest('hex'),
    keyAlgorithm: key.algorithm,
    der,
  };
}

/** One attribute value, null when absent; several, or one without text, is refused. */
function single(values: (string | null)[], label: string): string | null {
  const [only] = values;
  if (only === undefined) return null;
  if (values.length > 1 || only === null) {
    throw new VigilError(
      'ERR_EST_CSR_INVALID',
      `The subject must have at most one text ${label} attribute.`,
    );
  }
  return only;
}

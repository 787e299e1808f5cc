import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectAlternativeName, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { VigilError, isVigilError } from '@vigil/core';
import { MAX_CERTIFICATE_BYTES, derFromInput, untrustedParseOptions } from './der-input.js';
import { formatRfc4514 } from './distinguished-name.js';
import { serialNumberText } from './serial-number.js';

/** What a caller stores or logs about a certificate. */
export interface CertificateFacts {
  /** Canonical serial text: lower-case hex, no leading 00 octet (see serial-number.ts). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, lower-case hex without separators. */
  readonly fingerprintSha256: string;
  /** RFC 4514 text, as `ParsedCsr.subject`. */
  readonly subject: string;
  readonly issuer: string;
}

/** A certificate read from PEM or DER, with the DER it came from. */
export interface ReadCertificate {
  readonly der: Uint8Array;
  readonly asn: Certificate;
}

/**
 * Reads one X.509 certificate (PEM text or DER bytes, at most 64 KiB). Throws
 * ERR_CA_CERTIFICATE_INVALID, and nothing else, for anything that is not one.
 */
export function readCertificate(input: string | Uint8Array): ReadCertificate {
  try {
    const der = derFromInput(
      input,
      ['CERTIFICATE'],
      MAX_CERTIFICATE_BYTES,
      'ERR_CA_CERTIFICATE_INVALID',
    );
    const asn = AsnConvert.parse(der, Certificate, untrustedParseOptions(MAX_CERTIFICATE_BYTES));
    return { der, asn };
  } catch (cause) {
    if (isVigilError(cause)) throw cause;
    throw new VigilError('ERR_CA_CERTIFICATE_INVALID', 'The input is not an X.509 certificate.', {
      cause,
    });
  }
}

/**
 * Serial, validity, fingerprint and names of a certificate (PEM or DER).
 * Throws ERR_CA_CERTIFICATE_INVALID when it cannot be read.
 *
 * @example
 * const { serialNumber, notAfter } = certificateFacts(peerCertificate.raw);
 */
export function certificateFacts(certificate: string | Uint8Array): CertificateFacts {
  const { der, asn } = readCertificate(certificate);
  const tbs = asn.tbsCertificate;
  return {
    serialNumber: serialNumberText(tbs.serialNumber),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    subject: formatRfc4514(tbs.subject),
    issuer: formatRfc4514(tbs.issuer),
  };
}

const DEVICE_URN = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * The device id of a device certificate (PEM or DER): the UUID of its
 * `urn:uuid:` subjectAltName URI, in lower case. Null when the certificate
 * cannot be read, has no such URI, or has two different ones — never a guess.
 * It does not verify the certificate: call it on a peer certificate that the
 * TLS handshake has already verified.
 *
 * @example
 * const deviceId = deviceIdOf(socket.getPeerCertificate().raw);
 */
export function deviceIdOf(certificate: string | Uint8Array): string | null {
  try {
    const extensions = readCertificate(certificate).asn.tbsCertificate.extensions ?? [];
    // RFC 5280 §4.2: an extension appears at most once.
    const [san, ...more] = extensions.filter((e) => e.extnID === id_ce_subjectAltName);
    if (san === undefined || more.length > 0) return null;
    const ids = new Set<string>();
    for (const name of AsnConvert.parse(san.extnValue, SubjectAlternativeName)) {
      const match = DEVICE_URN.exec(name.uniformResourceIdentifier ?? '');
      if (match?.[1] !== undefined) ids.add(match[1].toLowerCase());
    }
    const [only] = ids;
    return ids.size === 1 && only !== undefined ? only : null;
  } catch {
    return null; // unreadable is "no device id", by contract
  }
}

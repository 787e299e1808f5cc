import { createHash } from 'node:crypto';
import { VigilError } from '@vigil/core';
import { x509 } from '../tls/x509-provider.js';
import { type CaMaterial, CLOCK_SKEW_MS, assertDate, loadCa } from './ca-material.js';
import { acceptSpkiDer } from './csr-key-policy.js';
import { OID, isPrintableSerialNumber } from './distinguished-name.js';
import type { ParsedCsr } from './parse-csr.js';
import { randomSerialNumber, serialNumberText } from './serial-number.js';

/** A device certificate, and the facts a caller stores about it. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly certDer: Uint8Array;
  /** Canonical serial text: lower-case hex, 32 digits (see serial-number.ts). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER, lower-case hex without separators. */
  readonly fingerprintSha256: string;
}

export interface DeviceCertificateInput {
  /** The device's UUID (RFC 4122 text form, any case; written in lower case). */
  readonly deviceId: string;
  /** Must be the issuing CA's organisation (the OU of its subject). */
  readonly organisationId: string;
  /** Whole days, 1–825. */
  readonly validityDays: number;
  readonly now: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_VALIDITY_DAYS = 825;
const DAY_MS = 86_400_000;

/**
 * Issues a TLS client certificate for a device from its verified CSR, signed by
 * the issuing CA (ecdsa-with-SHA256). Only the CSR's key and hardware serial
 * are used: the CA, not the device, decides names and extensions.
 *
 * Throws ERR_CA_PARAMETERS_INVALID (device id, validity, date), ERR_CA_INVALID
 * (the issuing CA is unusable, expired or of another organisation),
 * ERR_EST_KEY_UNSUPPORTED / ERR_EST_CSR_INVALID (the CSR's key or serial).
 *
 * @example
 * const csr = await parseCsr(body);
 * const cert = await issueDeviceCertificate(issuing, csr, { deviceId, organisationId, validityDays: 90, now });
 * reply.send(toEstBase64(certsOnlyPkcs7([cert.certDer])));
 */
export async function issueDeviceCertificate(
  issuing: CaMaterial,
  csr: ParsedCsr,
  input: DeviceCertificateInput,
): Promise<IssuedCertificate> {
  const { deviceId, validityDays, now } = input;
  if (typeof deviceId !== 'string' || !UUID.test(deviceId)) {
    throw new VigilError('ERR_CA_PARAMETERS_INVALID', 'The device id must be a UUID.');
  }
  // CA/Browser Forum's former 825-day ceiling: devices renew well before it.
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
    throw new VigilError('ERR_CA_PARAMETERS_INVALID', 'validityDays must be 1 to 825.');
  }
  assertDate(now, 'now');
  const serial = csr.subjectSerialNumber;
  if (serial !== null && !isPrintableSerialNumber(serial)) {
    throw new VigilError('ERR_EST_CSR_INVALID', 'The hardware serial is not a PrintableString.');
  }
  // ParsedCsr is a plain object; re-check its key rather than trust whoever built it.
  const key = acceptSpkiDer(csr.publicKeySpkiDer);

  const ca = await loadCa(issuing, now);
  if (ca.organisationId !== input.organisationId) {
    throw new VigilError('ERR_CA_INVALID', 'The issuing CA belongs to another organisation.');
  }
  // Only the issuing CA (pathLen 0) signs devices: a root here would mean its key is online.
  if (ca.pathLength !== 0) {
    throw new VigilError(
      'ERR_CA_INVALID',
      'Devices are certified by the issuing CA, not the root.',
    );
  }
  const caSpki = new Uint8Array(ca.cert.publicKey.rawData);
  if (Buffer.from(caSpki).equals(Buffer.from(key.spkiDer))) {
    throw new VigilError('ERR_EST_KEY_UNSUPPORTED', 'The CA key cannot be certified for a device.');
  }

  const id = deviceId.toLowerCase(); // RFC 4122 §3: lower case on output
  const publicKey = new x509.PublicKey(key.spkiDer);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    // RFC 4514 text: CN=<device id>[,serialNumber=<hardware serial>]. The CN is a
    // label only; relying parties take the id from the SAN below.
    subject: new x509.Name([
      ...(serial === null ? [] : [{ [OID.serialNumber]: [{ printableString: serial }] }]),
      { [OID.commonName]: [{ utf8String: id }] },
    ]),
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    // A certificate cannot be verified past its issuer's notAfter (RFC 5280 §6.1.3 (a)(2)).
    notAfter: new Date(Math.min(now.getTime() + validityDays * DAY_MS, ca.cert.notAfter.getTime())),
    signingAlgorithm: ca.signingAlgorithm,
    publicKey,
    signingKey: ca.signingKey,
    extensions: [
      // RFC 5280 §4.2.1.9: critical, and not a CA.
      new x509.BasicConstraintsExtension(false, undefined, true),
      // The key signs TLS handshakes only: every suite Vigil allows is ECDHE
      // (ADR 0004), so no keyEncipherment/keyAgreement (RFC 5280 §4.2.1.3).
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      // RFC 5280 §4.2.1.12: TLS client authentication only.
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      // RFC 5280 §4.2.1.6 uniformResourceIdentifier holding the RFC 4122 §3
      // URN; non-critical because the subject is not empty.
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `urn:uuid:${id}` }], false),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      new x509.AuthorityKeyIdentifierExtension(ca.keyIdentifier),
    ],
  });
  const certDer = new Uint8Array(cert.rawData);
  return {
    certPem: `${cert.toString('pem')}\n`,
    certDer,
    serialNumber: serialNumberText(Buffer.from(cert.serialNumber, 'hex')),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprintSha256: createHash('sha256').update(certDer).digest('hex'),
  };
}

/**
 * The device PKI: per-organisation root and issuing CAs, EST (RFC 7030)
 * enrolment of devices from PKCS#10 requests, CRLs, and reading device
 * certificates back. Pure functions of their inputs and a reference time: no
 * HTTP, no database, no files — callers persist. See README.md in this folder.
 */
export type { CaMaterial } from './ca-material.js';
export { createIssuingCa, createRootCa, type DeviceCaInput } from './device-ca.js';
export {
  MIN_CA_PASSPHRASE_LENGTH,
  decryptPrivateKeyPem,
  encryptPrivateKeyPem,
} from './ca-key-encryption.js';
export { MAX_CSR_BYTES } from './der-input.js';
export { parseCsr, type ParsedCsr } from './parse-csr.js';
export type { KeyAlgorithm } from './csr-key-policy.js';
export {
  issueDeviceCertificate,
  type DeviceCertificateInput,
  type IssuedCertificate,
} from './device-certificate.js';
export { certsOnlyPkcs7, toEstBase64 } from './certs-only-pkcs7.js';
export { createCrl, type CrlInput, type RevocationReason, type RevokedCertificate } from './crl.js';
export { certificateFacts, deviceIdOf, type CertificateFacts } from './certificate-facts.js';

import { VigilError } from '@vigil/core';
import { type AttestationCertificate, parseCertificatesPem } from './attestation-certificate.js';
import { attestationMessage, decodeBase64Url, decodeNonce } from './attestation-message.js';
import { findTrustedPath } from './certificate-path.js';
import { hardwareSerialOf } from './hardware-serial.js';
import { MAX_SIGNATURE_BYTES, nonceKeyProblem, verifyNonceSignature } from './nonce-signature.js';

/**
 * Genuine-hardware attestation: the device's secure element proves it is a chip
 * its vendor made and the manufacturer fitted (FDA premarket cybersecurity
 * guidance App. 1, "authenticity"; supply-chain controls: "verify that all
 * physical chips are genuine"). Pure: the caller issues and consumes nonces and
 * loads vendor roots and batch manifests per device model.
 */

/** A secure element's chain is leaf, signer CA, perhaps one more CA: 5 leaves room, not abuse. */
export const MAX_CHAIN_CERTIFICATES = 5;
/** 32 KiB of PEM: five certificates of ~1 KiB PEM each, with generous room for comments. */
export const MAX_CHAIN_PEM_BYTES = 32 * 1024;

export interface AttestationEvidence {
  /** The element's certificate chain, leaf first, PEM (one string may hold several PEM blocks), as presented by the device. */
  readonly chainPem: string;
  readonly nonce: string;
  /** ECDSA signature over attestationMessage() by the leaf certificate's key: IEEE P1363 (r||s, 64 bytes for P-256) as secure elements output, base64url. DER-encoded ECDSA signatures are accepted too. */
  readonly signature: string;
}

export interface AttestationPolicy {
  /** Trusted hardware-vendor roots (PEM) configured for this device model. */
  readonly trustedRootsPem: readonly string[];
  /**
   * Serial numbers allowed by the production-batch manifests of this model, in
   * normal form (normaliseHardwareSerial / hardwareSerialAllowList). The leaf's
   * serial is its subject serialNumber (2.5.4.5) if present, else its CN, with
   * white space removed, upper-cased, and a Trust&GO `sn` prefix dropped.
   */
  readonly allowedSerials: ReadonlySet<string>;
}

export interface VerifiedAttestation {
  readonly hardwareSerial: string;
  /** SHA-256 of the leaf certificate's DER, `AB:CD:…`. */
  readonly leafFingerprintSha256: string;
  /** SHA-256 of the vendor root that anchors the path, `AB:CD:…`. */
  readonly vendorRootFingerprintSha256: string;
}

/**
 * Verifies attestation evidence against a device model's policy, in this order:
 * evidence parses (ERR_ATTESTATION_MALFORMED) → the chain leads to a trusted
 * vendor root with valid signatures and CA constraints (ERR_ATTESTATION_UNTRUSTED_CHAIN)
 * and every certificate of it is valid at `now` (ERR_ATTESTATION_CERT_EXPIRED) →
 * the serial is in a batch manifest (ERR_ATTESTATION_UNKNOWN_SERIAL) → the leaf key
 * signed attestationMessage(nonce, enrolment key) (ERR_ATTESTATION_SIGNATURE).
 * The caller must already have consumed the nonce (ERR_ATTESTATION_NONCE).
 * A policy whose roots cannot be read throws ERR_CONFIG_INVALID, an invalid `now`
 * ERR_INTERNAL. Throws only VigilError.
 *
 * @example
 * await nonces.consume(evidence.nonce, now); // throws ERR_ATTESTATION_NONCE
 * const { hardwareSerial } = await verifyAttestation(evidence, modelPolicy, csrSpkiDer, now);
 */
export async function verifyAttestation(
  evidence: AttestationEvidence,
  policy: AttestationPolicy,
  enrolmentKeySpkiDer: Uint8Array,
  now: Date,
): Promise<VerifiedAttestation> {
  if (Number.isNaN(now.getTime())) {
    // A caller bug, never a device's fault, and never a reason to skip the date checks.
    throw new VigilError('ERR_INTERNAL', 'verifyAttestation was given an invalid reference time.');
  }
  const roots = readTrustedRoots(policy.trustedRootsPem);
  const { chain, signature } = parseEvidence(evidence);
  const message = attestationMessage(evidence.nonce, enrolmentKeySpkiDer);

  const path = findTrustedPath(chain, roots, now);
  const leaf = path[0];
  const root = path[path.length - 1] ?? leaf;

  const hardwareSerial = hardwareSerialOf(leaf.parsed);
  if (!policy.allowedSerials.has(hardwareSerial)) {
    throw new VigilError(
      'ERR_ATTESTATION_UNKNOWN_SERIAL',
      `The hardware serial ${hardwareSerial} is not in a production-batch manifest of this model.`,
      { details: { hardwareSerial } },
    );
  }

  const leafKey = leaf.openssl.publicKey;
  if (!verifyNonceSignature(leafKey, message, signature)) {
    const keyProblem = nonceKeyProblem(leafKey);
    throw new VigilError(
      'ERR_ATTESTATION_SIGNATURE',
      keyProblem === undefined
        ? 'The attestation signature does not verify with the hardware key.'
        : `The attestation signature cannot be checked: ${keyProblem}.`,
    );
  }
  return {
    hardwareSerial,
    leafFingerprintSha256: leaf.fingerprintSha256,
    vendorRootFingerprintSha256: root.fingerprintSha256,
  };
}

/** Syntax only: sizes, PEM, base64url. Every later check has its own code. */
function parseEvidence(evidence: AttestationEvidence): {
  chain: AttestationCertificate[];
  signature: Buffer;
} {
  // Typed, but it came off the wire: check the shapes again before trusting them.
  const fields: Partial<Record<keyof AttestationEvidence, unknown>> = evidence;
  const { chainPem, nonce, signature } = fields;
  const malformed = (why: string): VigilError =>
    new VigilError('ERR_ATTESTATION_MALFORMED', `The attestation evidence ${why}.`);
  if (typeof chainPem !== 'string') throw malformed('has no chainPem text');
  if (Buffer.byteLength(chainPem, 'utf8') > MAX_CHAIN_PEM_BYTES) {
    throw malformed(`has a chain longer than ${MAX_CHAIN_PEM_BYTES} bytes`);
  }
  const chain = parseCertificatesPem(chainPem, MAX_CHAIN_CERTIFICATES, 'ERR_ATTESTATION_MALFORMED');
  decodeNonce(nonce);
  const bytes = typeof signature === 'string' ? decodeBase64Url(signature) : null;
  if (bytes === null || bytes.length === 0 || bytes.length > MAX_SIGNATURE_BYTES) {
    throw malformed(`has a signature that is not 1–${MAX_SIGNATURE_BYTES} bytes of base64url`);
  }
  return { chain, signature: bytes };
}

/** The model's vendor roots. Unreadable or absent roots are the server's misconfiguration, not the device's fault. */
function readTrustedRoots(trustedRootsPem: readonly string[]): AttestationCertificate[] {
  const roots = trustedRootsPem.flatMap((pem) =>
    parseCertificatesPem(pem, Number.MAX_SAFE_INTEGER, 'ERR_CONFIG_INVALID'),
  );
  if (roots.length === 0) {
    throw new VigilError(
      'ERR_CONFIG_INVALID',
      'The attestation policy of this device model has no trusted vendor root.',
    );
  }
  return roots;
}

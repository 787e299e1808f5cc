import { type KeyObject, X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { VigilError } from '@vigil/core';
import { x509 } from '../tls/x509-provider.js';
import { OID } from './distinguished-name.js';

/**
 * A CA as the device PKI passes it around, and loading one for signing. Every
 * function that signs goes through `loadCa`, so a CA certificate that is not a
 * CA, has the wrong key, or is outside its validity never signs anything.
 */

/** A CA certificate and its private key. */
export interface CaMaterial {
  /** The CA certificate, PEM. */
  readonly certPem: string;
  /** PKCS#8 PEM, unencrypted: held only in memory (see `encryptPrivateKeyPem`). */
  readonly keyPem: string;
}

export type CaCurve = 'P-256' | 'P-384';

/** A CA ready to sign. */
export interface LoadedCa {
  readonly cert: x509.X509Certificate;
  /** For @peculiar/x509's certificate generator. */
  readonly signingKey: webcrypto.CryptoKey;
  /** For what this module encodes itself (CRLs): node signs ECDSA in DER form. */
  readonly privateKey: KeyObject;
  /** ECDSA with the hash that matches the curve's strength (RFC 5480 §4). */
  readonly signingAlgorithm: CaSigningAlgorithm;
  /** The CA's subjectKeyIdentifier, hex: the authorityKeyIdentifier of what it signs. */
  readonly keyIdentifier: string;
  /** The organisation id, from the subject's OU. */
  readonly organisationId: string | null;
  /** pathLenConstraint; undefined when unlimited. */
  readonly pathLength: number | undefined;
}

export interface CaSigningAlgorithm {
  readonly name: 'ECDSA';
  readonly hash: 'SHA-256' | 'SHA-384';
}

/** Devices and servers disagree on the time by a few minutes; certificates start that early. */
export const CLOCK_SKEW_MS = 5 * 60_000;

const NODE_CURVES: Readonly<Record<string, CaCurve>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
};

/** RFC 5480 §4: P-256 pairs with SHA-256, P-384 with SHA-384. */
export function signingAlgorithmFor(curve: CaCurve): CaSigningAlgorithm {
  return { name: 'ECDSA', hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256' };
}

/**
 * Checks that `material` is a usable CA at `at` and imports its key for signing.
 * Throws ERR_CA_INVALID when it is not.
 */
export async function loadCa(material: CaMaterial, at: Date): Promise<LoadedCa> {
  const invalid = (why: string, cause?: unknown): VigilError =>
    new VigilError('ERR_CA_INVALID', `The CA ${why}.`, { cause });
  let nodeCert: X509Certificate;
  let key: KeyObject;
  let cert: x509.X509Certificate;
  try {
    nodeCert = new X509Certificate(material.certPem);
    key = createPrivateKey({ key: material.keyPem, format: 'pem' });
    cert = new x509.X509Certificate(nodeCert.raw);
  } catch (cause) {
    throw invalid('certificate or key cannot be read (is the key still encrypted?)', cause);
  }
  const curve = NODE_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (key.asymmetricKeyType !== 'ec' || curve === undefined)
    throw invalid('key is not P-256/P-384');
  if (!nodeCert.checkPrivateKey(key)) throw invalid('key does not match its certificate');

  // RFC 5280 §4.2.1.9 and §4.2.1.3: a CA certificate says so, and may sign
  // certificates and CRLs.
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  const required = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
  if (basic?.ca !== true) throw invalid('certificate is not a CA certificate');
  if (usage === null || (usage.usages & required) !== required) {
    throw invalid('certificate may not sign certificates and CRLs');
  }
  // RFC 5280 §4.2.1.2: CA certificates MUST carry a subjectKeyIdentifier.
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski === null) throw invalid('certificate has no subjectKeyIdentifier');
  if (at < cert.notBefore || at > cert.notAfter) {
    throw invalid(`certificate is not valid on ${at.toISOString()}`);
  }

  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    { name: 'ECDSA', namedCurve: curve },
    false,
    ['sign'],
  );
  return {
    cert,
    signingKey,
    privateKey: key,
    signingAlgorithm: signingAlgorithmFor(curve),
    keyIdentifier: ski.keyId,
    organisationId: cert.subjectName.getField(OID.organizationalUnitName)[0] ?? null,
    pathLength: basic.pathLength,
  };
}

/** A fresh, extractable ECDSA key pair for a CA. */
export async function generateCaKeys(curve: CaCurve): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
    'verify',
  ]);
}

/** The PEM texts a CA is handed back as. */
export async function toCaMaterial(
  cert: x509.X509Certificate,
  privateKey: webcrypto.CryptoKey,
): Promise<CaMaterial> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', privateKey);
  return {
    certPem: `${cert.toString('pem')}\n`,
    keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
  };
}

/** Refuses an Invalid Date or a non-Date with ERR_CA_PARAMETERS_INVALID. */
export function assertDate(value: unknown, label: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new VigilError('ERR_CA_PARAMETERS_INVALID', `${label} must be a valid Date.`);
  }
}

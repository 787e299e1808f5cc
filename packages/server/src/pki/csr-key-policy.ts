import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert } from '@peculiar/asn1-schema';
import { type AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { VigilError } from '@vigil/core';

/**
 * Which device keys Vigil certifies, and the proof-of-possession check.
 *
 * Keys are read by node's OpenSSL rather than by WebCrypto: it handles all three
 * families with one call, rejects EC points that are not on the curve, and
 * reports RSA modulus and exponent sizes.
 */

export type KeyAlgorithm = 'ECDSA-P256' | 'ECDSA-P384' | 'Ed25519' | `RSA-${number}`;

export interface AcceptedKey {
  readonly key: KeyObject;
  readonly algorithm: KeyAlgorithm;
  /** The SubjectPublicKeyInfo as OpenSSL re-encodes it: this goes into the certificate. */
  readonly spkiDer: Uint8Array;
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1'; // RFC 5480 §2.1.1
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1'; // RFC 3279 §2.3.1
const ED25519 = '1.3.101.112'; // RFC 8410 §3

/** RFC 5480 §2.1.1.1 namedCurve OIDs; explicit curve parameters are not accepted. */
const CURVES: Readonly<Record<string, KeyAlgorithm>> = {
  '1.2.840.10045.3.1.7': 'ECDSA-P256',
  '1.3.132.0.34': 'ECDSA-P384',
};

/** NIST SP 800-57 Part 1 §5.6.1: RSA-2048 is the floor (112-bit strength); 8192 bounds the work. */
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;

/**
 * Signature algorithms a CSR may be signed with, per key type. SHA-1 and MD5
 * are absent on purpose (NIST SP 800-131A rev. 2 §9 disallows SHA-1 for signature
 * generation); RSASSA-PSS is absent because no device we support sends it.
 */
const SIGNATURES: Readonly<Record<string, { keyType: string; hash: string | null }>> = {
  '1.2.840.10045.4.3.2': { keyType: 'ec', hash: 'sha256' }, // RFC 5758 §3.2
  '1.2.840.10045.4.3.3': { keyType: 'ec', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { keyType: 'ec', hash: 'sha512' },
  '1.2.840.113549.1.1.11': { keyType: 'rsa', hash: 'sha256' }, // RFC 4055 §5
  '1.2.840.113549.1.1.12': { keyType: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { keyType: 'rsa', hash: 'sha512' },
  '1.3.101.112': { keyType: 'ed25519', hash: null }, // RFC 8410 §6: PureEdDSA, no hash
};

/** Checks the key against the allow-list; ERR_EST_KEY_UNSUPPORTED when it is not on it. */
export function acceptKey(spki: SubjectPublicKeyInfo): AcceptedKey {
  const unsupported = (why: string): VigilError => new VigilError('ERR_EST_KEY_UNSUPPORTED', why);
  const { algorithm, parameters } = spki.algorithm;
  let expected: KeyAlgorithm | 'RSA';
  if (algorithm === EC_PUBLIC_KEY) {
    const curve = parameters ? namedCurveOf(parameters) : null;
    const name = curve === null ? undefined : CURVES[curve];
    if (name === undefined) throw unsupported('Only the P-256 and P-384 curves are accepted.');
    expected = name;
  } else if (algorithm === RSA_ENCRYPTION) {
    expected = 'RSA';
  } else if (algorithm === ED25519) {
    expected = 'Ed25519';
  } else {
    throw unsupported('The key is not ECDSA P-256/P-384, Ed25519 or RSA.');
  }

  let key: KeyObject;
  try {
    const der = Buffer.from(AsnConvert.serialize(spki));
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new VigilError('ERR_EST_CSR_INVALID', 'The public key cannot be read.', { cause });
  }
  const spkiDer = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  if (expected !== 'RSA') return { key, algorithm: expected, spkiDer };

  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
    throw unsupported(
      `RSA keys must have ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits; this has ${bits}.`,
    );
  }
  // FIPS 186-5 (RSA key-pair criteria): an odd e with 2^16 < e < 2^256.
  if (exponent % 2n === 0n || exponent <= 65536n || exponent >= 2n ** 256n) {
    throw unsupported('The RSA public exponent is outside 2^16 < e < 2^256.');
  }
  return { key, algorithm: `RSA-${bits}`, spkiDer };
}

/** `acceptKey` for a SubjectPublicKeyInfo given as DER; unreadable DER is ERR_EST_CSR_INVALID. */
export function acceptSpkiDer(der: Uint8Array): AcceptedKey {
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(der, SubjectPublicKeyInfo);
  } catch (cause) {
    throw new VigilError('ERR_EST_CSR_INVALID', 'The public key cannot be read.', { cause });
  }
  return acceptKey(spki);
}

/**
 * Proof of possession (RFC 7030 §3.4, RFC 2986 §3): the CSR must be signed by
 * the private key of the public key it carries. A weak or unknown signature
 * algorithm is ERR_EST_KEY_UNSUPPORTED; a signature that does not verify, or an
 * algorithm of another key type, is ERR_EST_CSR_SIGNATURE.
 */
export function verifyProofOfPossession(
  accepted: AcceptedKey,
  signatureAlgorithm: AlgorithmIdentifier,
  signedBytes: ArrayBuffer,
  signature: ArrayBuffer,
): void {
  const scheme = SIGNATURES[signatureAlgorithm.algorithm];
  if (scheme === undefined) {
    throw new VigilError(
      'ERR_EST_KEY_UNSUPPORTED',
      'The CSR is signed with an algorithm that is not accepted (SHA-1, MD5, RSASSA-PSS or unknown).',
    );
  }
  let valid = false;
  if (scheme.keyType === accepted.key.asymmetricKeyType) {
    try {
      // ECDSA signatures stay in their DER form (node's default `dsaEncoding`);
      // OpenSSL refuses non-DER encodings of it, so a BER variant of a valid
      // signature does not pass.
      valid = verify(
        scheme.hash,
        new Uint8Array(signedBytes),
        accepted.key,
        new Uint8Array(signature),
      );
    } catch {
      valid = false; // a malformed signature value is a failed proof, not a crash
    }
  }
  if (!valid) {
    throw new VigilError(
      'ERR_EST_CSR_SIGNATURE',
      'The CSR signature does not verify with its own public key (no proof of possession).',
    );
  }
}

/** The OID of an ECParameters `namedCurve` (RFC 5480 §2.1.1), or null for anything else. */
function namedCurveOf(parameters: ArrayBuffer): string | null {
  try {
    return AsnConvert.parse(parameters, ECParameters).namedCurve ?? null;
  } catch {
    return null;
  }
}

import { X509Certificate as OpenSslCertificate } from 'node:crypto';
import { type ErrorCode, VigilError } from '@vigil/core';
import { x509 } from '../tls/x509-provider.js';

/**
 * One certificate of a hardware chain, parsed once and read by two parsers:
 * @peculiar/x509 for names and extensions (node's X509Certificate exposes neither
 * pathLen nor critical flags), and OpenSSL through node:crypto for issuer matching
 * and signature checks (it refuses a signed algorithm identifier that differs from
 * the outer one, RFC 5280 §4.1.1.2). A certificate must satisfy both.
 */
export interface AttestationCertificate {
  /** `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprintSha256: string;
  readonly parsed: x509.X509Certificate;
  readonly openssl: OpenSslCertificate;
  readonly isCa: boolean;
  /** basicConstraints pathLenConstraint; undefined when unlimited. */
  readonly pathLength: number | undefined;
  /** keyUsage bits (x509.KeyUsageFlags); undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** Why this certificate cannot be in a trusted path at all (critical extension, weak key). */
  readonly profileProblem: string | undefined;
  /** Why its issuer's signature on it does not count (weak or unknown algorithm); ignored for roots. */
  readonly signatureProblem: string | undefined;
}

/** Extensions this verifier understands; any other critical one voids the certificate (RFC 5280 §4.2). */
const UNDERSTOOD_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName (read by nobody here; constrains nothing)
  '2.5.29.19', // basicConstraints
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage: vendors mark device certificates clientAuth; it does not limit attestation
]);

/** SHA-1 and MD5 signatures can be forged or collided; a vendor chain has no reason to use them. */
const ACCEPTED_SIGNATURES = new Set(
  ['ECDSA', 'RSASSA-PKCS1-v1_5', 'RSA-PSS']
    .flatMap((name) => ['SHA-256', 'SHA-384', 'SHA-512'].map((hash) => `${name}/${hash}`))
    .concat('Ed25519'),
);
const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const MIN_RSA_BITS = 2048;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g;

/**
 * Every CERTIFICATE block of `pem`, in order. Text outside blocks is ignored
 * (RFC 7468 §2); a block of another type, an unpaired marker, bad base64 or DER
 * that is not exactly one certificate throws `code`.
 */
export function parseCertificatesPem(
  pem: string,
  maxCertificates: number,
  code: ErrorCode,
): AttestationCertificate[] {
  const fail = (why: string, cause?: unknown): VigilError =>
    new VigilError(code, `The certificate chain ${why}.`, { cause });
  const blocks = [...pem.matchAll(PEM_BLOCK)].map((m) => m[1] ?? '');
  const markers = pem.match(/-----(BEGIN|END) /g)?.length ?? 0;
  if (blocks.length === 0) throw fail('holds no PEM certificate');
  if (markers !== 2 * blocks.length) throw fail('has a truncated or non-certificate PEM block');
  if (blocks.length > maxCertificates) throw fail(`has more than ${maxCertificates} certificates`);
  return blocks.map((body, index) => {
    const base64 = body.replace(/\s+/g, '');
    const der = Buffer.from(base64, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || der.toString('base64') !== base64) {
      throw fail(`has invalid base64 in certificate ${index + 1}`);
    }
    if (!isSingleDerSequence(der)) {
      throw fail(`has trailing or truncated DER in certificate ${index + 1}`);
    }
    try {
      return readCertificate(der);
    } catch (cause) {
      throw fail(`has an unreadable certificate ${index + 1}`, cause);
    }
  });
}

function readCertificate(der: Buffer): AttestationCertificate {
  const openssl = new OpenSslCertificate(der);
  const parsed = new x509.X509Certificate(der);
  const types = parsed.extensions.map((extension) => extension.type);
  if (new Set(types).size !== types.length) throw new Error('an extension is repeated'); // RFC 5280 §4.2
  const basic = parsed.getExtension(x509.BasicConstraintsExtension);
  const usage = parsed.getExtension(x509.KeyUsagesExtension);
  const signedWith = signatureAlgorithmName(parsed);
  return {
    fingerprintSha256: openssl.fingerprint256,
    parsed,
    openssl,
    isCa: basic?.ca === true,
    pathLength: basic?.ca === true ? basic.pathLength : undefined,
    keyUsage: usage === null ? undefined : usage.usages,
    profileProblem: profileProblem(parsed, openssl),
    signatureProblem: ACCEPTED_SIGNATURES.has(signedWith) ? undefined : `signed with ${signedWith}`,
  };
}

function profileProblem(
  parsed: x509.X509Certificate,
  openssl: OpenSslCertificate,
): string | undefined {
  const unknown = parsed.extensions.find((e) => e.critical && !UNDERSTOOD_EXTENSIONS.has(e.type));
  if (unknown !== undefined) return `unsupported critical extension ${unknown.type}`;
  const key = openssl.publicKey;
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && !ACCEPTED_CURVES.has(details?.namedCurve ?? '')) {
    return `key on curve ${details?.namedCurve ?? 'unknown'}`;
  }
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) < MIN_RSA_BITS) {
    return `RSA key shorter than ${MIN_RSA_BITS} bits`;
  }
  return undefined;
}

/** `ECDSA/SHA-256`, `Ed25519`, or the unknown OID's text; never throws. */
function signatureAlgorithmName(parsed: x509.X509Certificate): string {
  try {
    // Typed with DOM's Algorithm, which this DOM-free project cannot see: read it as data.
    const { name, hash } = parsed.signatureAlgorithm as { name?: unknown; hash?: unknown };
    const hashName = typeof hash === 'object' && hash !== null && 'name' in hash ? hash.name : hash;
    if (typeof name !== 'string') return 'an unknown algorithm';
    return typeof hashName === 'string' ? `${name}/${hashName.toUpperCase()}` : name;
  } catch {
    return 'an unknown algorithm';
  }
}

/** One DER SEQUENCE with a definite length that spans the buffer exactly. */
function isSingleDerSequence(der: Buffer): boolean {
  if (der.length < 2 || der[0] !== 0x30) return false;
  const first = der[1] ?? 0;
  if (first < 0x80) return 2 + first === der.length;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || der.length < 2 + octets) return false;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (der[2 + i] ?? 0);
  return 2 + octets + length === der.length;
}

/** Whether `now` lies within the certificate's validity period, both ends inclusive (RFC 5280 §4.1.2.5). */
export function isWithinValidity(certificate: AttestationCertificate, now: Date): boolean {
  const time = now.getTime();
  // Written so an invalid Date (NaN) fails closed instead of passing both comparisons.
  return (
    certificate.parsed.notBefore.getTime() <= time && time <= certificate.parsed.notAfter.getTime()
  );
}

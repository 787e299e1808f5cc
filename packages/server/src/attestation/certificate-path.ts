import { VigilError } from '@vigil/core';
import { x509 } from '../tls/x509-provider.js';
import { type AttestationCertificate, isWithinValidity } from './attestation-certificate.js';

/**
 * Certification path validation for a secure element's chain (RFC 5280 §6, the
 * parts a factory chain uses): leaf → presented intermediates → a configured
 * vendor root. Not X509ChainBuilder: it follows the first issuer it finds, stops
 * at any self-signed certificate whether trusted or not, and checks neither CA
 * flags, path length nor validity dates (STANDARDS.md §7).
 *
 * Every candidate path is checked in full without time first, so a chain that
 * would be genuine but for its dates is reported as ERR_ATTESTATION_CERT_EXPIRED
 * and anything else as ERR_ATTESTATION_UNTRUSTED_CHAIN.
 */

/** Leaf first, the trusted root last. */
export type TrustedPath = readonly [AttestationCertificate, ...AttestationCertificate[]];

const { digitalSignature, keyCertSign } = x509.KeyUsageFlags;

/**
 * The first path from `chain[0]` to one of `roots` whose signatures, CA flags,
 * path lengths and key usages hold and whose certificates are all valid at `now`.
 *
 * @example
 * const path = findTrustedPath(parseCertificatesPem(chainPem, 5, 'ERR_ATTESTATION_MALFORMED'), roots, now);
 */
export function findTrustedPath(
  chain: readonly AttestationCertificate[],
  roots: readonly AttestationCertificate[],
  now: Date,
): TrustedPath {
  const [leaf, ...presented] = chain;
  if (leaf === undefined) throw untrusted('it is empty');
  // A CA leaf could mint further "devices"; the element's own certificate must be an end entity.
  if (leaf.isCa) throw untrusted('its leaf certificate is a CA');
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & digitalSignature) === 0) {
    throw untrusted('its leaf certificate may not sign (keyUsage without digitalSignature)');
  }
  const leafProblem = leaf.profileProblem ?? leaf.signatureProblem;
  if (leafProblem !== undefined) throw untrusted(`its leaf certificate is refused: ${leafProblem}`);

  // A presented copy of a root is the root itself, and the leaf is not its own issuer.
  const rootPrints = new Set(roots.map((root) => root.fingerprintSha256));
  const seen = new Set([leaf.fingerprintSha256]);
  const intermediates = presented.filter((c) => {
    const fresh = !seen.has(c.fingerprintSha256) && !rootPrints.has(c.fingerprintSha256);
    seen.add(c.fingerprintSha256);
    return fresh;
  });

  const search = new PathSearch(intermediates, roots);
  search.extend([leaf]);
  if (search.paths.length === 0) {
    throw untrusted(`no path verifies to a trusted vendor root (${search.firstRefusal()})`);
  }
  const current = search.paths.find((path) => path.every((c) => isWithinValidity(c, now)));
  if (current !== undefined) return current;
  const [first] = search.paths;
  const stale = first?.find((c) => !isWithinValidity(c, now));
  throw new VigilError(
    'ERR_ATTESTATION_CERT_EXPIRED',
    `The hardware certificate "${stale?.parsed.subject ?? ''}" is not valid at ${now.toISOString()}.`,
    {
      details: {
        notBefore: stale?.parsed.notBefore.toISOString(),
        notAfter: stale?.parsed.notAfter.toISOString(),
      },
    },
  );
}

class PathSearch {
  readonly paths: TrustedPath[] = [];
  private readonly refusals: string[] = [];
  /** Signature results by "child fingerprint > issuer fingerprint": each pair is verified once. */
  private readonly verified = new Map<string, boolean>();

  constructor(
    private readonly intermediates: readonly AttestationCertificate[],
    private readonly roots: readonly AttestationCertificate[],
  ) {}

  /** Depth-first; a path never repeats a certificate, so with ≤ 4 intermediates it ends quickly. */
  extend(path: TrustedPath): void {
    const child = path[path.length - 1] ?? path[0];
    const below = path.length - 1; // intermediates between `child`'s issuer and the leaf
    for (const root of this.roots) {
      if (this.canIssue(root, child, below)) this.paths.push([...path, root]);
    }
    for (const next of this.intermediates) {
      if (!path.includes(next) && this.canIssue(next, child, below)) this.extend([...path, next]);
    }
  }

  firstRefusal(): string {
    return (
      this.refusals[0] ?? 'no presented or trusted certificate is the issuer named in the chain'
    );
  }

  private canIssue(
    issuer: AttestationCertificate,
    child: AttestationCertificate,
    below: number,
  ): boolean {
    // RFC 5280 §4.2.1.4 / OpenSSL X509_check_issued: names, key identifiers, keyCertSign.
    if (!child.openssl.checkIssued(issuer.openssl)) return false;
    const name = `"${issuer.parsed.subject}"`;
    const refuse = (why: string): false => {
      this.refusals.push(`${name} ${why}`);
      return false;
    };
    if (!this.signedBy(child, issuer)) return refuse('did not sign the certificate below it');
    // RFC 5280 §4.2.1.9: only a CA:true certificate may issue, within its pathLenConstraint.
    if (!issuer.isCa) return refuse('is not a CA (basicConstraints CA:true missing)');
    if (issuer.pathLength !== undefined && issuer.pathLength < below) {
      return refuse(`allows ${issuer.pathLength} intermediates below it, not ${below}`);
    }
    if (issuer.keyUsage !== undefined && (issuer.keyUsage & keyCertSign) === 0) {
      return refuse('may not sign certificates (keyUsage without keyCertSign)');
    }
    if (issuer.profileProblem !== undefined) return refuse(`is refused: ${issuer.profileProblem}`);
    const childProblem = child.profileProblem ?? child.signatureProblem;
    if (childProblem !== undefined) return refuse(`issued a refused certificate: ${childProblem}`);
    return true;
  }

  private signedBy(child: AttestationCertificate, issuer: AttestationCertificate): boolean {
    const key = `${child.fingerprintSha256}>${issuer.fingerprintSha256}`;
    let ok = this.verified.get(key);
    if (ok === undefined) {
      try {
        ok = child.openssl.verify(issuer.openssl.publicKey);
      } catch {
        ok = false; // a key OpenSSL cannot use for this signature is a refusal, not a crash
      }
      this.verified.set(key, ok);
    }
    return ok;
  }
}

function untrusted(why: string): VigilError {
  return new VigilError(
    'ERR_ATTESTATION_UNTRUSTED_CHAIN',
    `The hardware certificate chain is not trusted: ${why}.`,
  );
}

import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { AgentError } from './errors.js';
import type { CertificateValidity } from './renewal-policy.js';
import { x509 } from './x509-provider.js';

/** RFC 4122 UUID as the server writes it into subjectAltName (docs/devices.md, Device CA). */
const DEVICE_URI =
  /(?:^|, )URI:urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:,|$)/i;

/**
 * A device certificate, read once: its device id (the `urn:uuid:` URI in
 * subjectAltName), validity, public key and subject.
 *
 * @example
 * const certificate = DeviceCertificate.fromPem(identity.certificatePem);
 * certificate.deviceId; // '0190c1e2-…'
 */
export class DeviceCertificate implements CertificateValidity {
  readonly pem: string;
  readonly deviceId: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly #certificate: X509Certificate;

  private constructor(pem: string, certificate: X509Certificate, deviceId: string) {
    this.pem = pem;
    this.#certificate = certificate;
    this.deviceId = deviceId.toLowerCase();
    this.notBefore = Date.parse(certificate.validFrom);
    this.notAfter = Date.parse(certificate.validTo);
  }

  /** Parses a PEM certificate; `ERR_AGENT_CERTIFICATE_MISMATCH` if it names no device. */
  static fromPem(pem: string): DeviceCertificate {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch (cause) {
      throw new AgentError('ERR_AGENT_PROTOCOL', 'Not a PEM certificate.', { cause });
    }
    const deviceId = DEVICE_URI.exec(certificate.subjectAltName ?? '')?.[1];
    if (deviceId === undefined) {
      throw mismatch('The certificate carries no urn:uuid device id in subjectAltName.');
    }
    return new DeviceCertificate(pem, certificate, deviceId);
  }

  /**
   * Picks, from an EST answer, the certificate issued for `spkiDer` and checks
   * it: signed by a CA of `caChainPem` (the CA certificates from `cacerts`),
   * naming the device the server announced and, on renewal, the same device as
   * before. A server that answers with someone else's certificate or one for
   * another key is not trusted with this gateway's identity.
   *
   * @example
   * const issued = DeviceCertificate.selectIssued(answer.certificates, request.spkiDer, {
   *   caChainPem, expectedDeviceId: answer.deviceId,
   * });
   */
  static selectIssued(
    certificates: readonly string[],
    spkiDer: Uint8Array,
    expected: { caChainPem: string; expectedDeviceId?: string | undefined },
  ): DeviceCertificate {
    const pem = certificates.find((candidate) =>
      Buffer.from(spkiDer).equals(new X509Certificate(candidate).publicKey.export(SPKI)),
    );
    if (pem === undefined) throw mismatch('No certificate in the answer is for our new key.');
    const issued = DeviceCertificate.fromPem(pem);
    const issuers = splitPem(expected.caChainPem).map((ca) => new X509Certificate(ca));
    const signed = issuers.some(
      (ca) => issued.#certificate.checkIssued(ca) && issued.#certificate.verify(ca.publicKey),
    );
    if (!signed) throw mismatch('The certificate is not signed by a CA from cacerts.');
    const want = expected.expectedDeviceId?.toLowerCase();
    if (want !== undefined && want !== issued.deviceId) {
      throw mismatch(`The certificate is for device ${issued.deviceId}, not ${want}.`);
    }
    return issued;
  }

  /** The subject, DER — re-enrolment must request exactly this (RFC 7030 §4.2.2). */
  subjectDer(): Uint8Array {
    return new Uint8Array(new x509.X509Certificate(this.pem).subjectName.toArrayBuffer());
  }

  /** True when `keyPkcs8Pem` is the private key of this certificate's public key. */
  matchesKey(keyPkcs8Pem: string): boolean {
    try {
      const publicKey = createPublicKey(createPrivateKey(keyPkcs8Pem));
      return publicKey.export(SPKI).equals(this.#certificate.publicKey.export(SPKI));
    } catch {
      return false;
    }
  }
}

const SPKI = { type: 'spki', format: 'der' } as const;

/** The PEM blocks of a bundle, each with its armour. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function mismatch(message: string): AgentError {
  return new AgentError('ERR_AGENT_CERTIFICATE_MISMATCH', message);
}

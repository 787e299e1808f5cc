import { webcrypto } from 'node:crypto';
import { x509 } from '../../src/x509-provider.js';

/**
 * A small certificate authority for the agent's tests: a CA, device and TLS
 * server certificates, all ECDSA P-256. Test-only; the real device CA lives in
 * packages/server/src/pki/.
 */

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface TestCa {
  readonly certificate: x509.X509Certificate;
  readonly certPem: string;
  readonly keys: webcrypto.CryptoKeyPair;
}

export async function createTestCa(name: string, now: number): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  return { certificate, certPem: pem(certificate), keys };
}

export interface IssueOptions {
  readonly subject: x509.Name | string;
  readonly publicKey: x509.PublicKey | webcrypto.CryptoKey;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly sans?: { type: 'url' | 'dns' | 'ip'; value: string }[];
  readonly usage: 'clientAuth' | 'serverAuth';
}

/** Issues an end-entity certificate signed by `ca`. */
export async function issueCertificate(ca: TestCa, options: IssueOptions): Promise<string> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage[options.usage]]),
  ];
  if (options.sans !== undefined) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.sans));
  }
  const certificate = await x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: ca.certificate.subjectName,
    publicKey: options.publicKey,
    signingKey: ca.keys.privateKey,
    notBefore: new Date(options.notBefore),
    notAfter: new Date(options.notAfter),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return pem(certificate);
}

/** A TLS server certificate and key for 127.0.0.1 / localhost. */
export async function issueServerCertificate(
  ca: TestCa,
  now: number,
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const certPem = await issueCertificate(ca, {
    subject: 'CN=localhost',
    publicKey: keys.publicKey,
    notBefore: now - DAY_MS,
    notAfter: now + 30 * DAY_MS,
    sans: [
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ],
    usage: 'serverAuth',
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem, keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n` };
}

/** PKCS#7 certs-only, base64 with line breaks, as an EST server answers (RFC 7030 §4.1.3). */
export function certsOnlyBase64(pems: readonly string[]): string {
  const bundle = new x509.X509Certificates(pems.map((p) => new x509.X509Certificate(p)));
  const text = Buffer.from(bundle.export('raw')).toString('base64');
  return `${text.match(/.{1,76}/g)?.join('\n') ?? ''}\n`;
}

function pem(certificate: x509.X509Certificate): string {
  return `${certificate.toString('pem')}\n`;
}

import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from './x509-provider.js';

/**
 * Issuing the development CA and its server certificate: pure functions of a
 * reference time and a host name, returning PEM text. The caller (dev-ca.ts)
 * decides when to issue and where the files go.
 */

/** A certificate (PEM, possibly a chain) and its PKCS#8 PEM private key. */
export interface PemKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 86_400_000;

/** Ten years: developers trust the CA once per machine, not once per release. */
export const DEV_CA_VALIDITY_DAYS = 3650;

/**
 * CA/Browser Forum Baseline Requirements §6.3.2 and Apple's and Chrome's root
 * programme policies cap TLS server certificates at 398 days; browsers apply that
 * even to locally trusted roots on some platforms, so stay a day under.
 */
export const DEV_SERVER_VALIDITY_DAYS = 397;

/** Backdate notBefore by an hour, as public CAs do, for clients whose clock runs slow. */
const BACKDATE_MS = 3_600_000;

// ECDSA P-256 with SHA-256 (RFC 5480, RFC 5758): accepted by every TLS 1.2/1.3
// client and allowed by the Baseline Requirements §6.1.5.
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Creates a self-signed development CA that may sign end-entity certificates only. */
export async function issueDevCa(now: Date, hostname: string): Promise<PemKeyPair> {
  const keys = await generateKeys();
  const notBefore = now.getTime() - BACKDATE_MS;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [`Vigil development CA (${hostname})`] }, { O: ['Vigil development only'] }],
    notBefore: new Date(notBefore),
    notAfter: new Date(notBefore + DEV_CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      // RFC 5280 §4.2.1.9: pathLen 0 — it may not create intermediate CAs.
      new x509.BasicConstraintsExtension(true, 0, true),
      // RFC 5280 §4.2.1.3: certificate and CRL signing only.
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await exportPkcs8Pem(keys.privateKey) };
}

/**
 * Issues a server certificate for `localhost`, the machine's host name and the
 * loopback addresses, signed by the development CA. It never outlives the CA.
 */
export async function issueDevServerCertificate(
  ca: PemKeyPair,
  now: Date,
  hostname: string,
): Promise<PemKeyPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    KEY_ALGORITHM,
    false,
    ['sign'],
  );
  const keys = await generateKeys();
  const dnsNames = devServerDnsNames(hostname);
  const notBefore = now.getTime() - BACKDATE_MS;
  const notAfter = Math.min(
    notBefore + DEV_SERVER_VALIDITY_DAYS * DAY_MS,
    caCert.notAfter.getTime(),
  );
  const cert = await x509.X509CertificateGenerator.create({
    // CA/B Baseline Requirements: a subject CN, if present, must repeat a SAN entry.
    subject: [{ CN: ['localhost'] }, { O: ['Vigil development only'] }],
    issuer: caCert.subjectName,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // RFC 8446 §4.4.2.2: the server key signs the handshake, so digitalSignature alone.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // RFC 9525 §6: clients match these SAN entries; the CN is not consulted.
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...DEV_SERVER_IPS.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: await exportPkcs8Pem(keys.privateKey) };
}

/** The loopback addresses the development certificate covers. */
export const DEV_SERVER_IPS = ['127.0.0.1', '::1'] as const;

/**
 * `localhost` plus the host name, lower-cased, when it is a valid DNS name
 * (RFC 5280 §4.2.1.6 requires the RFC 1034 preferred syntax in a dNSName).
 */
export function devServerDnsNames(hostname: string): string[] {
  const name = hostname.trim().toLowerCase().replace(/\.$/, '');
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  const valid = new RegExp(`^${label}(?:\\.${label})*$`).test(name) && name.length <= 253;
  return valid && name !== 'localhost' && isIP(name) === 0 ? ['localhost', name] : ['localhost'];
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  // Extractable so the private key can be written out as PKCS#8.
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function exportPkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

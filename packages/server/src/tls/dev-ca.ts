import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '@vigil/core';
import {
  type PemKeyPair,
  devServerDnsNames,
  issueDevCa,
  issueDevServerCertificate,
} from './dev-certificates.js';

/**
 * The development CA: used when no production certificate is configured, so a
 * fresh install serves HTTPS from its first start (no plain-HTTP fallback).
 *
 * DEVELOPMENT ONLY. The CA's private key sits next to the server key in
 * `<dataDir>/tls/`; anyone who can read it can issue certificates that a machine
 * trusting this CA accepts for any name. Trust it only on your own machine, and
 * configure a real certificate (VIGIL_TLS_CERT / VIGIL_TLS_KEY) for anything else.
 */

/** File names inside `<dataDir>/tls/`. */
export const DEV_TLS_FILES = {
  caCert: 'ca.pem',
  caKey: 'ca-key.pem',
  serverCert: 'server.pem',
  serverKey: 'server-key.pem',
} as const;

/** Reissue (or recreate) when fewer than this many days remain. */
export const DEV_RENEW_BEFORE_DAYS = 30;

export interface DevTls extends PemKeyPair {
  readonly caCertPem: string;
  /** SHA-256 of the CA certificate's DER, `AB:CD:…` as `openssl x509 -fingerprint -sha256` prints it. */
  readonly caFingerprintSha256: string;
  /** This call created the CA: print the fingerprint and how to trust it. */
  readonly caCreated: boolean;
  /** This call issued a new server certificate (first start, near expiry, new host name). */
  readonly serverCertIssued: boolean;
}

/**
 * Returns the development CA and server certificate from `<dataDir>/tls/`,
 * creating them on first use and reissuing the server certificate when it
 * expires within 30 days, no longer matches the CA, or misses the host name.
 *
 * @example
 * const tls = await ensureDevCa('./var');
 * if (tls.caCreated) console.log(`Trust var/tls/ca.pem (SHA-256 ${tls.caFingerprintSha256})`);
 */
export async function ensureDevCa(
  dataDir: string,
  now: Date = new Date(),
  hostname: string = osHostname(),
): Promise<DevTls> {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // also tightens a directory created earlier by hand

  let ca = readCa(dir, now);
  const caCreated = ca === null;
  if (ca === null) {
    ca = await issueDevCa(now, hostname);
    writePair(dir, DEV_TLS_FILES.caCert, DEV_TLS_FILES.caKey, ca);
  }

  const existing = caCreated
    ? null
    : readPair(dir, DEV_TLS_FILES.serverCert, DEV_TLS_FILES.serverKey);
  let server: PemKeyPair;
  if (existing !== null && serverStillFits(existing, ca, now, hostname)) {
    server = existing;
  } else {
    server = await issueDevServerCertificate(ca, now, hostname);
    writePair(dir, DEV_TLS_FILES.serverCert, DEV_TLS_FILES.serverKey, server);
  }

  return {
    certPem: server.certPem,
    keyPem: server.keyPem,
    caCertPem: ca.certPem,
    caFingerprintSha256: new X509Certificate(ca.certPem).fingerprint256,
    caCreated,
    serverCertIssued: server !== existing,
  };
}

/**
 * The existing CA, or null when there is none or it is about to expire. A CA that
 * exists but cannot be used is an error rather than silently replaced: people
 * may already trust it, and replacing it would break their trust store.
 */
function readCa(dir: string, now: Date): PemKeyPair | null {
  const pair = readPair(dir, DEV_TLS_FILES.caCert, DEV_TLS_FILES.caKey);
  if (pair === null) return null;
  const broken = (why: string, cause?: unknown): VigilError =>
    new VigilError(
      'ERR_TLS_CONFIG',
      `The development CA in ${dir} ${why}; delete that directory to create a new one.`,
      { cause },
    );
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(pair.certPem);
    key = createPrivateKey(pair.keyPem);
  } catch (cause) {
    throw broken('cannot be read', cause);
  }
  if (!cert.checkPrivateKey(key)) throw broken('has a key that does not match its certificate');
  if (!cert.ca) throw broken('is not a CA certificate');
  return expiresWithin(cert, now) ? null : pair;
}

/** Whether the stored server certificate can be served as is. */
function serverStillFits(server: PemKeyPair, ca: PemKeyPair, now: Date, hostname: string): boolean {
  try {
    const cert = new X509Certificate(server.certPem);
    const caCert = new X509Certificate(ca.certPem);
    return (
      cert.checkIssued(caCert) &&
      cert.verify(caCert.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(server.keyPem)) &&
      new Date(cert.validFrom) <= now &&
      !expiresWithin(cert, now) &&
      devServerDnsNames(hostname).every((name) => cert.checkHost(name) !== undefined)
    );
  } catch {
    return false; // unreadable: it is derived material, so issue a fresh one
  }
}

function expiresWithin(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() < DEV_RENEW_BEFORE_DAYS * 86_400_000;
}

function readPair(dir: string, certFile: string, keyFile: string): PemKeyPair | null {
  const certPem = readIfExists(join(dir, certFile));
  const keyPem = readIfExists(join(dir, keyFile));
  return certPem === null || keyPem === null ? null : { certPem, keyPem };
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new VigilError(
      'ERR_TLS_CONFIG',
      `Cannot read ${path}; check its owner and permissions.`,
      {
        cause,
      },
    );
  }
}

function writePair(dir: string, certFile: string, keyFile: string, pair: PemKeyPair): void {
  writePrivate(join(dir, certFile), pair.certPem);
  writePrivate(join(dir, keyFile), pair.keyPem);
}

/** Writes with mode 0600 via a temporary file and rename, so a crash never leaves half a key. */
function writePrivate(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  chmodSync(temporary, 0o600); // the mode option is ignored when the file already existed
  renameSync(temporary, path);
}

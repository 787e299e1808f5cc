import { constants } from 'node:crypto';
import type { ServerOptions } from 'node:https';
import type { PemKeyPair } from './dev-certificates.js';

/**
 * The TLS policy of every Vigil listener, in one place (docs/adr/0004-tls-policy.md).
 *
 * TLS 1.2 and 1.3 only: RFC 8996 deprecates TLS 1.0 and 1.1, and RFC 9325 §3.1.1
 * says TLS 1.2 MUST be supported and TLS 1.3 SHOULD be.
 */

/**
 * TLS 1.2 suites: Mozilla Server Side TLS "intermediate" (guidelines v5.7), in its
 * order, minus its two DHE-RSA suites (draft-ietf-tls-deprecate-obsolete-kex,
 * which updates RFC 9325, deprecates finite-field DHE in TLS 1.2; ECDHE alone
 * needs no DH parameters to manage). What remains is what RFC 9325 §4.1–4.2 asks
 * for: forward secrecy and AEAD (AES-GCM, ChaCha20-Poly1305) only — no static-RSA
 * key transport, CBC, SHA-1 MACs, 3DES, RC4, NULL or EXPORT. The ECDSA suite of
 * each pair serves the development certificate, the RSA one RSA production certificates.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;

/**
 * TLS 1.3 suites: OpenSSL's and node's defaults, all AEAD (RFC 8446 §9.1 makes
 * TLS_AES_128_GCM_SHA256 mandatory). TLS_AES_128_CCM* stay off as in OpenSSL.
 */
export const TLS13_CIPHERSUITES = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
] as const;

/**
 * The `ciphers` string node takes: names starting `TLS_` configure TLS 1.3
 * (SSL_CTX_set_ciphersuites), the others TLS 1.2 (SSL_CTX_set_cipher_list).
 */
export const HARDENED_CIPHERS = [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':');

/**
 * Key-exchange groups, most preferred first: X25519 (RFC 7748/8422), then the
 * NIST curves P-256 and P-384 (RFC 8422; RFC 8446 §9.1 makes secp256r1 mandatory).
 * Mozilla "intermediate" uses the same three.
 */
export const HARDENED_ECDH_CURVES = 'X25519:P-256:P-384';

/**
 * Node `https.ServerOptions` carrying the certificate and key and the policy above.
 *
 * Session tickets keep node's default: ticket keys are random per process, so a
 * restart invalidates every ticket and no long-lived ticket key exists on disk.
 *
 * @example
 * const server = https.createServer(hardenedTlsOptions({ certPem, keyPem }), handler);
 */
export function hardenedTlsOptions(material: PemKeyPair): ServerOptions {
  return {
    cert: material.certPem,
    key: material.keyPem,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: HARDENED_CIPHERS,
    // Choose by our order rather than the client's, so a client that lists a
    // weaker-but-allowed suite first still gets the preferred one.
    honorCipherOrder: true,
    ecdhCurve: HARDENED_ECDH_CURVES,
    // No TLS 1.2 renegotiation at all: nothing in Vigil needs it, and a client
    // that may renegotiate can spend server CPU cheaply (CVE-2011-1473).
    // TLS 1.3 has no renegotiation (RFC 8446 §4.6).
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

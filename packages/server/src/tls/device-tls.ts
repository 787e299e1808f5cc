import type { ServerOptions as HttpsOptions } from 'node:https';
import { hardenedTlsOptions } from './tls-options.js';
import type { ServerTls } from './index.js';

/**
 * TLS options of the device listener: the server's own certificate and
 * cipher policy, plus mutual TLS — a client certificate is required and must
 * chain to one of the device CAs in `trustedPem` (RFC 8446 §4.3.2 CertificateRequest;
 * OpenSSL also checks its validity dates and the clientAuth purpose).
 *
 * `ca` must never be empty: Node would then fall back to its public root
 * store. Before any device CA exists the only anchor is the server's own
 * certificate, which issues no client certificates, so no client can pass.
 */
export function deviceTlsOptions(
  tls: Pick<ServerTls, 'certPem' | 'keyPem'>,
  trustedPem: readonly string[],
): HttpsOptions {
  return {
    ...hardenedTlsOptions({ certPem: tls.certPem, keyPem: tls.keyPem }),
    requestCert: true,
    rejectUnauthorized: true,
    ca: trustedPem.length > 0 ? [...trustedPem] : [tls.certPem],
  };
}

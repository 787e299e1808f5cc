import type { ServerOptions } from 'node:https';
import { VigilError } from '@vigil/core';
import type { VigilConfig } from '../config/config.js';
import { ensureDevCa } from './dev-ca.js';
import { loadProductionTls } from './production-tls.js';
import { hardenedTlsOptions } from './tls-options.js';

export { DEV_RENEW_BEFORE_DAYS, DEV_TLS_FILES, ensureDevCa, type DevTls } from './dev-ca.js';
export {
  DEV_CA_VALIDITY_DAYS,
  DEV_SERVER_VALIDITY_DAYS,
  issueDevCa,
  issueDevServerCertificate,
  type PemKeyPair,
} from './dev-certificates.js';
export {
  loadProductionTls,
  type ProductionTls,
  type ProductionTlsPaths,
  type ProductionTlsProblem,
} from './production-tls.js';
export {
  HARDENED_CIPHERS,
  HARDENED_ECDH_CURVES,
  TLS12_CIPHERS,
  TLS13_CIPHERSUITES,
  hardenedTlsOptions,
} from './tls-options.js';

/** What the HTTPS listener needs, and what start-up should tell people. */
export interface ServerTls {
  readonly source: 'development' | 'production';
  readonly certPem: string;
  readonly keyPem: string;
  /** Ready for `https.createServer` / fastify's `https` option. */
  readonly options: ServerOptions;
  /** The development CA certificate to trust; null in production. */
  readonly caCertPem: string | null;
  /** SHA-256 fingerprint of the development CA (`AB:CD:…`); null in production. */
  readonly caFingerprintSha256: string | null;
  /** The development CA was created by this call: print how to trust it. */
  readonly caCreated: boolean;
}

/**
 * Chooses the server's TLS material: the configured certificate and key when
 * both are set, otherwise the development CA in `<dataDir>/tls/`. Throws
 * ERR_TLS_CONFIG when the configured files cannot be used — Vigil never falls
 * back to the development CA or to plain HTTP once production TLS is asked for.
 *
 * @example
 * const tls = await loadServerTls(config);
 * if (tls.caFingerprintSha256) log.info(`Development CA SHA-256 ${tls.caFingerprintSha256}`);
 * const server = https.createServer(tls.options, handler);
 */
export async function loadServerTls(
  config: Pick<VigilConfig, 'dataDir' | 'tlsCertPath' | 'tlsKeyPath'>,
  now: Date = new Date(),
): Promise<ServerTls> {
  const { dataDir, tlsCertPath, tlsKeyPath } = config;
  if (tlsCertPath !== null && tlsKeyPath !== null) {
    const production = loadProductionTls({ tlsCertPath, tlsKeyPath }, now);
    return {
      source: 'production',
      certPem: production.certPem,
      keyPem: production.keyPem,
      options: hardenedTlsOptions(production),
      caCertPem: null,
      caFingerprintSha256: null,
      caCreated: false,
    };
  }
  if (tlsCertPath !== null || tlsKeyPath !== null) {
    // loadConfig already refuses this; callers that build the object by hand may not.
    throw new VigilError(
      'ERR_TLS_CONFIG',
      'Set both VIGIL_TLS_CERT and VIGIL_TLS_KEY, or neither to use the development CA.',
    );
  }
  const dev = await ensureDevCa(dataDir, now);
  return {
    source: 'development',
    certPem: dev.certPem,
    keyPem: dev.keyPem,
    options: hardenedTlsOptions(dev),
    caCertPem: dev.caCertPem,
    caFingerprintSha256: dev.caFingerprintSha256,
    caCreated: dev.caCreated,
  };
}

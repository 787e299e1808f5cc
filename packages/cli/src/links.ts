import { join } from 'node:path';
import { ONE_TIME_TOKEN_TTL_MS, SETUP_TOKEN_TTL_MS, type VigilConfig } from '@vigil/server';

/** How long the tokens the CLI prints stay valid, for the sentence printed next to them. */
export const SETUP_TOKEN_VALIDITY = hours(SETUP_TOKEN_TTL_MS);
export const ONE_TIME_TOKEN_VALIDITY = hours(ONE_TIME_TOKEN_TTL_MS);

function hours(ms: number): string {
  const h = Math.round(ms / 3_600_000);
  return h === 1 ? '1 hour' : `${h} hours`;
}

/** The address people use: `--public-url`, else https://localhost:<port> as `vigil serve` prints it. */
export function baseUrl(config: Pick<VigilConfig, 'publicUrl' | 'httpsPort'>): string {
  return (config.publicUrl ?? `https://localhost:${config.httpsPort}`).replace(/\/+$/, '');
}

// The token travels in the URL fragment, which browsers never send to a server (docs/api.md).

export function setupLink(base: string, token: string): string {
  return `${base}/setup#token=${encodeURIComponent(token)}`;
}

/** Activation and reset share one page: both let the person choose a password. */
export function activationLink(base: string, token: string): string {
  return `${base}/activate#token=${encodeURIComponent(token)}`;
}

/** The lines that hand over a one-time activation or reset link and its token. */
export function oneTimeLinkLines(
  what: 'Activation' | 'Reset',
  link: string,
  token: string,
): string[] {
  return [
    `${what} link (valid for ${ONE_TIME_TOKEN_VALIDITY}, works once; send it to them privately):`,
    `  ${link}`,
    `${what} token:`,
    token,
  ];
}

/** EST enrolment (RFC 7030 §4.2.1); the token names the organisation, so no CA label is needed. */
export function enrolmentUrl(base: string): string {
  return `${base}/.well-known/est/simpleenroll`;
}

/**
 * The development CA `vigil serve` makes when no TLS certificate is
 * configured (its `DEV_TLS_FILES.caCert`), for `curl --cacert`; null with a
 * production certificate, which clients already trust.
 */
export function devCaCertPath(config: Pick<VigilConfig, 'dataDir' | 'tlsCertPath'>): string | null {
  return config.tlsCertPath === null ? join(config.dataDir, 'tls', 'ca.pem') : null;
}

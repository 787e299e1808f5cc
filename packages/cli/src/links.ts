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

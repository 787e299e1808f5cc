import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Bearer secrets (session ids, API tokens, setup, activation and reset
 * tokens): 256 random bits, shown once, stored only as a SHA-256 digest. A
 * slow hash is unnecessary for secrets with this much entropy; a digest means
 * a stolen database yields no usable token.
 *
 * The prefix makes a leaked token recognisable to secret scanners
 * (`vgl_pat_…` for API tokens, `vgl_setup_…` for setup tokens).
 */
export function generateSecretToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashSecretToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

export function secretTokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const TOKEN_PREFIX = {
  session: 'vgl_sess_',
  apiToken: 'vgl_pat_',
  setup: 'vgl_setup_',
  oneTime: 'vgl_otp_',
  csrf: 'vgl_csrf_',
  enrolment: 'vgl_enrol_',
} as const;

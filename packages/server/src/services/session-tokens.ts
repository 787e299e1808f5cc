import { createHmac } from 'node:crypto';
import { TOKEN_PREFIX, generateSecretToken, hashSecretToken } from '@vigil/core';

/**
 * A session is a 256-bit secret in an HttpOnly cookie; the database keeps
 * only its SHA-256. The CSRF token is derived from the session secret
 * (HMAC), so it needs no storage, changes with every session, and cannot be
 * computed by a page that cannot read the cookie (OWASP CSRF cheat sheet:
 * synchroniser token bound to the session).
 */
export interface NewSessionSecret {
  readonly token: string;
  readonly idHash: string;
  readonly csrfToken: string;
}

export function newSessionSecret(): NewSessionSecret {
  const token = generateSecretToken(TOKEN_PREFIX.session);
  return { token, idHash: hashSecretToken(token), csrfToken: csrfTokenFor(token) };
}

export function csrfTokenFor(sessionToken: string): string {
  return (
    TOKEN_PREFIX.csrf +
    createHmac('sha256', sessionToken).update('vigil/csrf/v1').digest('base64url')
  );
}

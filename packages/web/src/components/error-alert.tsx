import type { ApiError } from '../api/api-error.js';

/** What to tell a person about an error, with advice for the codes that need it. */
export function describeError(error: ApiError): string {
  switch (error.code) {
    case 'ERR_AUTH_LOCKED': {
      const seconds = error.retryAfterSeconds;
      const wait =
        seconds === null
          ? 'Wait a while before trying again.'
          : `Try again in ${formatDuration(seconds)}.`;
      return `This account is locked after too many failed attempts. ${wait}`;
    }
    case 'ERR_REQUEST_RATE_LIMITED': {
      const seconds = error.retryAfterSeconds;
      return seconds === null
        ? error.message
        : `${error.message} Try again in ${formatDuration(seconds)}.`;
    }
    case 'ERR_AUTH_ONE_TIME_TOKEN_INVALID':
      return 'This link is unknown, already used or expired. Ask an admin of your organisation for a new one.';
    case 'ERR_DEVICE_CA_MISSING':
      // Not a fault: a step nobody has taken yet. Pages that expect it show it as a note instead.
      return 'No device CA yet: an operator runs “vigil ca init” on the server.';
    case 'ERR_SETUP_TOKEN_INVALID':
      return 'The setup token is wrong, used or expired. Use the setup link printed when the server started.';
    default:
      if (error.status >= 500 && error.requestId) {
        return `${error.message} (Reference: ${error.requestId})`;
      }
      return error.message;
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'about a minute' : `about ${minutes} minutes`;
}

/**
 * The page's error region. It is always in the document, so screen readers
 * announce a message the moment it appears (role="alert").
 */
export function ErrorAlert({ error }: { readonly error: ApiError | string | null }) {
  const text = error === null ? null : typeof error === 'string' ? error : describeError(error);
  return (
    <div role="alert" className="alert-region">
      {text === null ? null : <p className="message message-error">{text}</p>}
    </div>
  );
}

/** A polite status message: `success` for what the person just did, `info` for news. */
export function Notice({
  children,
  tone = 'success',
}: {
  readonly children: string | null | undefined;
  readonly tone?: 'success' | 'info';
}) {
  return (
    <div role="status" className="status-region">
      {children ? <p className={`message message-${tone}`}>{children}</p> : null}
    </div>
  );
}

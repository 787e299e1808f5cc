/**
 * Session lifetime: an idle timeout (automatic log-off, MDS2 ALOF) and an
 * absolute lifetime after which the person must sign in again whatever they
 * did (NIST SP 800-63B §2.2.3 / §5.2 reauthentication).
 */
export interface SessionTimes {
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

export interface SessionPolicy {
  /** Idle timeout in ms. */
  readonly idleMs: number;
  /** Absolute lifetime in ms. */
  readonly absoluteMs: number;
}

export type SessionVerdict = 'valid' | 'idle-expired' | 'absolute-expired';

export function sessionVerdict(
  times: SessionTimes,
  policy: SessionPolicy,
  now: number,
): SessionVerdict {
  if (now - times.createdAt >= policy.absoluteMs) return 'absolute-expired';
  if (now - times.lastSeenAt >= policy.idleMs) return 'idle-expired';
  return 'valid';
}

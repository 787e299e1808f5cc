import type { AuditEventType } from './event-types.js';

/** Who did it. `anonymous` is a caller not (yet) authenticated, e.g. a failed sign-in. */
export type AuditActor =
  | { readonly kind: 'user'; readonly userId: string; readonly tokenId?: string }
  | { readonly kind: 'anonymous'; readonly claimedEmail?: string }
  | { readonly kind: 'system' };

export type AuditValue = string | number | boolean | null;

/** An audit event as a caller records it; the store assigns id, sequence and time. */
export interface AuditEventInput {
  readonly type: AuditEventType;
  readonly outcome: 'success' | 'failure';
  /** The tenant the event belongs to; null for server-wide events (setup, config). */
  readonly organisationId: string | null;
  readonly actor: AuditActor;
  /** What the act was done to, e.g. `{ kind: 'user', id }`. */
  readonly target?: { readonly kind: string; readonly id: string };
  readonly sourceIp?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  /** Flat facts only, and never a secret: no passwords, tokens, codes or keys. */
  readonly details?: Readonly<Record<string, AuditValue>>;
}

/** A recorded audit event. `sequence` is strictly increasing across the store. */
export interface AuditEvent extends AuditEventInput {
  readonly id: string;
  readonly sequence: number;
  readonly occurredAt: number;
}

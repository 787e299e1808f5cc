import type { P256PublicJwk, PublicEcJwk } from '@vigil/protect';

/**
 * What the care-team commands need from the Vigil server: the operator API of
 * one care organisation (docs/telemetry.md "Operator API"), as seen from a
 * member's machine. The server stores public keys, signed manifests and
 * wrapped keys only; everything here that is secret is a JWE it cannot open.
 * `HttpsCareApi` speaks it over HTTPS; tests use an in-memory fake.
 */

/** A member's registered public key (`GET member-keys`). */
export interface MemberKeyRecord {
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly role: string;
  readonly kid: string;
  readonly publicJwk: PublicEcJwk;
}

/** The current signed key manifest (`GET key-manifest`). */
export interface PublishedManifest {
  /** Compact JWS (ES256); trust its payload only after `verifyManifest`. */
  readonly jws: string;
  readonly signingPublicJwk: P256PublicJwk;
  readonly signingKeyFingerprint: string;
  readonly version: number;
  readonly epoch: number;
}

/** One epoch's wrapped team key (`GET team-keys`). */
export interface TeamKeyRecord {
  readonly epoch: number;
  /** General JSON JWE, `typ` `vigil-team-key+jwe`. */
  readonly jwe: unknown;
}

/** A gateway's wrapped data key (`GET data-keys?kid=…`). */
export interface DataKeyRecord {
  readonly kid: string;
  readonly epoch: number;
  readonly deviceId: string;
  /** General JSON JWE, `typ` `vigil-data-key+jwe`. */
  readonly jwe: unknown;
}

/** A device's latest staff copy of its pseudonym table (`GET pseudonym-tables`). */
export interface PseudonymTableRecord {
  readonly deviceId: string;
  readonly version: number;
  /** General JSON JWE, `typ` `vigil-pseudonym-table+jwe`. */
  readonly jwe: unknown;
}

/** One stored batch: header metadata (claims until opened) and the ciphertext. */
export interface BatchRecord {
  readonly deviceId: string;
  readonly sequence: number;
  readonly pseudonym: string;
  readonly epoch: number;
  readonly kid: string;
  /** The compact JWE, `typ` `vigil-batch+jwe`. */
  readonly jwe: string;
  /**
   * The enrolled device's ECDSA P-256 public key, which signed the batch. Not in
   * docs/telemetry.md yet: without it a batch cannot be verified and is refused.
   */
  readonly devicePublicJwk: P256PublicJwk | null;
}

export interface BatchQuery {
  readonly pseudonym?: string;
  /** Batches with readings at or after / at or before this time (epoch ms). */
  readonly from?: number;
  readonly to?: number;
  /** The `next` of the previous page. */
  readonly after?: string;
  readonly limit?: number;
}

export interface BatchPage {
  readonly batches: readonly BatchRecord[];
  /** Pass as `after` for the next page; null on the last one. */
  readonly next: string | null;
}

/** The operator API of one care organisation; every call may throw a VigilError from the server. */
export interface CareApi {
  readonly organisationId: string;
  /** `PUT member-keys/me`: registers (or replaces) the caller's own member key. */
  putMyMemberKey(publicJwk: PublicEcJwk): Promise<void>;
  /** `GET member-keys` (keys:manage or data:read). */
  listMemberKeys(): Promise<MemberKeyRecord[]>;
  /** `GET key-manifest`; null before the first (404). */
  getKeyManifest(): Promise<PublishedManifest | null>;
  /** `PUT key-manifest` (keys:manage). */
  putKeyManifest(jws: string, signingPublicJwk: P256PublicJwk): Promise<void>;
  /** `PUT team-keys/:epoch` (keys:manage): stores or replaces an epoch's wrapped team key. */
  putTeamKey(epoch: number, jwe: unknown): Promise<void>;
  /** `GET team-keys`. */
  listTeamKeys(): Promise<TeamKeyRecord[]>;
  /** `PUT pseudonym-secret` (keys:manage). */
  putPseudonymSecret(jwe: unknown): Promise<void>;
  /** `GET pseudonym-secret`; null before the first (404). */
  getPseudonymSecret(): Promise<unknown>;
  /** `GET data-keys?kid=…`: the wrapped data keys among `kids` that the server holds. */
  listDataKeys(kids: readonly string[]): Promise<DataKeyRecord[]>;
  /** `GET pseudonym-tables` (data:read). */
  listPseudonymTables(): Promise<PseudonymTableRecord[]>;
  /** `GET batches` (data:read): one page, oldest first. */
  listBatches(query: BatchQuery): Promise<BatchPage>;
}

import type { Role } from '@vigil/core';

/**
 * The protected-telemetry half of the store seam (docs/telemetry.md): public
 * member keys, the signed key manifest and its pinned signing key, wrapped
 * keys, sealed pseudonym tables and the batches. Every key is public or a
 * JWE the server cannot open. `Store` extends this interface;
 * `queries/telemetry-key-queries.ts` and `queries/batch-queries.ts` implement it.
 */

/** A JSON object exactly as the client sent it (a public JWK, a General JSON JWE). */
export type JsonObject = object;

/** An uploaded General JSON JWE, as far as the server reads it (its protected header). */
export interface SealedUpload {
  readonly protected?: string;
  readonly recipients?: readonly unknown[];
}

export interface MemberKeyRow {
  readonly organisationId: string;
  readonly userId: string;
  /** RFC 7638 thumbprint of `publicJwk`. */
  readonly kid: string;
  readonly publicJwk: JsonObject;
  readonly registeredAt: number;
}

/** A member key with who holds it (current members only). */
export interface MemberKeyView extends MemberKeyRow {
  readonly email: string;
  readonly displayName: string;
  readonly role: Role;
}

/** The manifest-signing public key, fixed by the first manifest an organisation publishes. */
export interface ManifestSigningKeyRow {
  readonly organisationId: string;
  readonly publicJwk: JsonObject;
  /** RFC 7638 SHA-256 thumbprint of the key (base64url): the manifest JWS `kid`. */
  readonly fingerprint: string;
  readonly pinnedAt: number;
}

export interface KeyManifestRow {
  readonly organisationId: string;
  readonly version: number;
  readonly epoch: number;
  /** The compact JWS as the admin signed it. */
  readonly jws: string;
  readonly signingPublicJwk: JsonObject;
  readonly signingKeyFingerprint: string;
  readonly createdAt: number;
}

/** A team epoch's private key wrapped to its members and the recovery key. */
export interface TeamKeyRow {
  readonly organisationId: string;
  readonly epoch: number;
  readonly jwe: JsonObject;
  readonly updatedAt: number;
}

/** The staff copy of the pseudonym secret, wrapped to a team epoch and the recovery key. */
export interface PseudonymSecretRow {
  readonly organisationId: string;
  readonly epoch: number;
  readonly jwe: JsonObject;
  readonly updatedAt: number;
}

/** A gateway's epoch data key, wrapped to the team epoch and the recovery key. */
export interface DataKeyRow {
  readonly kid: string;
  readonly organisationId: string;
  readonly epoch: number;
  /** The device that uploaded it. */
  readonly deviceId: string;
  readonly jwe: JsonObject;
  /** Hex SHA-256 of the stored JSON: the same upload again is a duplicate, other bytes a conflict. */
  readonly sha256: string;
  readonly createdAt: number;
}

/** A device's latest staff copy of its pseudonym table. */
export interface PseudonymTableRow {
  readonly deviceId: string;
  readonly organisationId: string;
  /** 1 for the first upload, +1 for each later one. */
  readonly version: number;
  readonly jwe: JsonObject;
  readonly updatedAt: number;
}

/** One protected batch and the metadata its header shows without decryption. */
export interface BatchRow {
  readonly id: string;
  readonly organisationId: string;
  readonly deviceId: string;
  readonly sequence: number;
  readonly pseudonym: string;
  readonly epoch: number;
  readonly kid: string;
  /** First and last reading time, epoch ms. */
  readonly fromAt: number;
  readonly toAt: number;
  /** When the gateway made the batch, epoch ms. */
  readonly createdAt: number;
  readonly receivedAt: number;
  /** Length of the compact JWE in bytes. */
  readonly size: number;
  /** Hex SHA-256 of the compact JWE. */
  readonly sha256: string;
  readonly jwe: string;
  /**
   * The P-256 public key of the client certificate the batch arrived with (the key
   * that signed it, if the device is honest), or null for a key of another kind.
   */
  readonly devicePublicJwk: JsonObject | null;
}

/** Where a page of batches starts: after this (fromAt, id) in (fromAt, id) order. */
export interface BatchCursor {
  readonly fromAt: number;
  readonly id: string;
}

export interface BatchQuery {
  readonly organisationId: string;
  readonly pseudonym?: string;
  /** Batches whose [fromAt, toAt] overlaps [from, to] (either bound optional). */
  readonly from?: number;
  readonly to?: number;
  readonly after?: BatchCursor;
  readonly limit: number;
}

export interface PseudonymSummary {
  readonly pseudonym: string;
  readonly batches: number;
  /** Earliest reading time, epoch ms. */
  readonly first: number;
  /** Latest reading time, epoch ms. */
  readonly last: number;
}

export interface RetentionPolicyRow {
  readonly organisationId: string;
  readonly days: number;
  readonly updatedAt: number;
}

export interface TelemetryStore {
  /** Registers or replaces a person's member key in an organisation. */
  putMemberKey(row: MemberKeyRow): Promise<void>;
  /** Keys of the organisation's current members, by email. */
  listMemberKeys(organisationId: string): Promise<MemberKeyView[]>;

  getManifestSigningKey(organisationId: string): Promise<ManifestSigningKeyRow | undefined>;
  /** Pins the signing key; ERR_CONFLICT when one is pinned already (two first uploads racing). */
  pinManifestSigningKey(row: ManifestSigningKeyRow): Promise<void>;
  /** ERR_CONFLICT when this version exists already. */
  insertKeyManifest(row: KeyManifestRow): Promise<void>;
  /** The highest version. */
  getLatestKeyManifest(organisationId: string): Promise<KeyManifestRow | undefined>;

  putTeamKey(row: TeamKeyRow): Promise<void>;
  listTeamKeys(organisationId: string): Promise<TeamKeyRow[]>;

  putPseudonymSecret(row: PseudonymSecretRow): Promise<void>;
  getPseudonymSecret(organisationId: string): Promise<PseudonymSecretRow | undefined>;

  /** Stores a data key unless its kid exists; returns whether it was stored. */
  insertDataKey(row: DataKeyRow): Promise<boolean>;
  getDataKey(kid: string): Promise<DataKeyRow | undefined>;
  /** An organisation's data keys by kid, optionally one kid, after a kid (paging). */
  listDataKeys(
    organisationId: string,
    options: { kid?: string; afterKid?: string; limit: number },
  ): Promise<DataKeyRow[]>;

  /** Replaces a device's staff copy of its pseudonym table; returns the new version. */
  putPseudonymTable(row: Omit<PseudonymTableRow, 'version'>): Promise<number>;
  listPseudonymTables(organisationId: string): Promise<PseudonymTableRow[]>;

  /**
   * Stores a batch unless (device, sequence) exists, in one statement
   * (`INSERT … ON CONFLICT DO NOTHING`); returns whether it was stored.
   */
  insertBatch(row: BatchRow): Promise<boolean>;
  /**
   * `insertBatch` for each row, as one statement (group commit); one result per row. Of two
   * rows with the same (device, sequence), at most one is stored.
   */
  insertBatches(rows: readonly BatchRow[]): Promise<boolean[]>;
  /** The SHA-256 of the batch stored under (device, sequence), if any. */
  getBatchDigest(deviceId: string, sequence: number): Promise<string | undefined>;
  /** Oldest first by (fromAt, id). */
  listBatches(query: BatchQuery): Promise<BatchRow[]>;
  /** Pseudonyms with batches, by pseudonym, after one (paging). */
  listPseudonyms(
    organisationId: string,
    options: { afterPseudonym?: string; limit: number },
  ): Promise<PseudonymSummary[]>;
  /** Deletes up to `limit` batches whose readings all ended before `before`; returns how many. */
  deleteBatchesEndingBefore(organisationId: string, before: number, limit: number): Promise<number>;

  getRetentionPolicy(organisationId: string): Promise<RetentionPolicyRow | undefined>;
  putRetentionPolicy(row: RetentionPolicyRow): Promise<void>;
}

import {
  PseudonymTable,
  derivePseudonymKey,
  openTableForGateway,
  pseudonymFor,
  sealTableForGateway,
  sealTableForStaff,
  type KeyManifestPayload,
} from '@vigil/protect';
import { manifestRecipients } from './manifest-trust.js';
import type { GeneralJwe, StaffCopyState } from './telemetry-state.js';
import { deriveTableStorageKey, type WebCryptoKey } from './table-storage-key.js';

/** How patients are pseudonymised on this gateway (ISO 25237: one domain and key version). */
export interface PseudonymSettings {
  /** The care organisation's secret, ≥ 32 bytes; only derived keys are kept. */
  readonly secret: Uint8Array;
  readonly domain: string;
  readonly version: number;
  /** Overrides the key derived from `secret` for the gateway copy of the table. */
  readonly tableStorageKey?: WebCryptoKey;
}

/** A patient as the gateway knows them after `remember`. */
export interface KnownPatient {
  readonly pseudonym: string;
  /** P1, P2 … in order of first sight on this gateway. */
  readonly label: string;
  /** True when this call added the patient to the table. */
  readonly added: boolean;
}

/**
 * The gateway's pseudonyms and its re-identification table (ADR 0008): keyed
 * HMAC pseudonyms under a key derived from the care organisation's secret, and
 * a `PseudonymTable` of pseudonym ↔ identifier with display labels, sealed for
 * the gateway's own storage and, as a staff copy, to the team and recovery
 * keys of the manifest in force. No I/O: the caller stores what it seals.
 *
 * @example
 * const pseudonyms = await GatewayPseudonyms.create({ secret, domain: 'telemetry', version: 1 });
 * const pseudonym = await pseudonyms.pseudonymOf('MRN 0042');
 * const { label, added } = pseudonyms.remember(pseudonym, 'MRN 0042'); // 'P1', true
 */
export class GatewayPseudonyms {
  readonly #key: WebCryptoKey;
  readonly #version: number;
  readonly #storageKey: WebCryptoKey;
  #table = new PseudonymTable();

  private constructor(key: WebCryptoKey, version: number, storageKey: WebCryptoKey) {
    this.#key = key;
    this.#version = version;
    this.#storageKey = storageKey;
  }

  /** @throws VigilError ERR_PROTECT_PARAMETERS_INVALID (secret, domain or version). */
  static async create(settings: PseudonymSettings): Promise<GatewayPseudonyms> {
    const key = await derivePseudonymKey(settings.secret, settings.domain, settings.version);
    const storageKey = settings.tableStorageKey ?? (await deriveTableStorageKey(settings.secret));
    return new GatewayPseudonyms(key, settings.version, storageKey);
  }

  /** Patients in the table. */
  get size(): number {
    return this.#table.size;
  }

  /** The patient's pseudonym (HMAC-SHA256, `p<version>_…`); nothing is recorded. */
  pseudonymOf(patientId: string): Promise<string> {
    return pseudonymFor(this.#key, this.#version, patientId);
  }

  /** Records the patient in the table (in memory) and returns their label. */
  remember(pseudonym: string, patientId: string): KnownPatient {
    const before = this.#table.size;
    const entry = this.#table.record(pseudonym, patientId);
    return { pseudonym, label: entry.label, added: this.#table.size > before };
  }

  /** Replaces the table with the stored gateway copy. */
  async load(sealed: string, organisationId: string): Promise<void> {
    this.#table = await openTableForGateway(sealed, this.#storageKey, organisationId);
  }

  /** The gateway copy: compact JWE, `dir` + A256GCM under the table storage key. */
  sealForGateway(organisationId: string): Promise<string> {
    return sealTableForGateway(this.#table, this.#storageKey, organisationId);
  }

  /**
   * The staff copy for the manifest in force (team key of its epoch and the
   * recovery key), and what it covers, to compare with the copy last uploaded.
   */
  async sealForStaff(
    manifest: KeyManifestPayload,
  ): Promise<{ jwe: GeneralJwe; state: StaffCopyState }> {
    const entries = this.#table.size;
    const jwe = await sealTableForStaff(this.#table, {
      organisationId: manifest.organisationId,
      teamPublicJwk: manifest.teamPublicJwk,
      recoveryPublicJwk: manifest.recoveryPublicJwk,
    });
    return { jwe, state: { entries, recipients: await manifestRecipients(manifest) } };
  }

  /** Whether the staff copy the server has is out of date (new patients, new keys). */
  async staffCopyStale(
    uploaded: StaffCopyState | null,
    manifest: KeyManifestPayload,
  ): Promise<boolean> {
    if (this.#table.size === 0) return false;
    return (
      uploaded === null ||
      uploaded.entries < this.#table.size ||
      uploaded.recipients !== (await manifestRecipients(manifest))
    );
  }
}

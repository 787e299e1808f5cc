import { VigilError } from '@vigil/core/errors';
import { unwrapDataKey } from '@vigil/protect';
import type { PrivateEcJwk } from '@vigil/protect';
import { ApiError } from '../api/api-error.js';
import type { WrappedDataKey, WrappedTeamKey } from '../api/types.js';
import type { MemberKey } from '../keystore/member-key.js';
import type { TelemetrySource } from './telemetry-source.js';

/** An unwrapped data key (AES-256-GCM, non-extractable), as `openBatch` takes it. */
type DataCryptoKey = Awaited<ReturnType<typeof unwrapDataKey>>['key'];

/**
 * The key hierarchy of ADR 0008/0009 as one clinician walks it down: member key →
 * team key of an epoch → data key of a gateway → batches. Each wrapped key is fetched
 * and unwrapped at most once per page; a failure (not a recipient, tampered JWE) is
 * remembered too, so every batch that needs that key reports the same code.
 *
 * The server's metadata (which epoch a data key claims) is only a hint: protect
 * checks organisation, epoch and kid inside every JWE's protected header.
 */
export class TeamKeyring {
  readonly #member: MemberKey;
  readonly #source: TelemetrySource;
  #wrappedTeamKeys: Promise<ReadonlyMap<number, WrappedTeamKey>> | undefined;
  readonly #teamKeys = new Map<number, Promise<PrivateEcJwk>>();
  readonly #wrappedDataKeys = new Map<string, WrappedDataKey>();
  readonly #dataKeys = new Map<string, Promise<DataCryptoKey | undefined>>();

  constructor(member: MemberKey, source: TelemetrySource) {
    this.#member = member;
    this.#source = source;
  }

  get organisationId(): string {
    return this.#member.organisationId;
  }

  /** Every epoch the server stores a wrapped team key for, in order. */
  async epochs(): Promise<number[]> {
    return [...(await this.#wrappedTeams()).keys()].sort((a, b) => a - b);
  }

  /**
   * The team private key of an epoch. Throws ERR_BATCH_KEY_UNKNOWN when the server
   * has none, else what `unwrapTeamKey` throws (ERR_PROTECT_NOT_A_RECIPIENT when this
   * member was not given that epoch).
   */
  teamKey(epoch: number): Promise<PrivateEcJwk> {
    let key = this.#teamKeys.get(epoch);
    if (key === undefined) {
      key = this.#unwrapTeam(epoch);
      this.#teamKeys.set(epoch, key);
      // A key that cannot be unwrapped stays failed; a request that failed is tried again.
      key.catch((error: unknown) => {
        if (error instanceof ApiError) this.#teamKeys.delete(epoch);
      });
    }
    return key;
  }

  /**
   * Fetches the wrapped data keys of these kids in one go (those not fetched yet).
   * A failed request rejects: that is the page's error, not a batch's.
   */
  async fetchDataKeys(kids: Iterable<string>): Promise<void> {
    const missing = [...new Set(kids)].filter((kid) => !this.#wrappedDataKeys.has(kid));
    if (missing.length === 0) return;
    for (const wrapped of await this.#source.dataKeys(missing)) {
      this.#wrappedDataKeys.set(wrapped.kid, wrapped);
    }
  }

  /**
   * The data key `kid` names, for `openBatch`'s `dataKeys`: undefined when the server
   * gave none (openBatch then refuses with ERR_BATCH_KEY_UNKNOWN); a team-key or
   * unwrap failure is thrown with its own code.
   */
  dataKey(kid: string): Promise<DataCryptoKey | undefined> {
    let key = this.#dataKeys.get(kid);
    if (key === undefined) {
      key = this.#unwrapData(kid);
      this.#dataKeys.set(kid, key);
      key.catch((error: unknown) => {
        if (error instanceof ApiError) this.#dataKeys.delete(kid);
      });
    }
    return key;
  }

  #wrappedTeams(): Promise<ReadonlyMap<number, WrappedTeamKey>> {
    if (this.#wrappedTeamKeys === undefined) {
      const loading = this.#source
        .teamKeys()
        .then((list) => new Map(list.map((wrapped) => [wrapped.epoch, wrapped])));
      loading.catch(() => {
        if (this.#wrappedTeamKeys === loading) this.#wrappedTeamKeys = undefined;
      });
      this.#wrappedTeamKeys = loading;
    }
    return this.#wrappedTeamKeys;
  }

  async #unwrapTeam(epoch: number): Promise<PrivateEcJwk> {
    const wrapped = (await this.#wrappedTeams()).get(epoch);
    if (wrapped === undefined) {
      throw new VigilError('ERR_BATCH_KEY_UNKNOWN', `No team key of epoch ${epoch} is stored.`, {
        details: { epoch },
      });
    }
    return this.#member.unwrapTeamKey(wrapped.jwe, {
      organisationId: this.organisationId,
      epoch,
    });
  }

  async #unwrapData(kid: string): Promise<DataCryptoKey | undefined> {
    const wrapped = this.#wrappedDataKeys.get(kid);
    if (wrapped === undefined) return undefined;
    const teamKey = await this.teamKey(wrapped.epoch);
    const context = { organisationId: this.organisationId, epoch: wrapped.epoch, kid };
    return (await unwrapDataKey(wrapped.jwe, teamKey, context)).key;
  }
}

import { VigilError } from '@vigil/core';
import {
  keyIdOf,
  unwrapTeamKey,
  verifyManifest,
  type KeyManifestPayload,
  type P256PublicJwk,
  type PrivateEcJwk,
} from '@vigil/protect';
import type { CareApi, TeamKeyRecord } from './care-api.js';

/** The team keys one private key opens, by epoch and by kid. */
export class TeamKeyring {
  readonly #byEpoch = new Map<number, PrivateEcJwk>();
  readonly #byKid = new Map<string, { epoch: number; key: PrivateEcJwk }>();

  constructor(readonly organisationId: string) {}

  async add(epoch: number, key: PrivateEcJwk): Promise<void> {
    this.#byEpoch.set(epoch, key);
    this.#byKid.set(await keyIdOf(key), { epoch, key });
  }

  epochs(): number[] {
    return [...this.#byEpoch.keys()].sort((a, b) => a - b);
  }

  get(epoch: number): PrivateEcJwk | undefined {
    return this.#byEpoch.get(epoch);
  }

  /** The epoch's team key, or ERR_PROTECT_NOT_A_RECIPIENT: a grant or a recovery is needed. */
  require(epoch: number): PrivateEcJwk {
    const key = this.#byEpoch.get(epoch);
    if (key === undefined) {
      throw new VigilError(
        'ERR_PROTECT_NOT_A_RECIPIENT',
        `Your member key cannot open team epoch ${epoch}; ask the admin for \`vigil keys grant\` (or the custodians for \`vigil keys recover\`).`,
        { details: { epoch } },
      );
    }
    return key;
  }

  /** The team key among the recipients of a General JSON JWE, if this keyring holds one. */
  forRecipientOf(jwe: unknown): { epoch: number; key: PrivateEcJwk } | undefined {
    for (const kid of recipientKids(jwe)) {
      const found = this.#byKid.get(kid);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/**
 * Unwraps every epoch `privateJwk` is a recipient of (a member key, or the
 * rebuilt recovery key). Epochs it is not addressed to are skipped: a member who
 * joined later, or was removed, simply lacks them. Anything else is an error.
 */
export async function unlockTeamKeys(
  organisationId: string,
  teamKeys: readonly TeamKeyRecord[],
  privateJwk: PrivateEcJwk,
): Promise<TeamKeyring> {
  const keyring = new TeamKeyring(organisationId);
  const kid = await keyIdOf(privateJwk);
  for (const { epoch, jwe } of teamKeys) {
    if (!recipientKids(jwe).includes(kid)) continue;
    await keyring.add(epoch, await unwrapTeamKey(jwe, privateJwk, { organisationId, epoch }));
  }
  return keyring;
}

/** The `kid`s of a General JSON JWE's recipients (RFC 7516 §7.2.1), read without decrypting. */
export function recipientKids(jwe: unknown): string[] {
  const recipients = (jwe as { recipients?: unknown } | null)?.recipients;
  if (!Array.isArray(recipients)) return [];
  return recipients.flatMap((r: unknown) => {
    const kid = (r as { header?: { kid?: unknown } } | null)?.header?.kid;
    return typeof kid === 'string' ? [kid] : [];
  });
}

/** The current manifest, verified; with how its signing key came to be trusted. */
export interface TrustedManifest {
  readonly payload: KeyManifestPayload;
  readonly signingPublicJwk: P256PublicJwk;
  /** RFC 7638 thumbprint of the signing key: what is published out of band. */
  readonly signingKeyFingerprint: string;
  /** `keystore`: checked against the admin's own key; `server`: as the server relayed it. */
  readonly pinnedBy: 'keystore' | 'server';
}

/**
 * Fetches the current key manifest and verifies it: under the signing key in
 * the caller's keystore when there is one (so a server cannot substitute its
 * own manifest), else under the key the server relays (trust on first use:
 * compare the fingerprint with the one the organisation published).
 *
 * @throws VigilError ERR_NOT_FOUND before the first manifest; ERR_MANIFEST_* when it does not verify.
 */
export async function trustedManifest(
  api: CareApi,
  now: Date,
  pinned?: P256PublicJwk,
): Promise<TrustedManifest> {
  const published = await api.getKeyManifest();
  if (published === null) {
    throw new VigilError(
      'ERR_NOT_FOUND',
      'The organisation has no key manifest yet; its admin runs `vigil keys setup` first.',
    );
  }
  const signingPublicJwk = pinned ?? published.signingPublicJwk;
  const payload = await verifyManifest(
    published.jws,
    { organisationId: api.organisationId, signingPublicJwk, lastAcceptedVersion: null },
    now,
  );
  return {
    payload,
    signingPublicJwk,
    signingKeyFingerprint: await keyIdOf(signingPublicJwk),
    pinnedBy: pinned === undefined ? 'server' : 'keystore',
  };
}

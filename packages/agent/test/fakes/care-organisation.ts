import { createPublicKey } from 'node:crypto';
import {
  generateKeyPair,
  generateSigningKeyPair,
  newEpoch,
  openBatch,
  openTableForStaff,
  signManifest,
  structureOfBatch,
  unwrapDataKey,
  unwrapTeamKey,
  type EcKeyPair,
  type KeyManifestPayload,
  type OpenedBatch,
  type P256PublicJwk,
  type PseudonymTable,
  type SigningKeyPair,
  type TeamEpoch,
} from '@vigil/protect';
import type { FakeTelemetryRoutes, ManifestResponse } from './fake-telemetry-routes.js';

/**
 * A care organisation as the telemetry tests need it: its admin's manifest
 * signing key, a member (alice), the recovery key and team epochs; it signs
 * manifests and reads what gateways upload, by the team path (member key →
 * team key → data key → batch) or the recovery path (recovery key → data key).
 */
export class CareOrganisation {
  readonly epochs: TeamEpoch[] = [];

  private constructor(
    readonly organisationId: string,
    readonly admin: SigningKeyPair,
    readonly alice: EcKeyPair,
    readonly recovery: EcKeyPair,
  ) {}

  static async create(organisationId = 'org-st-mary'): Promise<CareOrganisation> {
    const [admin, alice, recovery] = await Promise.all([
      generateSigningKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
    ]);
    const organisation = new CareOrganisation(organisationId, admin, alice, recovery);
    await organisation.rotate();
    return organisation;
  }

  get epoch(): TeamEpoch {
    const current = this.epochs.at(-1);
    if (current === undefined) throw new Error('no epoch');
    return current;
  }

  /** A new team epoch (e.g. after a member left). */
  async rotate(): Promise<TeamEpoch> {
    const epoch = await newEpoch({
      organisationId: this.organisationId,
      previousEpoch: this.epochs.length,
      memberPublicJwks: [this.alice.publicJwk],
      recoveryPublicJwk: this.recovery.publicJwk,
    });
    this.epochs.push(epoch);
    return epoch;
  }

  /** The manifest payload of the current epoch. */
  payload(version: number, issuedAt: number): KeyManifestPayload {
    return {
      typ: 'vigil-key-manifest',
      organisationId: this.organisationId,
      version,
      issuedAt: new Date(issuedAt).toISOString(),
      epoch: this.epoch.epoch,
      teamPublicJwk: this.epoch.teamKey.publicJwk,
      recoveryPublicJwk: this.recovery.publicJwk,
      members: [{ kid: this.alice.kid, publicJwk: this.alice.publicJwk }],
    };
  }

  /** What the server answers for a manifest signed by the admin (or `signer`). */
  async answer(
    version: number,
    issuedAt: number,
    options: { payload?: Partial<KeyManifestPayload>; signer?: SigningKeyPair } = {},
  ): Promise<ManifestResponse> {
    const signer = options.signer ?? this.admin;
    const jws = await signManifest(
      { ...this.payload(version, issuedAt), ...options.payload },
      signer.privateJwk,
    );
    return { jws, signingPublicJwk: signer.publicJwk, signingKeyFingerprint: signer.kid };
  }

  /** Publishes a manifest on the (fake) server. */
  async publish(routes: FakeTelemetryRoutes, version: number, issuedAt: number): Promise<void> {
    routes.careOrganisationId = this.organisationId;
    routes.manifest = await this.answer(version, issuedAt);
  }

  /** Opens a stored batch the way a clinician's client does. */
  async read(
    jwe: string,
    routes: FakeTelemetryRoutes,
    devicePublicJwk: P256PublicJwk,
    path: 'team' | 'recovery' = 'team',
  ): Promise<OpenedBatch> {
    const { kid, epoch } = structureOfBatch(jwe);
    const wrapped = routes.dataKeys.get(kid);
    if (wrapped === undefined) throw new Error(`the server has no data key ${kid}`);
    const context = { organisationId: this.organisationId, epoch };
    const unwrapping =
      path === 'team'
        ? await unwrapTeamKey(this.#epochNumbered(epoch).wrapped, this.alice.privateJwk, context)
        : this.recovery.privateJwk;
    const dataKey = await unwrapDataKey(JSON.parse(wrapped), unwrapping, { ...context, kid });
    return openBatch(jwe, {
      dataKeys: (k) => (k === kid ? dataKey.key : undefined),
      deviceVerificationKey: () => devicePublicJwk,
      expected: { organisationId: this.organisationId },
    });
  }

  /** Opens a device's staff copy of its pseudonym table with the team key of `epoch`. */
  async readTable(copy: unknown, epoch = this.epoch.epoch): Promise<PseudonymTable> {
    const team = await unwrapTeamKey(this.#epochNumbered(epoch).wrapped, this.alice.privateJwk, {
      organisationId: this.organisationId,
      epoch,
    });
    return openTableForStaff(copy, team, this.organisationId);
  }

  #epochNumbered(epoch: number): TeamEpoch {
    const found = this.epochs.find((e) => e.epoch === epoch);
    if (found === undefined) throw new Error(`no epoch ${epoch}`);
    return found;
  }
}

/** The device's public key from its certificate, as openBatch wants it. */
export function devicePublicJwk(certificatePem: string): P256PublicJwk {
  const { kty, crv, x, y } = createPublicKey(certificatePem).export({ format: 'jwk' });
  return { kty: kty as 'EC', crv: crv as 'P-256', x: x as string, y: y as string };
}

import {
  VigilError,
  actorOf,
  authorise,
  authoriseAny,
  isVigilError,
  type Clock,
  type Principal,
} from '@vigil/core';
import {
  PSEUDONYM_SECRET_JWE_TYPE,
  TEAM_KEY_JWE_TYPE,
  keyIdOf,
  signingKeyId,
  verifyManifest,
  type P256PublicJwk,
} from '@vigil/protect';
import { readSealedHeader } from '../telemetry/sealed-header.js';
import type { Store } from '../store/store.js';
import type {
  DataKeyRow,
  KeyManifestRow,
  MemberKeyRow,
  MemberKeyView,
  PseudonymSecretRow,
  SealedUpload,
  TeamKeyRow,
} from '../store/telemetry-store.js';
import type { AuditLog } from './audit-log.js';
import type { RequestContext } from './request-context.js';

/** The longest manifest accepted (characters): @vigil/protect's default for `verifyManifest`. */
export const MAX_MANIFEST_LENGTH = 256 * 1024;

export interface KeyDistributionServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/** What a caller sends to publish a manifest. */
export interface ManifestUpload {
  readonly jws: string;
  readonly signingPublicJwk: P256PublicJwk;
}

/**
 * The care organisation's key distribution through the server (ADR 0010 §2–3,
 * ADR 0011): members register their public keys, the admin publishes the
 * manifest they signed and the wrapped team keys and pseudonym secret, and
 * members fetch what they need to decrypt. The server checks signatures and
 * headers, pins the signing key at the first manifest, and stores; it never
 * sees a private key or a plaintext.
 */
export class KeyDistributionService {
  constructor(private readonly deps: KeyDistributionServiceDeps) {}

  /** Registers (or replaces) the caller's own member key: a P-256 ECDH public JWK. */
  async registerMemberKey(
    principal: Principal,
    organisationId: string,
    publicJwk: P256PublicJwk,
    context: RequestContext,
  ): Promise<MemberKeyRow> {
    authorise(principal, organisationId, 'org:read');
    if (principal.userId === null) {
      throw new VigilError('ERR_REQUEST_INVALID', 'Only a person has a member key.');
    }
    await assertOnCurve(publicJwk, 'ECDH');
    const row: MemberKeyRow = {
      organisationId,
      userId: principal.userId,
      kid: await keyIdOf(publicJwk),
      publicJwk: { ...publicJwk },
      registeredAt: this.deps.clock.now(),
    };
    await this.deps.store.transaction(async (tx) => {
      await tx.putMemberKey(row);
      await this.deps.audit.record(
        {
          type: 'telemetry.member-key.registered',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'user', id: row.userId },
          details: { kid: row.kid },
        },
        context,
        tx,
      );
    });
    return row;
  }

  async listMemberKeys(principal: Principal, organisationId: string): Promise<MemberKeyView[]> {
    authoriseAny(principal, organisationId, ['keys:manage', 'data:read']);
    return this.deps.store.listMemberKeys(organisationId);
  }

  /**
   * Publishes a manifest the care organisation's admin signed. The first one
   * pins the signing key given with it; every later one must verify under that
   * key (`verifyManifest`, the same check gateways make), name this
   * organisation and carry a higher version.
   *
   * @throws VigilError ERR_MANIFEST_* (as `verifyManifest`), ERR_MANIFEST_UNKNOWN_KEY
   *   (another signing key than the pinned one), ERR_REQUEST_INVALID (a key not on P-256).
   */
  async publishManifest(
    principal: Principal,
    organisationId: string,
    upload: ManifestUpload,
    context: RequestContext,
  ): Promise<KeyManifestRow> {
    authorise(principal, organisationId, 'keys:manage');
    const { store, clock, audit } = this.deps;
    const offered = { ...upload.signingPublicJwk };
    await assertOnCurve(offered, 'ECDSA');
    const offeredFingerprint = await signingKeyId(offered);
    const pinned = await store.getManifestSigningKey(organisationId);
    const current = await store.getLatestKeyManifest(organisationId);
    const refuse = async (failure: unknown): Promise<never> => {
      // verifyManifest reports a bad pin as a server fault; here the key came from the caller.
      const error =
        isVigilError(failure) && failure.code === 'ERR_MANIFEST_SIGNING_KEY'
          ? new VigilError('ERR_REQUEST_INVALID', failure.message, { cause: failure })
          : failure;
      await audit.record(
        {
          type: 'telemetry.manifest.refused',
          outcome: 'failure',
          organisationId,
          actor: actorOf(principal),
          details: {
            code: isVigilError(error) ? error.code : 'ERR_INTERNAL',
            signingKeyFingerprint: offeredFingerprint,
            pinnedFingerprint: pinned?.fingerprint ?? null,
          },
        },
        context,
      );
      throw error;
    };
    if (pinned && pinned.fingerprint !== offeredFingerprint) {
      return refuse(
        new VigilError(
          'ERR_MANIFEST_UNKNOWN_KEY',
          'The manifest must be signed with the key of the first manifest (its fingerprint is in GET key-manifest).',
          { details: { pinnedFingerprint: pinned.fingerprint } },
        ),
      );
    }
    let payload;
    try {
      payload = await verifyManifest(
        upload.jws,
        {
          organisationId,
          signingPublicJwk: (pinned?.publicJwk ?? offered) as unknown as P256PublicJwk,
          lastAcceptedVersion: current?.version ?? null,
        },
        new Date(clock.now()),
        { maxLength: MAX_MANIFEST_LENGTH },
      );
    } catch (error) {
      return refuse(error);
    }
    const row: KeyManifestRow = {
      organisationId,
      version: payload.version,
      epoch: payload.epoch,
      jws: upload.jws,
      signingPublicJwk: pinned?.publicJwk ?? offered,
      signingKeyFingerprint: offeredFingerprint,
      createdAt: clock.now(),
    };
    await store.transaction(async (tx) => {
      // Both writes fail with ERR_CONFLICT if another upload won a race (first pin, same version).
      if (!pinned) {
        await tx.pinManifestSigningKey({
          organisationId,
          publicJwk: offered,
          fingerprint: offeredFingerprint,
          pinnedAt: row.createdAt,
        });
      }
      await tx.insertKeyManifest(row);
      await audit.record(
        {
          type: 'telemetry.manifest.published',
          organisationId,
          actor: actorOf(principal),
          details: {
            version: row.version,
            epoch: row.epoch,
            members: payload.members.length,
            signingKeyFingerprint: offeredFingerprint,
            pinned: !pinned,
          },
        },
        context,
        tx,
      );
    });
    return row;
  }

  async currentManifest(principal: Principal, organisationId: string): Promise<KeyManifestRow> {
    authorise(principal, organisationId, 'org:read');
    const manifest = await this.deps.store.getLatestKeyManifest(organisationId);
    if (!manifest) {
      throw new VigilError('ERR_MANIFEST_NOT_FOUND', 'No key manifest has been published yet.');
    }
    return manifest;
  }

  /** Stores or replaces (after a grant or a recovery) the wrapped team key of an epoch. */
  async putTeamKey(
    principal: Principal,
    organisationId: string,
    epoch: number,
    jwe: SealedUpload,
    context: RequestContext,
  ): Promise<TeamKeyRow> {
    authorise(principal, organisationId, 'keys:manage');
    readSealedHeader(jwe.protected ?? '', { typ: TEAM_KEY_JWE_TYPE, organisationId, epoch });
    const row: TeamKeyRow = { organisationId, epoch, jwe, updatedAt: this.deps.clock.now() };
    await this.deps.store.transaction(async (tx) => {
      await tx.putTeamKey(row);
      await this.deps.audit.record(
        {
          type: 'telemetry.team-key.stored',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'team-epoch', id: String(epoch) },
          details: { epoch, recipients: recipientCount(jwe) },
        },
        context,
        tx,
      );
    });
    return row;
  }

  async listTeamKeys(principal: Principal, organisationId: string): Promise<TeamKeyRow[]> {
    authoriseAny(principal, organisationId, ['keys:manage', 'data:read']);
    return this.deps.store.listTeamKeys(organisationId);
  }

  /** Stores the staff copy of the pseudonym secret (wrapped to a team epoch and the recovery key). */
  async putPseudonymSecret(
    principal: Principal,
    organisationId: string,
    jwe: SealedUpload,
    context: RequestContext,
  ): Promise<PseudonymSecretRow> {
    authorise(principal, organisationId, 'keys:manage');
    const { epoch } = readSealedHeader(jwe.protected ?? '', {
      typ: PSEUDONYM_SECRET_JWE_TYPE,
      organisationId,
      epoch: 'required',
    });
    const row: PseudonymSecretRow = {
      organisationId,
      epoch: epoch ?? 0,
      jwe,
      updatedAt: this.deps.clock.now(),
    };
    await this.deps.store.transaction(async (tx) => {
      await tx.putPseudonymSecret(row);
      await this.deps.audit.record(
        {
          type: 'telemetry.pseudonym-secret.stored',
          organisationId,
          actor: actorOf(principal),
          details: { epoch: row.epoch },
        },
        context,
        tx,
      );
    });
    return row;
  }

  async pseudonymSecret(principal: Principal, organisationId: string): Promise<PseudonymSecretRow> {
    authoriseAny(principal, organisationId, ['keys:manage', 'data:read']);
    const row = await this.deps.store.getPseudonymSecret(organisationId);
    if (!row) throw new VigilError('ERR_NOT_FOUND', 'No pseudonym secret has been stored yet.');
    return row;
  }

  /** Wrapped data keys, by kid; one kid, or a page after one. */
  async listDataKeys(
    principal: Principal,
    organisationId: string,
    query: { kid?: string; after?: string; limit: number },
  ): Promise<DataKeyRow[]> {
    authoriseAny(principal, organisationId, ['keys:manage', 'data:read']);
    return this.deps.store.listDataKeys(organisationId, {
      ...(query.kid === undefined ? {} : { kid: query.kid }),
      ...(query.after === undefined ? {} : { afterKid: query.after }),
      limit: query.limit,
    });
  }
}

/** Refuses a JWK whose point is not on P-256 (an invalid-curve key), before it is stored or used. */
async function assertOnCurve(jwk: P256PublicJwk, algorithm: 'ECDH' | 'ECDSA'): Promise<void> {
  try {
    await globalThis.crypto.subtle.importKey(
      'jwk',
      { ...jwk },
      { name: algorithm, namedCurve: 'P-256' },
      true,
      algorithm === 'ECDH' ? [] : ['verify'],
    );
  } catch (cause) {
    throw new VigilError('ERR_REQUEST_INVALID', 'The key is not a point on P-256.', { cause });
  }
}

function recipientCount(jwe: SealedUpload): number {
  return Array.isArray(jwe.recipients) ? jwe.recipients.length : 0;
}

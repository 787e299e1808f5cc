import { randomUUID } from 'node:crypto';
import {
  TOKEN_PREFIX,
  VigilError,
  actorOf,
  authorise,
  generateSecretToken,
  hashSecretToken,
  isVigilError,
  type Clock,
  type Principal,
} from '@vigil/core';
import {
  hardwareSerialAllowList,
  newAttestationNonce,
  normaliseHardwareSerial,
  verifyAttestation,
  type AttestationEvidence,
} from '../attestation/index.js';
import {
  certificateFacts,
  issueDeviceCertificate,
  parseCsr,
  type IssuedCertificate,
  type ParsedCsr,
} from '../pki/index.js';
import type { DeviceModelRow, DeviceRow, EnrolmentTokenRow } from '../store/device-store.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import type { DeviceCaService } from './device-ca-service.js';
import type { RequestContext } from './request-context.js';

/** Attestation nonces are valid for five minutes and once. */
export const ATTESTATION_NONCE_TTL_MS = 5 * 60_000;
/** Enrolment tokens may live at most 30 days. */
export const MAX_ENROLMENT_TOKEN_HOURS = 30 * 24;

export type EnrolmentTokenView = Omit<EnrolmentTokenRow, 'tokenHash'>;

export interface EnrolmentServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly cas: DeviceCaService;
  /** Validity of issued device certificates, in days. */
  readonly certificateDays: number;
}

export interface EnrolmentRequest {
  readonly token: string;
  /** The EST CA label (organisation id) the device addressed, if any: must be the token's. */
  readonly organisationId?: string;
  /** The PKCS#10 CSR as EST sends it (base64 DER), PEM or DER. */
  readonly csr: string | Uint8Array;
  readonly hardwareRevision?: string;
  readonly attestation?: AttestationEvidence;
}

export interface Enrolled {
  readonly device: DeviceRow;
  readonly certificate: IssuedCertificate;
}

/**
 * Enrolment tokens and EST enrolment (RFC 7030 §4.2.1). The gateway keeps
 * its private key; the server sees only a CSR, checks its signature (proof
 * of possession), the token and — where the model demands it — genuine
 * hardware, then issues the certificate and registers the device. The token
 * use is consumed in the same transaction that registers the device.
 */
export class EnrolmentService {
  constructor(private readonly deps: EnrolmentServiceDeps) {}

  async createToken(
    principal: Principal,
    organisationId: string,
    input: {
      name: string;
      model: string;
      site?: string | null;
      count: number;
      expiresInHours: number;
      /** The care organisation the devices will report to: one this manufacturer serves. */
      careOrganisationId?: string | null;
    },
    context: RequestContext,
  ): Promise<{ token: string; view: EnrolmentTokenView }> {
    authorise(principal, organisationId, 'devices:manage');
    await this.deps.cas.chain(organisationId); // fails early with ERR_DEVICE_CA_MISSING
    const careOrganisationId = input.careOrganisationId ?? null;
    if (careOrganisationId !== null) {
      // docs/telemetry.md "Ownership": readings may only go to an organisation the manufacturer serves.
      const served = await this.deps.store.listOrganisationsServedBy(organisationId);
      if (!served.some((o) => o.id === careOrganisationId)) {
        throw new VigilError(
          'ERR_CARE_ORGANISATION_NOT_SERVED',
          'Name a care organisation this manufacturer serves (see GET …/served).',
          { details: { careOrganisationId } },
        );
      }
    }
    const now = this.deps.clock.now();
    const token = generateSecretToken(TOKEN_PREFIX.enrolment);
    const row = await this.deps.store.createEnrolmentToken({
      organisationId,
      tokenHash: hashSecretToken(token),
      name: input.name,
      model: input.model,
      site: input.site ?? null,
      usesTotal: input.count,
      createdAt: now,
      expiresAt: now + Math.min(input.expiresInHours, MAX_ENROLMENT_TOKEN_HOURS) * 3_600_000,
      createdBy: principal.userId,
      careOrganisationId,
    });
    await this.deps.audit.record(
      {
        type: 'device.enrolment-token-created',
        organisationId,
        actor: actorOf(principal),
        target: { kind: 'enrolment-token', id: row.id },
        details: {
          model: row.model,
          site: row.site,
          count: row.usesTotal,
          expiresAt: row.expiresAt,
          careOrganisationId: row.careOrganisationId,
        },
      },
      context,
    );
    return { token, view: tokenView(row) };
  }

  async listTokens(principal: Principal, organisationId: string): Promise<EnrolmentTokenView[]> {
    authorise(principal, organisationId, 'devices:read');
    return (await this.deps.store.listEnrolmentTokens(organisationId)).map(tokenView);
  }

  async revokeToken(
    principal: Principal,
    organisationId: string,
    tokenId: string,
    context: RequestContext,
  ): Promise<void> {
    authorise(principal, organisationId, 'devices:manage');
    const row = await this.deps.store.getEnrolmentToken(tokenId);
    if (row?.organisationId !== organisationId)
      throw new VigilError('ERR_NOT_FOUND', 'No such enrolment token.');
    await this.deps.store.revokeEnrolmentToken(tokenId, this.deps.clock.now());
    await this.deps.audit.record(
      {
        type: 'device.enrolment-token-revoked',
        organisationId,
        actor: actorOf(principal),
        target: { kind: 'enrolment-token', id: tokenId },
      },
      context,
    );
  }

  async listModels(principal: Principal, organisationId: string): Promise<DeviceModelRow[]> {
    authorise(principal, organisationId, 'devices:read');
    return this.deps.store.listDeviceModels(organisationId);
  }

  /** Sets a model's attestation policy; vendor roots must be certificates that can sign (CA:true). */
  async putModel(
    principal: Principal,
    organisationId: string,
    name: string,
    input: { attestationRequired: boolean; vendorRootsPem: string[] },
    context: RequestContext,
  ): Promise<DeviceModelRow> {
    authorise(principal, organisationId, 'devices:manage');
    for (const pem of input.vendorRootsPem) {
      try {
        certificateFacts(pem);
      } catch (cause) {
        throw new VigilError(
          'ERR_REQUEST_INVALID',
          'Every vendor root must be one PEM certificate.',
          { cause },
        );
      }
    }
    if (input.attestationRequired && input.vendorRootsPem.length === 0) {
      throw new VigilError(
        'ERR_REQUEST_INVALID',
        'Attestation needs at least one trusted vendor root.',
      );
    }
    const model = await this.deps.store.putDeviceModel({
      organisationId,
      name,
      ...input,
      createdAt: this.deps.clock.now(),
    });
    await this.deps.audit.record(
      {
        type: 'device.model-configured',
        organisationId,
        actor: actorOf(principal),
        target: { kind: 'device-model', id: model.id },
        details: {
          name,
          attestationRequired: input.attestationRequired,
          vendorRoots: input.vendorRootsPem.length,
        },
      },
      context,
    );
    return model;
  }

  async addBatch(
    principal: Principal,
    organisationId: string,
    name: string,
    input: { batch: string; serials: string[] },
    context: RequestContext,
  ): Promise<number> {
    authorise(principal, organisationId, 'devices:manage');
    const model = await this.deps.store.getDeviceModel(organisationId, name);
    if (!model) throw new VigilError('ERR_NOT_FOUND', 'No such device model; set it first.');
    const added = await this.deps.store.addAllowedSerials(
      model.id,
      input.batch,
      input.serials.map(normaliseHardwareSerial),
    );
    await this.deps.audit.record(
      {
        type: 'device.model-configured',
        organisationId,
        actor: actorOf(principal),
        target: { kind: 'device-model', id: model.id },
        details: { name, batch: input.batch, serialsAdded: added },
      },
      context,
    );
    return added;
  }

  /** A fresh attestation nonce for the holder of a live enrolment token (not consumed by this). */
  async attestationNonce(token: string): Promise<{ nonce: string; expiresAt: number }> {
    const row = await this.#liveToken(token);
    const nonce = newAttestationNonce();
    const expiresAt = this.deps.clock.now() + ATTESTATION_NONCE_TTL_MS;
    await this.deps.store.putAttestationNonce({
      nonceHash: hashSecretToken(nonce),
      organisationId: row.organisationId,
      expiresAt,
    });
    return { nonce, expiresAt };
  }

  async enrol(request: EnrolmentRequest, context: RequestContext): Promise<Enrolled> {
    const { store, clock, audit, cas } = this.deps;
    const token = await this.#liveToken(request.token).catch(async (error: unknown) => {
      await audit.record(
        {
          type: 'device.enrolment-refused',
          outcome: 'failure',
          actor: { kind: 'anonymous' },
          details: { code: codeOf(error) },
        },
        context,
      );
      throw error;
    });
    if (request.organisationId !== undefined && request.organisationId !== token.organisationId) {
      // A token is bound to its organisation: it cannot enrol a device into another one.
      await audit.record(
        {
          type: 'device.enrolment-refused',
          outcome: 'failure',
          organisationId: request.organisationId,
          actor: { kind: 'anonymous' },
          details: { code: 'ERR_ENROLMENT_TOKEN_INVALID', reason: 'other-organisation' },
        },
        context,
      );
      throw new VigilError(
        'ERR_ENROLMENT_TOKEN_INVALID',
        'The enrolment token is unknown, used up, revoked or expired.',
      );
    }
    const refuse = async (
      error: unknown,
      type: 'device.enrolment-refused' | 'device.attestation-failed' = 'device.enrolment-refused',
    ) => {
      await audit.record(
        {
          type,
          outcome: 'failure',
          organisationId: token.organisationId,
          actor: { kind: 'anonymous' },
          target: { kind: 'enrolment-token', id: token.id },
          details: { code: codeOf(error) },
        },
        context,
      );
      return error;
    };

    let csr: ParsedCsr;
    try {
      csr = await parseCsr(request.csr);
    } catch (error) {
      throw await refuse(error);
    }
    let hardwareAttested = false;
    try {
      hardwareAttested = await this.#checkHardware(token, csr, request.attestation);
    } catch (error) {
      throw await refuse(error, 'device.attestation-failed');
    }

    const deviceId = randomUUID();
    const { ca, material } = await cas.issuing(token.organisationId);
    const now = clock.now();
    const certificate = await issueDeviceCertificate(material, csr, {
      deviceId,
      organisationId: token.organisationId,
      validityDays: this.deps.certificateDays,
      now: new Date(now),
    });
    const device = await store.transaction(async (tx) => {
      const used = await tx.consumeEnrolmentToken(token.tokenHash, now);
      if (!used) return undefined;
      const created = await tx.createDevice({
        id: deviceId,
        organisationId: token.organisationId,
        model: token.model,
        hardwareRevision: request.hardwareRevision ?? null,
        serialNumber: csr.subjectSerialNumber,
        site: token.site,
        status: 'active',
        certSerial: certificate.serialNumber,
        certNotAfter: certificate.notAfter.getTime(),
        hardwareAttested,
        enrolledAt: now,
        enrolmentTokenId: token.id,
        careOrganisationId: token.careOrganisationId,
      });
      await tx.recordDeviceCertificate({
        serial: certificate.serialNumber,
        deviceId,
        caId: ca.id,
        issuedAt: now,
        notAfter: certificate.notAfter.getTime(),
      });
      await audit.record(
        {
          type: 'device.enrolled',
          organisationId: token.organisationId,
          actor: { kind: 'anonymous' },
          target: { kind: 'device', id: deviceId },
          details: {
            model: token.model,
            serialNumber: csr.subjectSerialNumber,
            certSerial: certificate.serialNumber,
            hardwareAttested,
            keyAlgorithm: csr.keyAlgorithm,
            careOrganisationId: token.careOrganisationId,
          },
        },
        context,
        tx,
      );
      return created;
    });
    if (!device) {
      // Another enrolment took the last use between our check and the commit.
      throw await refuse(
        new VigilError('ERR_ENROLMENT_TOKEN_INVALID', 'The enrolment token is used up.'),
      );
    }
    return { device, certificate };
  }

  async #liveToken(token: string): Promise<EnrolmentTokenRow> {
    const row = token.startsWith(TOKEN_PREFIX.enrolment)
      ? await this.deps.store.getEnrolmentTokenByHash(hashSecretToken(token))
      : undefined;
    const now = this.deps.clock.now();
    if (!row || row.revokedAt !== null || row.expiresAt <= now || row.usesRemaining <= 0) {
      throw new VigilError(
        'ERR_ENROLMENT_TOKEN_INVALID',
        'The enrolment token is unknown, used up, revoked or expired.',
      );
    }
    return row;
  }

  /** FDA App. 1 / supply chain: when the model requires it, only genuine, listed hardware enrols. */
  async #checkHardware(
    token: EnrolmentTokenRow,
    csr: ParsedCsr,
    evidence: AttestationEvidence | undefined,
  ): Promise<boolean> {
    const { store, clock } = this.deps;
    const model = await store.getDeviceModel(token.organisationId, token.model);
    if (!model?.attestationRequired) return false;
    if (!evidence) {
      throw new VigilError(
        'ERR_ATTESTATION_REQUIRED',
        `The model ${model.name} requires genuine-hardware attestation.`,
      );
    }
    if (
      !(await store.consumeAttestationNonce(
        hashSecretToken(evidence.nonce),
        token.organisationId,
        clock.now(),
      ))
    ) {
      throw new VigilError(
        'ERR_ATTESTATION_NONCE',
        'The attestation nonce is unknown, used or expired.',
      );
    }
    const allowed = hardwareSerialAllowList(await store.listAllowedSerials(model.id));
    await verifyAttestation(
      evidence,
      { trustedRootsPem: model.vendorRootsPem, allowedSerials: allowed },
      csr.publicKeySpkiDer,
      new Date(clock.now()),
    );
    return true;
  }
}

function tokenView(row: EnrolmentTokenRow): EnrolmentTokenView {
  const { tokenHash: _hash, ...view } = row;
  return view;
}

function codeOf(error: unknown): string {
  return isVigilError(error) ? error.code : 'ERR_INTERNAL';
}

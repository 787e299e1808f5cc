import { X509Certificate } from 'node:crypto';
import { VigilError, actorOf, authorise, type Clock, type Principal } from '@vigil/core';
import {
  certificateFacts,
  deviceIdOf,
  issueDeviceCertificate,
  parseCsr,
  type CertificateFacts,
  type IssuedCertificate,
} from '../pki/index.js';
import type { DeviceRow, DeviceStatus } from '../store/device-store.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import type { DeviceCaService } from './device-ca-service.js';
import type { RequestContext } from './request-context.js';

/** The device behind one mutual-TLS request: always taken from its certificate, never from the request. */
export interface DevicePrincipal {
  readonly deviceId: string;
  readonly organisationId: string;
  /** The care organisation its readings belong to, null if none (docs/telemetry.md "Ownership"). */
  readonly careOrganisationId: string | null;
  readonly status: DeviceStatus;
  /** The presented certificate. */
  readonly certSerial: string;
  readonly certSubject: string;
  readonly certNotBefore: number;
  readonly certNotAfter: number;
  /** As last recorded: check-in skips writing what has not changed. */
  readonly lastSeenAt: number | null;
  readonly softwareVersion: string | null;
  /** The certificate's key as a P-256 JWK (what verifies its batches' ES256), or null for another kind. */
  readonly publicJwk: DevicePublicJwk | null;
}

/** A P-256 public JWK, exactly the members RFC 7638 hashes. */
export interface DevicePublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

/** What a client certificate says, read once per TLS connection (parsing costs more than the checks). */
export interface PresentedCertificate {
  readonly facts: CertificateFacts;
  readonly deviceId: string | null;
  readonly publicJwk: DevicePublicJwk | null;
}

export function readPresentedCertificate(certificateDer: Uint8Array): PresentedCertificate {
  return {
    facts: certificateFacts(certificateDer),
    deviceId: deviceIdOf(certificateDer),
    publicJwk: p256JwkOf(certificateDer),
  };
}

/** The certificate's public key if it is ECDSA P-256 (the only key a batch signature may use). */
function p256JwkOf(certificateDer: Uint8Array): DevicePublicJwk | null {
  try {
    const jwk = new X509Certificate(certificateDer).publicKey.export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) return null;
    return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  } catch {
    return null;
  }
}

/** Last-seen is kept to the minute, so a chatty gateway does not cost a durable write per check-in. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface DeviceServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly cas: DeviceCaService;
  readonly certificateDays: number;
}

/**
 * The device registry for operators (list, quarantine, release, revoke) and
 * the device side of the device API (who is calling, check-in, EST
 * re-enrolment). Revocation takes effect on the next request: every request
 * is checked against the registry, not only the CRL.
 */
export class DeviceService {
  constructor(private readonly deps: DeviceServiceDeps) {}

  async list(principal: Principal, organisationId: string): Promise<DeviceRow[]> {
    authorise(principal, organisationId, 'devices:read');
    return this.deps.store.listDevices(organisationId);
  }

  async get(principal: Principal, organisationId: string, deviceId: string): Promise<DeviceRow> {
    authorise(principal, organisationId, 'devices:read');
    return this.#inOrganisation(organisationId, deviceId);
  }

  async setStatus(
    principal: Principal,
    organisationId: string,
    deviceId: string,
    action: 'quarantine' | 'release' | 'revoke',
    context: RequestContext,
  ): Promise<DeviceRow> {
    authorise(principal, organisationId, 'devices:manage');
    const device = await this.#inOrganisation(organisationId, deviceId);
    if (device.status === 'revoked') {
      throw new VigilError(
        'ERR_DEVICE_REVOKED',
        'A revoked device stays revoked; enrol it again with a new token.',
      );
    }
    const status: DeviceStatus =
      action === 'quarantine' ? 'quarantined' : action === 'release' ? 'active' : 'revoked';
    const now = this.deps.clock.now();
    await this.deps.store.transaction(async (tx) => {
      await tx.updateDevice(deviceId, { status });
      const revokedSerials =
        action === 'revoke'
          ? await tx.revokeDeviceCertificates(deviceId, now, 'cessationOfOperation')
          : [];
      const type =
        action === 'quarantine'
          ? 'device.quarantined'
          : action === 'release'
            ? 'device.released'
            : 'device.revoked';
      await this.deps.audit.record(
        {
          type,
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'device', id: deviceId },
          details: { from: device.status, revokedCertificates: revokedSerials.length },
        },
        context,
        tx,
      );
    });
    if (action === 'revoke') this.deps.cas.invalidateCrls();
    return { ...device, status };
  }

  /**
   * Identifies the device presenting `certificateDer` (already verified by the
   * TLS layer against a device CA). The certificate must be the device's
   * current one — or its previous one, until the renewed one is first used —
   * and neither it nor the device may be revoked.
   */
  async authenticate(
    presented: PresentedCertificate,
    context: RequestContext,
  ): Promise<DevicePrincipal> {
    const { store } = this.deps;
    const { facts, deviceId } = presented;
    const device = deviceId ? await store.getDevice(deviceId) : undefined;
    const record = await store.getDeviceCertificate(facts.serialNumber);
    if (!device || record?.deviceId !== device.id) {
      await this.#rejected(
        device?.organisationId ?? null,
        'unknown-device',
        facts.serialNumber,
        context,
      );
      throw new VigilError(
        'ERR_DEVICE_UNKNOWN',
        'This certificate belongs to no registered device.',
      );
    }
    if (device.status === 'revoked' || record.revokedAt !== null) {
      await this.#rejected(device.organisationId, 'revoked', facts.serialNumber, context);
      throw new VigilError('ERR_DEVICE_REVOKED', 'This device has been revoked.');
    }
    if (facts.serialNumber !== device.certSerial) {
      if (facts.serialNumber !== device.previousCertSerial) {
        await this.#rejected(device.organisationId, 'superseded', facts.serialNumber, context);
        throw new VigilError(
          'ERR_DEVICE_CERT_SUPERSEDED',
          'This certificate was replaced by a newer one.',
        );
      }
    } else if (device.previousCertSerial !== null) {
      // The renewed certificate is in use: from now on the old one is refused.
      await store.updateDevice(device.id, { previousCertSerial: null });
    }
    return {
      deviceId: device.id,
      organisationId: device.organisationId,
      careOrganisationId: device.careOrganisationId,
      status: device.status,
      certSerial: facts.serialNumber,
      certSubject: facts.subject,
      certNotBefore: facts.notBefore.getTime(),
      certNotAfter: facts.notAfter.getTime(),
      lastSeenAt: device.lastSeenAt,
      softwareVersion: device.softwareVersion,
      publicJwk: presented.publicJwk,
    };
  }

  /** Check-in: records last seen, software version and the certificate's expiry. */
  async checkIn(
    device: DevicePrincipal,
    softwareVersion: string,
  ): Promise<{
    deviceId: string;
    status: DeviceStatus;
    certificateExpiresAt: number;
    renewAfter: number;
  }> {
    const now = this.deps.clock.now();
    const stale = device.lastSeenAt === null || now - device.lastSeenAt >= LAST_SEEN_RESOLUTION_MS;
    if (stale || softwareVersion !== device.softwareVersion) {
      await this.deps.store.updateDevice(device.deviceId, { lastSeenAt: now, softwareVersion });
    }
    const lifetime = device.certNotAfter - device.certNotBefore;
    return {
      deviceId: device.deviceId,
      status: device.status,
      certificateExpiresAt: device.certNotAfter,
      renewAfter: device.certNotBefore + Math.floor((lifetime * 2) / 3),
    };
  }

  /** A device may call only check-in and update routes while quarantined. */
  assertNotQuarantined(device: DevicePrincipal): void {
    if (device.status === 'quarantined') {
      throw new VigilError('ERR_DEVICE_QUARANTINED', 'This device is quarantined.');
    }
  }

  /** EST simplereenroll (RFC 7030 §4.2.2): a new certificate for the same device, usually with a new key. */
  async reenrol(
    device: DevicePrincipal,
    csrInput: string | Uint8Array,
    context: RequestContext,
  ): Promise<IssuedCertificate> {
    const { store, clock, audit, cas } = this.deps;
    const csr = await parseCsr(csrInput);
    // RFC 7030 §4.2.2: the Subject of a re-enrolment CSR is identical to the current certificate's.
    if (csr.subject !== device.certSubject) {
      throw new VigilError(
        'ERR_EST_SUBJECT_MISMATCH',
        'Use the subject of your current certificate in the CSR.',
        {
          details: { expectedSubject: device.certSubject },
        },
      );
    }
    const { ca, material } = await cas.issuing(device.organisationId);
    const now = clock.now();
    const certificate = await issueDeviceCertificate(material, csr, {
      deviceId: device.deviceId,
      organisationId: device.organisationId,
      validityDays: this.deps.certificateDays,
      now: new Date(now),
    });
    await store.transaction(async (tx) => {
      await tx.recordDeviceCertificate({
        serial: certificate.serialNumber,
        deviceId: device.deviceId,
        caId: ca.id,
        issuedAt: now,
        notAfter: certificate.notAfter.getTime(),
      });
      await tx.updateDevice(device.deviceId, {
        certSerial: certificate.serialNumber,
        certNotAfter: certificate.notAfter.getTime(),
        previousCertSerial: device.certSerial,
      });
      await audit.record(
        {
          type: 'device.renewed',
          organisationId: device.organisationId,
          actor: { kind: 'system' },
          target: { kind: 'device', id: device.deviceId },
          details: { previousSerial: device.certSerial, certSerial: certificate.serialNumber },
        },
        context,
        tx,
      );
    });
    return certificate;
  }

  async #inOrganisation(organisationId: string, deviceId: string): Promise<DeviceRow> {
    const device = await this.deps.store.getDevice(deviceId);
    if (device?.organisationId !== organisationId)
      throw new VigilError('ERR_NOT_FOUND', 'No such device.');
    return device;
  }

  async #rejected(
    organisationId: string | null,
    reason: string,
    serial: string,
    context: RequestContext,
  ): Promise<void> {
    await this.deps.audit.record(
      {
        type: 'device.certificate-rejected',
        outcome: 'failure',
        organisationId,
        actor: { kind: 'anonymous' },
        details: { reason, certSerial: serial },
      },
      context,
    );
  }
}

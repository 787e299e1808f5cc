import { X509Certificate } from 'node:crypto';
import { VigilError, actorOf, authorise, type Clock, type Principal } from '@vigil/core';
import type { SecretBox } from '../crypto/secret-box.js';
import {
  certificateFacts,
  createCrl,
  createIssuingCa,
  createRootCa,
  decryptPrivateKeyPem,
  encryptPrivateKeyPem,
  type CaMaterial,
} from '../pki/index.js';
import type { DeviceCaRow } from '../store/device-store.js';
import type { Store } from '../store/store.js';
import type { AuditLog } from './audit-log.js';
import type { RequestContext } from './request-context.js';

const DAY_MS = 86_400_000;

export interface DeviceCaServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly secretBox: SecretBox;
  readonly audit: AuditLog;
}

export interface CreatedDeviceCa {
  readonly ca: DeviceCaRow;
  /** The offline root's private key, encrypted with the operator's passphrase: the only copy. */
  readonly encryptedRootKeyPem: string;
  readonly rootFingerprintSha256: string;
  readonly issuingFingerprintSha256: string;
}

/**
 * The device CA of each manufacturer: an offline root (created here once,
 * its key handed back encrypted and never stored) and an issuing CA whose
 * key the server keeps sealed with its secrets key (ADR 0006).
 */
export class DeviceCaService {
  /** Called when the set of trusted issuing CAs changes, so the device listener reloads. */
  onTrustChanged: (() => void) | undefined;
  readonly #crlCache = new Map<string, { der: Uint8Array; until: number }>();

  constructor(private readonly deps: DeviceCaServiceDeps) {}

  async initialise(
    principal: Principal,
    organisationId: string,
    passphrase: string,
    context: RequestContext,
  ): Promise<CreatedDeviceCa> {
    const { store, clock, secretBox, audit } = this.deps;
    const organisation = await store.getOrganisation(organisationId);
    if (organisation?.kind !== 'manufacturer') {
      throw new VigilError('ERR_NOT_FOUND', 'No such manufacturer organisation.');
    }
    if (await store.getActiveDeviceCa(organisationId)) {
      throw new VigilError('ERR_DEVICE_CA_EXISTS', 'This organisation already has a device CA.');
    }
    const now = new Date(clock.now());
    const naming = { organisationName: organisation.name, organisationId, now };
    const root = await createRootCa(naming);
    const issuing = await createIssuingCa(root, naming);
    const encryptedRootKeyPem = encryptPrivateKeyPem(root.keyPem, passphrase);
    const ca = await store.transaction(async (tx) => {
      const created = await tx.createDeviceCa({
        organisationId,
        rootCertPem: root.certPem,
        issuingCertPem: issuing.certPem,
        issuingKeySealed: '',
        createdAt: clock.now(),
      });
      // The seal is bound to the CA's id, so a sealed key cannot be moved to another CA row.
      const sealed = secretBox.seal(issuing.keyPem, sealContext(created.id));
      await tx.setDeviceCaIssuingKey(created.id, sealed);
      await tx.activateDeviceCa(organisationId, created.id);
      const rootFingerprint = certificateFacts(root.certPem).fingerprintSha256;
      await audit.record(
        {
          type: 'device.ca-created',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'device-ca', id: created.id },
          details: { rootFingerprintSha256: rootFingerprint },
        },
        context,
        tx,
      );
      return { ...created, issuingKeySealed: sealed, active: true };
    });
    this.onTrustChanged?.();
    return {
      ca,
      encryptedRootKeyPem,
      rootFingerprintSha256: certificateFacts(root.certPem).fingerprintSha256,
      issuingFingerprintSha256: certificateFacts(issuing.certPem).fingerprintSha256,
    };
  }

  /**
   * Issuing-CA rotation (ADR 0006): the operator brings the offline root key
   * back for a moment; a new issuing CA signed by it becomes active. Older
   * issuing CAs stay trusted, so devices renew onto the new one as their
   * certificates come due, with no flag day.
   */
  async rotateIssuing(
    principal: Principal,
    organisationId: string,
    encryptedRootKeyPem: string,
    passphrase: string,
    context: RequestContext,
  ): Promise<DeviceCaRow> {
    const { store, clock, secretBox, audit } = this.deps;
    const current = await store.getActiveDeviceCa(organisationId);
    const organisation = await store.getOrganisation(organisationId);
    if (!current || !organisation) {
      throw new VigilError('ERR_DEVICE_CA_MISSING', 'No device CA yet; run `vigil ca init`.');
    }
    const root: CaMaterial = {
      certPem: current.rootCertPem,
      keyPem: decryptPrivateKeyPem(encryptedRootKeyPem, passphrase),
    };
    // createIssuingCa signs with the root key; a key of another root would produce a chain that does not verify.
    const issuing = await createIssuingCa(root, {
      organisationName: organisation.name,
      organisationId,
      now: new Date(clock.now()),
    });
    if (!chainsTo(issuing.certPem, current.rootCertPem)) {
      throw new VigilError('ERR_CA_INVALID', 'That root key does not belong to this device CA.');
    }
    const rotated = await store.transaction(async (tx) => {
      const created = await tx.createDeviceCa({
        organisationId,
        rootCertPem: current.rootCertPem,
        issuingCertPem: issuing.certPem,
        issuingKeySealed: '',
        createdAt: clock.now(),
      });
      await tx.setDeviceCaIssuingKey(
        created.id,
        secretBox.seal(issuing.keyPem, sealContext(created.id)),
      );
      await tx.activateDeviceCa(organisationId, created.id);
      await audit.record(
        {
          type: 'device.ca-created',
          organisationId,
          actor: actorOf(principal),
          target: { kind: 'device-ca', id: created.id },
          details: { rotatedFrom: current.id },
        },
        context,
        tx,
      );
      return { ...created, active: true };
    });
    this.onTrustChanged?.();
    this.invalidateCrls();
    return rotated;
  }

  /** The active CA with its issuing key unsealed, for issuing one certificate. */
  async issuing(organisationId: string): Promise<{ ca: DeviceCaRow; material: CaMaterial }> {
    const ca = await this.deps.store.getActiveDeviceCa(organisationId);
    if (!ca) {
      throw new VigilError('ERR_DEVICE_CA_MISSING', 'No device CA yet; run `vigil ca init`.');
    }
    const keyPem = this.deps.secretBox.open(ca.issuingKeySealed, sealContext(ca.id));
    return { ca, material: { certPem: ca.issuingCertPem, keyPem } };
  }

  /** Issuing then root certificate of the organisation's active CA (EST /cacerts). */
  async chain(organisationId: string): Promise<string[]> {
    const ca = await this.deps.store.getActiveDeviceCa(organisationId);
    if (!ca)
      throw new VigilError('ERR_DEVICE_CA_MISSING', 'No device CA yet; run `vigil ca init`.');
    return [ca.issuingCertPem, ca.rootCertPem];
  }

  /** The CA certificates and fingerprints, for people who pin or check them. */
  async describe(principal: Principal, organisationId: string) {
    authorise(principal, organisationId, 'devices:read');
    const [issuing = '', root = ''] = await this.chain(organisationId);
    const issuingFacts = certificateFacts(issuing);
    return {
      issuingCertificatePem: issuing,
      rootCertificatePem: root,
      issuingFingerprintSha256: issuingFacts.fingerprintSha256,
      rootFingerprintSha256: certificateFacts(root).fingerprintSha256,
      issuingNotAfter: issuingFacts.notAfter.getTime(),
    };
  }

  /** The organisation with a device CA when there is exactly one (EST without a CA label). */
  async soleOrganisationWithCa(): Promise<string | undefined> {
    const organisations = new Set(
      (await this.deps.store.listDeviceCas()).map((ca) => ca.organisationId),
    );
    return organisations.size === 1 ? [...organisations][0] : undefined;
  }

  /**
   * What the device listener trusts: every device CA's root (the anchor
   * OpenSSL needs) and issuing certificate (so devices need not send it).
   */
  async trustedCertificates(): Promise<string[]> {
    return (await this.deps.store.listDeviceCas()).flatMap((ca) => [
      ca.rootCertPem,
      ca.issuingCertPem,
    ]);
  }

  /** The current CRL of the organisation's active CA (DER), cached until a revocation or half its lifetime. */
  async crl(organisationId: string): Promise<Uint8Array> {
    const { clock, store } = this.deps;
    const { ca, material } = await this.issuing(organisationId);
    const cached = this.#crlCache.get(ca.id);
    if (cached && cached.until > clock.now()) return cached.der;
    const now = clock.now();
    const revoked = await store.listRevokedCertificates(ca.id, now);
    const { der } = await createCrl(material, {
      revoked: revoked.map((r) => ({
        serialNumber: r.serial,
        revokedAt: new Date(r.revokedAt ?? now),
      })),
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + DAY_MS),
      crlNumber: await store.nextCrlNumber(ca.id),
    });
    this.#crlCache.set(ca.id, { der, until: now + DAY_MS / 2 });
    return der;
  }

  /** A revocation makes every cached CRL stale. */
  invalidateCrls(): void {
    this.#crlCache.clear();
  }
}

function chainsTo(certPem: string, issuerPem: string): boolean {
  return new X509Certificate(certPem).verify(new X509Certificate(issuerPem).publicKey);
}

function sealContext(caId: string): string {
  return `device-ca/issuing-key/${caId}`;
}

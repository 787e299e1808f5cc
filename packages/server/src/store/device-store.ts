/**
 * The device half of the store seam: device CAs, device models and their
 * attestation policy, enrolment tokens, devices and their certificates.
 * `Store` extends this interface; `queries/device-*.ts` implement it.
 */
export type DeviceStatus = 'active' | 'quarantined' | 'revoked';

export interface DeviceCaRow {
  readonly id: string;
  readonly organisationId: string;
  readonly rootCertPem: string;
  readonly issuingCertPem: string;
  /** The issuing CA's PKCS#8 key sealed with the server's secrets key (SecretBox). */
  readonly issuingKeySealed: string;
  /** The CA new certificates are issued from; older ones stay for validation and CRLs. */
  readonly active: boolean;
  readonly createdAt: number;
}

export interface DeviceModelRow {
  readonly id: string;
  readonly organisationId: string;
  readonly name: string;
  readonly attestationRequired: boolean;
  /** Trusted hardware-vendor root certificates (PEM). */
  readonly vendorRootsPem: readonly string[];
  readonly createdAt: number;
}

export interface EnrolmentTokenRow {
  readonly id: string;
  readonly organisationId: string;
  readonly tokenHash: string;
  readonly name: string;
  readonly model: string;
  readonly site: string | null;
  readonly usesTotal: number;
  readonly usesRemaining: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  readonly createdBy: string | null;
  /** The care organisation the devices it enrols report to (docs/telemetry.md "Ownership"). */
  readonly careOrganisationId: string | null;
}

export interface DeviceRow {
  readonly id: string;
  readonly organisationId: string;
  readonly model: string;
  readonly hardwareRevision: string | null;
  readonly serialNumber: string | null;
  readonly site: string | null;
  readonly status: DeviceStatus;
  /** Serial (hex) of the certificate the device uses now. */
  readonly certSerial: string;
  readonly certNotAfter: number;
  /** The certificate before the last renewal, accepted until the new one is first used. */
  readonly previousCertSerial: string | null;
  readonly hardwareAttested: boolean;
  readonly softwareVersion: string | null;
  readonly lastSeenAt: number | null;
  readonly enrolledAt: number;
  readonly enrolmentTokenId: string | null;
  /** The care organisation its readings belong to; null: it cannot upload readings. */
  readonly careOrganisationId: string | null;
}

export interface DeviceCertificateRow {
  readonly serial: string;
  readonly deviceId: string;
  readonly caId: string;
  readonly issuedAt: number;
  readonly notAfter: number;
  readonly revokedAt: number | null;
  readonly revocationReason: string | null;
}

export interface DeviceStore {
  createDeviceCa(input: Omit<DeviceCaRow, 'id' | 'active'>): Promise<DeviceCaRow>;
  /** Stores the sealed issuing key (sealed after the row exists, so the seal can name its id). */
  setDeviceCaIssuingKey(id: string, issuingKeySealed: string): Promise<void>;
  getActiveDeviceCa(organisationId: string): Promise<DeviceCaRow | undefined>;
  getDeviceCa(id: string): Promise<DeviceCaRow | undefined>;
  /** Every device CA of every organisation: the device listener trusts all their issuing CAs. */
  listDeviceCas(): Promise<DeviceCaRow[]>;
  /** Makes `id` the organisation's active CA and the others inactive (rotation). */
  activateDeviceCa(organisationId: string, id: string): Promise<void>;
  /** The next CRL number of a CA, atomically (RFC 5280 §5.2.3: monotonically increasing). */
  nextCrlNumber(caId: string): Promise<number>;

  putDeviceModel(input: Omit<DeviceModelRow, 'id'>): Promise<DeviceModelRow>;
  getDeviceModel(organisationId: string, name: string): Promise<DeviceModelRow | undefined>;
  listDeviceModels(organisationId: string): Promise<DeviceModelRow[]>;
  /** Adds serials of one production batch to a model's allow-list; returns how many were new. */
  addAllowedSerials(modelId: string, batch: string, serials: readonly string[]): Promise<number>;
  listAllowedSerials(modelId: string): Promise<string[]>;

  createEnrolmentToken(
    input: Omit<EnrolmentTokenRow, 'id' | 'usesRemaining' | 'revokedAt' | 'careOrganisationId'> & {
      careOrganisationId?: string | null;
    },
  ): Promise<EnrolmentTokenRow>;
  getEnrolmentTokenByHash(tokenHash: string): Promise<EnrolmentTokenRow | undefined>;
  getEnrolmentToken(id: string): Promise<EnrolmentTokenRow | undefined>;
  listEnrolmentTokens(organisationId: string): Promise<EnrolmentTokenRow[]>;
  /**
   * Uses one enrolment of a live token (unrevoked, unexpired, uses left), atomically;
   * undefined when it cannot, so two devices racing for a single-use token cannot both win.
   */
  consumeEnrolmentToken(tokenHash: string, now: number): Promise<EnrolmentTokenRow | undefined>;
  revokeEnrolmentToken(id: string, now: number): Promise<void>;

  createDevice(
    input: Omit<
      DeviceRow,
      'previousCertSerial' | 'softwareVersion' | 'lastSeenAt' | 'careOrganisationId'
    > & { careOrganisationId?: string | null },
  ): Promise<DeviceRow>;
  getDevice(id: string): Promise<DeviceRow | undefined>;
  listDevices(organisationId: string): Promise<DeviceRow[]>;
  updateDevice(
    id: string,
    patch: Partial<
      Pick<
        DeviceRow,
        | 'status'
        | 'certSerial'
        | 'certNotAfter'
        | 'previousCertSerial'
        | 'softwareVersion'
        | 'lastSeenAt'
      >
    >,
  ): Promise<void>;

  recordDeviceCertificate(
    input: Omit<DeviceCertificateRow, 'revokedAt' | 'revocationReason'>,
  ): Promise<void>;
  getDeviceCertificate(serial: string): Promise<DeviceCertificateRow | undefined>;
  /** Revokes every unrevoked certificate of a device; returns their serials. */
  revokeDeviceCertificates(deviceId: string, now: number, reason: string): Promise<string[]>;
  /** Revoked certificates of a CA not yet expired at `now` (what its CRL must list). */
  listRevokedCertificates(caId: string, now: number): Promise<DeviceCertificateRow[]>;

  putAttestationNonce(input: {
    nonceHash: string;
    organisationId: string;
    expiresAt: number;
  }): Promise<void>;
  /** Marks a nonce used if it exists for this organisation, is unused and unexpired; false otherwise. */
  consumeAttestationNonce(nonceHash: string, organisationId: string, now: number): Promise<boolean>;
}

import type { ApiError } from '../../api/api-error.js';
import type { Device, DeviceStatus, EnrolmentToken } from '../../api/types.js';

/**
 * What the Devices page derives from the API's answers, kept apart from the
 * markup: labels, certificate-expiry warnings, token states, fingerprints.
 */

export const STATUS_LABELS: Record<DeviceStatus, string> = {
  active: 'Active',
  quarantined: 'Quarantined',
  revoked: 'Revoked',
};

/** A certificate this close to its end is flagged, so it can be renewed or the device looked at. */
export const CERT_WARNING_DAYS = 14;

export type Expiry = 'ok' | 'soon' | 'expired';

export function expiryOf(notAfter: number, now: number): Expiry {
  if (notAfter <= now) return 'expired';
  return notAfter - now < CERT_WARNING_DAYS * 86_400_000 ? 'soon' : 'ok';
}

/** How people refer to a device: its hardware serial number, else the start of its id. */
export function deviceLabel(device: Device): string {
  return device.serialNumber ?? `device ${device.id.slice(0, 8)}`;
}

export type TokenState = 'active' | 'used-up' | 'expired' | 'revoked';

export const TOKEN_STATE_LABELS: Record<TokenState, string> = {
  active: 'Active',
  'used-up': 'Used up',
  expired: 'Expired',
  revoked: 'Revoked',
};

export function tokenState(token: EnrolmentToken, now: number): TokenState {
  if (token.revokedAt !== null) return 'revoked';
  if (token.usesRemaining <= 0) return 'used-up';
  if (token.expiresAt <= now) return 'expired';
  return 'active';
}

/**
 * A hex SHA-256 as `openssl x509 -noout -fingerprint -sha256` prints it
 * (upper case, colon-separated), so people can compare the two by eye.
 */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/[0-9A-F]{2}/g) ?? []).join(':');
}

/** The organisation has no device CA: not a failure, a step an operator has not taken yet. */
export function isCaMissing(error: ApiError | null): boolean {
  return error?.code === 'ERR_DEVICE_CA_MISSING';
}

import { AgentError } from './errors.js';

/**
 * The server's answer to `POST /device/v1/check-in` (docs/devices.md, Device API).
 */
export interface CheckInResult {
  readonly deviceId: string;
  /**
   * `active`, or `quarantined` (the device may only check in and fetch updates).
   * A revoked device gets `ERR_DEVICE_REVOKED` instead of an answer. Typed as a
   * string so a newer server's states reach the app rather than an error.
   */
  readonly status: string;
  /** When the certificate the server saw expires, epoch ms. */
  readonly certificateExpiresAt: number;
  /** When the server expects the device to renew, epoch ms. */
  readonly renewAfter: number;
}

/**
 * Validates the check-in answer (STYLE §5: agent messages are parsed at the
 * boundary into typed objects or a coded error). Times may come as ISO 8601
 * strings or epoch milliseconds. The device id must be ours: a server that
 * reports another device is misrouted or broken, and the app should know.
 *
 * @example
 * const result = parseCheckInResult(JSON.parse(text), agent.deviceId);
 */
export function parseCheckInResult(value: unknown, expectedDeviceId: string): CheckInResult {
  if (typeof value !== 'object' || value === null) throw invalid('not an object');
  const record = value as Record<string, unknown>;
  const deviceId = record['deviceId'];
  const status = record['status'];
  if (typeof deviceId !== 'string' || deviceId.toLowerCase() !== expectedDeviceId) {
    throw invalid('it names another device');
  }
  if (typeof status !== 'string' || status.length === 0) throw invalid('status is missing');
  return {
    deviceId: deviceId.toLowerCase(),
    status,
    certificateExpiresAt: readTime(record['certificateExpiresAt'], 'certificateExpiresAt'),
    renewAfter: readTime(record['renewAfter'], 'renewAfter'),
  };
}

function readTime(value: unknown, field: string): number {
  const time = typeof value === 'string' ? Date.parse(value) : value;
  if (typeof time !== 'number' || !Number.isFinite(time)) throw invalid(`${field} is not a time`);
  return time;
}

function invalid(reason: string): AgentError {
  return new AgentError('ERR_AGENT_PROTOCOL', `The check-in answer is invalid: ${reason}.`);
}

import { InvalidArgumentError } from 'commander';
import { firstLine } from '../input-files.js';

/** The device listener's default port (`VIGIL_DEVICE_PORT`, docs/devices.md). */
export const DEFAULT_DEVICE_PORT = '8444';
/** The pseudonym secret's least length (ADR 0011 §4; `Telemetry` refuses less). */
const MIN_SECRET_BYTES = 32;

/** An `https:` URL's origin (`https://host:port`); devices talk TLS only. */
export function parseHttpsOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('Use an https:// URL.');
  }
  if (url.protocol !== 'https:') throw new InvalidArgumentError('Use an https:// URL.');
  return url.origin;
}

/** The device listener next to the main listener `server`: the same host on port 8444. */
export function defaultDeviceUrl(server: string): string {
  const url = new URL(server);
  url.port = DEFAULT_DEVICE_PORT;
  return url.origin;
}

/** A parser for a number greater than 0 and at most `max` (decimals allowed: `--rate 0.5`). */
export function positiveNumber(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || n > max)
      throw new InvalidArgumentError(`Use a number greater than 0 and at most ${max}.`);
    return n;
  };
}

/** A parser for a number from 0 to `max` (decimals allowed). */
export function nonNegativeNumber(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || n > max)
      throw new InvalidArgumentError(`Use a number from 0 to ${max}.`);
    return n;
  };
}

/**
 * The pseudonym secret from its file: the first line, base64url, as
 * `vigil keys setup` writes it (at least 32 bytes). Undefined when the file
 * holds anything else, so the caller names the flag in its usage error.
 */
export function parsePseudonymSecret(text: string): Uint8Array | undefined {
  const line = firstLine(text).trim();
  if (!/^[A-Za-z0-9_-]+$/.test(line)) return undefined;
  const bytes = Buffer.from(line, 'base64url');
  // Canonical only: a line that does not re-encode to itself is not what keys setup wrote.
  if (bytes.length < MIN_SECRET_BYTES || bytes.toString('base64url') !== line) return undefined;
  return new Uint8Array(bytes);
}

/** The enrolment token from its file's first line, or undefined for an empty one. */
export function parseEnrolmentToken(text: string): string | undefined {
  const token = firstLine(text).trim();
  return token === '' ? undefined : token;
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Decode, base32Encode } from './base32.js';

/**
 * TOTP, RFC 6238 (HMAC-SHA1, 6 digits, 30 s steps: what every authenticator
 * app supports). Verification accepts one step of clock drift either side
 * (RFC 6238 §5.2) and refuses any step at or before the last one accepted,
 * so a code cannot be replayed (RFC 6238 §5.2: "MUST NOT" accept the second
 * attempt of the same OTP).
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const DRIFT_STEPS = 1;

/** A new 160-bit secret (RFC 4226 §4 R6 recommends 160 bits), base32 as apps expect. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

export function totpStep(epochMs: number): number {
  return Math.floor(epochMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** RFC 4226 HOTP value for a counter, zero-padded to `digits`. */
export function hotp(secret: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  // RFC 4226 §5.3 dynamic truncation.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

export function totpAt(secretBase32: string, epochMs: number): string {
  return hotp(base32Decode(secretBase32), totpStep(epochMs));
}

/**
 * Checks `code` at time `epochMs`. Returns the matched step, which the caller
 * must store and pass back as `lastUsedStep` next time; or null if the code is
 * wrong, outside the drift window, or already used.
 */
export function verifyTotp(
  secretBase32: string,
  code: string,
  epochMs: number,
  lastUsedStep: number | null,
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const secret = base32Decode(secretBase32);
  const current = totpStep(epochMs);
  const wanted = Buffer.from(code);
  let matched: number | null = null;
  // Check every candidate step (no early exit) so timing does not reveal which one matched.
  for (let step = current - DRIFT_STEPS; step <= current + DRIFT_STEPS; step++) {
    if (timingSafeEqual(Buffer.from(hotp(secret, step)), wanted) && matched === null) {
      matched = step;
    }
  }
  if (matched === null) return null;
  if (lastUsedStep !== null && matched <= lastUsedStep) return null;
  return matched;
}

/** The otpauth:// URI authenticator apps read from a QR code (Key Uri Format). */
export function totpUri(secretBase32: string, issuer: string, account: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const params = new URLSearchParams({
    secret: secretBase32,
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}

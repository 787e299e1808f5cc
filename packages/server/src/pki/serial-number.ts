import { randomBytes } from 'node:crypto';
import { VigilError } from '@vigil/core';

/**
 * Certificate serial numbers and their one text form.
 *
 * The canonical text of a serial number, used everywhere in this module (in
 * `IssuedCertificate`, `certificateFacts` and as `createCrl` input), is the
 * lower-case hex of the INTEGER's magnitude octets: two digits per octet, no
 * `0x`, no colons, and no leading `00` octet (the sign octet DER adds when the
 * top bit is set is dropped). It is what `openssl x509 -serial` and
 * `openssl crl -text` print, in lower case. Serials issued here are always 32
 * digits long.
 */

/** RFC 5280 §4.1.2.2: at most 20 octets. */
const MAX_SERIAL_OCTETS = 20;

/**
 * A new random serial number: 16 octets from the CSPRNG with the top bit set,
 * so every serial is exactly 128 bits long (127 of them random — the CA/Browser
 * Forum Baseline Requirements §7.1 ask for at least 64) and positive once DER
 * prepends its sign octet (17 content octets, within RFC 5280 §4.1.2.2's 20).
 * Unpredictable serials are the Baseline Requirements' defence against
 * chosen-prefix collisions on the signed data.
 */
export function randomSerialNumber(): string {
  const octets = randomBytes(16);
  octets[0] = (octets[0] ?? 0) | 0x80;
  return octets.toString('hex');
}

/** The canonical text of an INTEGER's content octets (see above). */
export function serialNumberText(integerOctets: ArrayBuffer | Uint8Array): string {
  const octets =
    integerOctets instanceof Uint8Array ? integerOctets : new Uint8Array(integerOctets);
  let start = 0;
  while (start < octets.length - 1 && octets[start] === 0) start++;
  return Buffer.from(octets.subarray(start)).toString('hex');
}

/**
 * Reads a serial number given by a caller (canonical text; upper case and
 * `:` separators as openssl prints them are accepted too) and returns its
 * canonical text. Zero and over-long values are refused: RFC 5280 §4.1.2.2
 * serials are positive and at most 20 octets.
 */
export function parseSerialNumberText(text: string): string {
  const digits = typeof text === 'string' ? text.replace(/:/g, '').toLowerCase() : '';
  if (!/^[0-9a-f]{1,40}$/.test(digits)) {
    throw new VigilError(
      'ERR_CA_PARAMETERS_INVALID',
      'A serial number must be 1 to 40 hex digits (20 octets).',
    );
  }
  const even = digits.length % 2 === 0 ? digits : `0${digits}`;
  const canonical = serialNumberText(Buffer.from(even, 'hex'));
  if (/^0+$/.test(canonical) || canonical.length > MAX_SERIAL_OCTETS * 2) {
    throw new VigilError('ERR_CA_PARAMETERS_INVALID', 'A serial number must be positive.');
  }
  return canonical;
}

import { VigilError } from '@vigil/core';
import type { x509 } from '../tls/x509-provider.js';

/**
 * The hardware serial number of a secure element, as its factory certificate
 * states it, and the one normal form that certificates and production-batch
 * manifests are compared in.
 *
 * Where it is read (the leaf's subject):
 * 1. the `serialNumber` attribute (OID 2.5.4.5) when the subject has one;
 * 2. otherwise the common name — Microchip Trust&GO (ATECC608) device
 *    certificates carry the chip's 9-byte serial as `CN=sn0123…01`.
 * The chosen attribute must name one serial (repeats of the same value are
 * harmless); two different claims of identity are refused, not guessed between.
 *
 * Normal form: all white space removed, upper-cased, and a leading `SN` dropped
 * when only hexadecimal digits follow it (the Trust&GO prefix, absent from
 * Microchip's manifests' `uniqueId`). `sn0123 ab` and `0123AB` are the same chip;
 * `SN-12` stays `SN-12`. At most 64 characters.
 */

export const MAX_HARDWARE_SERIAL_LENGTH = 64;

const SERIAL_NUMBER_OID = '2.5.4.5';
const COMMON_NAME_OID = '2.5.4.3';

/**
 * The normal form of a serial (see the file comment). Apply it to every
 * manifest entry; `hardwareSerialAllowList` does so for a whole manifest.
 *
 * @example
 * normaliseHardwareSerial('sn0123 f1a2 b3c4 d5e6 01'); // '0123F1A2B3C4D5E601'
 */
export function normaliseHardwareSerial(raw: string): string {
  const compact = raw.replace(/\s+/gu, '').toUpperCase();
  return /^SN[0-9A-F]+$/.test(compact) ? compact.slice(2) : compact;
}

/**
 * The allow-list for AttestationPolicy.allowedSerials from the serials of one or
 * more production-batch manifests, normalised; empty entries are skipped.
 *
 * @example
 * const allowedSerials = hardwareSerialAllowList(manifest.map((entry) => entry.uniqueId));
 */
export function hardwareSerialAllowList(serials: Iterable<string>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const serial of serials) {
    const normal = normaliseHardwareSerial(serial);
    if (normal !== '') out.add(normal);
  }
  return out;
}

/**
 * The normalised hardware serial of a leaf certificate; throws
 * ERR_ATTESTATION_UNKNOWN_SERIAL when the subject names none, names two, or one
 * longer than MAX_HARDWARE_SERIAL_LENGTH — no manifest can list such a chip.
 */
export function hardwareSerialOf(leaf: x509.X509Certificate): string {
  const fromSerialNumber = leaf.subjectName.getField(SERIAL_NUMBER_OID);
  const values =
    fromSerialNumber.length > 0 ? fromSerialNumber : leaf.subjectName.getField(COMMON_NAME_OID);
  const distinct = new Set(values.map(normaliseHardwareSerial));
  const [serial] = distinct;
  if (distinct.size !== 1 || serial === undefined || serial === '') {
    throw unknownSerial(
      distinct.size > 1
        ? 'The hardware certificate names more than one serial number.'
        : 'The hardware certificate names no serial number.',
    );
  }
  if (serial.length > MAX_HARDWARE_SERIAL_LENGTH) {
    throw unknownSerial(
      `The hardware serial number is longer than ${MAX_HARDWARE_SERIAL_LENGTH} characters.`,
    );
  }
  return serial;
}

function unknownSerial(message: string): VigilError {
  return new VigilError('ERR_ATTESTATION_UNKNOWN_SERIAL', message);
}

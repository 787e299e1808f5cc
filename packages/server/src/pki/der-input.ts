import { type ErrorCode, VigilError } from '@vigil/core';
import type { IAsnParseOptions } from '@peculiar/asn1-schema';

/**
 * Turning what a caller hands us — PEM text, RFC 7030 base64, or DER bytes —
 * into one DER object, before any ASN.1 parser sees it. Everything here is
 * bounded and linear in the input, so hostile input costs little.
 */

/** A CSR with an RSA-8192 key and a long subject is under 3 KiB of base64. */
export const MAX_CSR_BYTES = 16 * 1024;

/** Certificates are bigger than CSRs only by their extensions; 64 KiB is generous. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/**
 * Limits for asn1js when it parses untrusted input: PKCS#10 and X.509 nest a
 * dozen levels deep at most, and a real CSR has well under a thousand nodes.
 */
export function untrustedParseOptions(maxBytes: number): IAsnParseOptions {
  return { berOptions: { maxDepth: 32, maxNodes: 4096, maxContentLength: maxBytes } };
}

/**
 * Decodes `input` to the DER of one SEQUENCE: a string is PEM (one of `pemLabels`)
 * or base64 with any whitespace (RFC 7030 §4.2.1 bodies, `openssl … | base64`);
 * bytes starting with 0x30 (a DER SEQUENCE; base64 text of one starts with "M")
 * are DER, other bytes are read as text.
 */
export function derFromInput(
  input: string | Uint8Array,
  pemLabels: readonly string[],
  maxBytes: number,
  code: ErrorCode,
): Uint8Array {
  const refuse = (why: string): VigilError => new VigilError(code, why);
  let der: Uint8Array;
  if (typeof input === 'string') {
    if (input.length > maxBytes || Buffer.byteLength(input, 'utf8') > maxBytes) {
      throw refuse(`The input is larger than ${maxBytes} bytes.`);
    }
    der = fromText(input, pemLabels, refuse);
  } else if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw refuse(`The input is larger than ${maxBytes} bytes.`);
    der =
      input[0] === 0x30
        ? Uint8Array.from(input)
        : fromText(Buffer.from(input).toString('latin1'), pemLabels, refuse);
  } else {
    throw refuse('The input is neither text nor bytes.');
  }
  assertSingleDerSequence(der, refuse);
  return der;
}

function fromText(
  text: string,
  pemLabels: readonly string[],
  refuse: (why: string) => VigilError,
): Uint8Array {
  const begin = text.indexOf('-----BEGIN ');
  const body = begin === -1 ? text : pemBody(text, begin, pemLabels, refuse);
  // RFC 7468 §2 and RFC 2045 §6.8: whitespace and line breaks carry no data.
  const compact = body.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw refuse('The input is neither PEM, base64 nor DER.');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The base64 between the first BEGIN line and its END line (RFC 7468 §2), label checked. */
function pemBody(
  text: string,
  begin: number,
  pemLabels: readonly string[],
  refuse: (why: string) => VigilError,
): string {
  const labelStart = begin + '-----BEGIN '.length;
  const labelEnd = text.indexOf('-----', labelStart);
  const label = labelEnd === -1 ? '' : text.slice(labelStart, labelEnd);
  if (!pemLabels.includes(label)) {
    throw refuse(`Expected PEM "${pemLabels.join('" or "')}", found "${label.slice(0, 40)}".`);
  }
  const end = text.indexOf(`-----END ${label}-----`, labelEnd);
  if (end === -1) throw refuse(`The PEM block "${label}" has no END line.`);
  return text.slice(labelEnd + 5, end);
}

/**
 * The bytes must be exactly one definite-length SEQUENCE (X.690 §10.1: DER uses
 * the definite form, with the fewest length octets). asn1js tolerates trailing
 * bytes and BER lengths; a CSR or certificate carrying either is not DER.
 */
function assertSingleDerSequence(der: Uint8Array, refuse: (why: string) => VigilError): void {
  const first = der[1];
  if (der[0] !== 0x30 || first === undefined) throw refuse('The input is not a DER SEQUENCE.');
  let length = first;
  let header = 2;
  if (first >= 0x80) {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 3 || der.length < 2 + octets) {
      throw refuse('The DER length is indefinite or out of range.');
    }
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[2 + i] ?? 0);
    const minimal = length >= 0x80 && length >= 256 ** (octets - 1);
    if (!minimal) throw refuse('The DER length is not in its shortest form.');
    header += octets;
  }
  if (header + length !== der.length) {
    throw refuse('The input has bytes missing or left over after the DER SEQUENCE.');
  }
}

/** Lower-case hex of a byte string. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
}

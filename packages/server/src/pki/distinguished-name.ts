import { AsnConvert } from '@peculiar/asn1-schema';
import type { AttributeTypeAndValue, Name } from '@peculiar/asn1-x509';
import { toHex } from './der-input.js';

/**
 * Distinguished names as RFC 4514 text, and reading single attributes out of
 * them. The same function formats CSR subjects and certificate subjects, so a
 * re-enrolment CSR can be compared with the certificate it renews as text
 * (RFC 7030 §4.2.2 asks for the same subject).
 */

/** Attribute type OIDs used by the device PKI (X.520 / RFC 4519). */
export const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
} as const;

/**
 * RFC 4514 §3 short names, plus `serialNumber` (RFC 4519 §2.31, registered with
 * IANA, so §2.3 lets it be written by name). Anything else is a dotted OID.
 */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '2.5.4.5': 'serialNumber',
};

/**
 * RFC 4514 §2.1: RDNs last to first, separated by `,`; attributes of one RDN
 * joined by `+`. Matches `openssl … -nameopt RFC2253` for ASCII names.
 */
export function formatRfc4514(name: Name): string {
  return [...name]
    .reverse()
    .map((rdn) => [...rdn].map(formatAttribute).join('+'))
    .join(',');
}

function formatAttribute(attribute: AttributeTypeAndValue): string {
  const shortName = SHORT_NAMES[attribute.type];
  const text = stringValue(attribute);
  // RFC 4514 §2.4: a type written as a dotted OID, or a value without a string
  // form, is written as `#` and the hex of its BER encoding.
  if (shortName === undefined || text === null) {
    return `${shortName ?? attribute.type}=#${toHex(AsnConvert.serialize(attribute.value))}`;
  }
  return `${shortName}=${escapeValue(text)}`;
}

/** The value as text when it is one of the DirectoryString types with a plain reading. */
export function stringValue(attribute: AttributeTypeAndValue): string | null {
  const { value } = attribute;
  return (
    value.utf8String ??
    value.printableString ??
    value.ia5String ??
    value.bmpString ??
    value.universalString ??
    null // TeletexString (T.61) and non-string values: no unambiguous text
  );
}

/**
 * RFC 4514 §2.4 escaping. Control characters are escaped as hex pairs too
 * (§2.4 allows escaping any character), so a subject written to a log or a
 * terminal cannot forge a line break or an escape sequence.
 */
function escapeValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    const code = value.charCodeAt(i);
    if ('"+,;<>\\'.includes(c)) out += `\\${c}`;
    else if (i === 0 && (c === ' ' || c === '#')) out += `\\${c}`;
    else if (i === value.length - 1 && c === ' ') out += '\\ ';
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
}

/** The values of every attribute of type `oid` in `name`; null for a value without a string form. */
export function attributeValues(name: Name, oid: string): (string | null)[] {
  return [...name].flatMap((rdn) => [...rdn].filter((a) => a.type === oid).map(stringValue));
}

/**
 * X.520 `serialNumber` is a PrintableString of 1 to 64 characters
 * (ub-serial-number): the device's hardware serial must fit before it is
 * copied into a certificate.
 */
export function isPrintableSerialNumber(value: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?]{1,64}$/.test(value);
}

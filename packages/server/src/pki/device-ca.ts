import { VigilError } from '@vigil/core';
import { x509 } from '../tls/x509-provider.js';
import {
  type CaMaterial,
  CLOCK_SKEW_MS,
  assertDate,
  generateCaKeys,
  loadCa,
  signingAlgorithmFor,
  toCaMaterial,
} from './ca-material.js';
import { OID } from './distinguished-name.js';
import { randomSerialNumber } from './serial-number.js';

/**
 * The two-tier device CA of one manufacturer organisation: a root kept offline
 * and an issuing CA, signed by the root, that the server holds. See
 * docs/adr/0006-device-pki.md.
 */

export interface DeviceCaInput {
  readonly organisationName: string;
  readonly organisationId: string;
  readonly now: Date;
  /** Whole years, 1–30. Defaults: 20 for the root, 5 for an issuing CA. */
  readonly validityYears?: number;
}

/** RFC 5280 §4.2.1.3: a CA key signs certificates and CRLs, nothing else. */
const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

/**
 * Creates a self-signed ECDSA P-384 root CA (signed ecdsa-with-SHA384), allowed
 * one CA below it (pathLen 1). Its key belongs offline: encrypt it with
 * `encryptPrivateKeyPem` and hand it to the operator.
 *
 * @example
 * const root = await createRootCa({ organisationName: 'Acme Medical', organisationId: orgId, now });
 * const issuing = await createIssuingCa(root, { organisationName: 'Acme Medical', organisationId: orgId, now });
 */
export async function createRootCa(input: DeviceCaInput): Promise<CaMaterial> {
  assertDate(input.now, 'now');
  const name = caName(input, 'Root');
  const years = validityYears(input.validityYears, 20);
  const keys = await generateCaKeys('P-384');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name,
    notBefore: new Date(input.now.getTime() - CLOCK_SKEW_MS),
    notAfter: addYears(input.now, years),
    signingAlgorithm: signingAlgorithmFor('P-384'),
    keys,
    extensions: [
      // RFC 5280 §4.2.1.9: critical; pathLen 1 lets it sign issuing CAs, which
      // in turn (pathLen 0) sign only devices.
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      // RFC 5280 §4.2.1.2 method (1); authorityKeyIdentifier may be omitted in a
      // self-signed certificate (§4.2.1.1).
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return toCaMaterial(cert, keys.privateKey);
}

/**
 * Creates an ECDSA P-256 issuing CA signed by `root` (ecdsa-with-SHA384),
 * limited to signing end-entity certificates (pathLen 0) and never outliving
 * the root. The root must belong to the same organisation (its OU).
 */
export async function createIssuingCa(root: CaMaterial, input: DeviceCaInput): Promise<CaMaterial> {
  assertDate(input.now, 'now');
  const name = caName(input, 'Issuing');
  const years = validityYears(input.validityYears, 5);
  const parent = await loadCa(root, input.now);
  if (parent.organisationId !== input.organisationId) {
    throw new VigilError('ERR_CA_INVALID', 'The root CA belongs to another organisation.');
  }
  if (parent.pathLength !== undefined && parent.pathLength < 1) {
    throw new VigilError('ERR_CA_INVALID', 'The root CA may not sign CA certificates (pathLen 0).');
  }
  const keys = await generateCaKeys('P-256');
  // A certificate cannot be verified past its issuer's notAfter, so do not promise more.
  const notAfter = new Date(
    Math.min(addYears(input.now, years).getTime(), parent.cert.notAfter.getTime()),
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: name,
    issuer: parent.cert.subjectName,
    notBefore: new Date(input.now.getTime() - CLOCK_SKEW_MS),
    notAfter,
    signingAlgorithm: parent.signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: parent.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      // RFC 5280 §4.2.1.1: the issuer's subjectKeyIdentifier, so chains build by key.
      new x509.AuthorityKeyIdentifierExtension(parent.keyIdentifier),
    ],
  });
  return toCaMaterial(cert, keys.privateKey);
}

/** RFC 5280 App. A upper bounds: ub-common-name, ub-organization-name and ub-organizational-unit-name are 64. */
const UB_NAME = 64;

/**
 * `CN=<org> Vigil Device <Root|Issuing> CA, OU=<organisation id>, O=<org>`.
 * Strings are given as explicit UTF8String/PrintableString values: a plain
 * string would be parsed by @peculiar/x509 as RFC 4514 text (a leading `#` as
 * hex, backslashes as escapes).
 */
function caName(input: DeviceCaInput, tier: 'Root' | 'Issuing'): x509.Name {
  const organisationName =
    typeof input.organisationName === 'string' ? input.organisationName.trim() : '';
  const characters = Array.from(organisationName); // code points, so a cut never splits a pair
  if (characters.length === 0 || characters.length > UB_NAME || /\p{Cc}/u.test(organisationName)) {
    throw new VigilError(
      'ERR_CA_PARAMETERS_INVALID',
      `The organisation name must be 1 to ${UB_NAME} characters without control characters.`,
    );
  }
  if (
    typeof input.organisationId !== 'string' ||
    !/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/.test(input.organisationId)
  ) {
    throw new VigilError(
      'ERR_CA_PARAMETERS_INVALID',
      'The organisation id must be 1 to 64 letters, digits, "." or "-" (a PrintableString).',
    );
  }
  const suffix = ` Vigil Device ${tier} CA`;
  // The full name stays in O; the CN shortens the name to fit ub-common-name.
  const commonName = `${characters
    .slice(0, UB_NAME - suffix.length)
    .join('')
    .trimEnd()}${suffix}`;
  return new x509.Name([
    { [OID.organizationName]: [{ utf8String: organisationName }] },
    { [OID.organizationalUnitName]: [{ printableString: input.organisationId }] },
    { [OID.commonName]: [{ utf8String: commonName }] },
  ]);
}

function validityYears(value: number | undefined, fallback: number): number {
  const years = value ?? fallback;
  if (!Number.isInteger(years) || years < 1 || years > 30) {
    throw new VigilError(
      'ERR_CA_PARAMETERS_INVALID',
      'validityYears must be a whole number from 1 to 30.',
    );
  }
  return years;
}

/** Calendar years in UTC (29 February rolls over to 1 March). */
function addYears(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

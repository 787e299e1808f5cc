import { sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  CRLNumber,
  CRLReason,
  CRLReasons,
  CertificateList,
  Extension,
  KeyIdentifier,
  Name,
  RevokedCertificate as AsnRevokedCertificate,
  TBSCertList,
  Time,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
} from '@peculiar/asn1-x509';
import { VigilError } from '@vigil/core';
import { x509 } from '../tls/x509-provider.js';
import { type CaMaterial, assertDate, loadCa } from './ca-material.js';
import { parseSerialNumberText } from './serial-number.js';

/**
 * Certificate revocation lists. Encoded here with the ASN.1 schema rather than
 * @peculiar/x509's CRL generator, which writes an empty crlEntryExtensions
 * SEQUENCE for entries without a reason — RFC 5280 §5.1 makes it SIZE (1..MAX).
 */

/** RFC 5280 §5.3.1 reason codes Vigil uses; `unspecified` is expressed by leaving the reason out. */
export type RevocationReason =
  'keyCompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation';

export interface RevokedCertificate {
  /** Canonical serial text (as `IssuedCertificate.serialNumber`); upper case and colons are accepted. */
  readonly serialNumber: string;
  readonly revokedAt: Date;
  readonly reason?: RevocationReason;
}

export interface CrlInput {
  readonly revoked: ReadonlyArray<RevokedCertificate>;
  readonly thisUpdate: Date;
  /** RFC 5280 §5.1.2.5: conforming CAs always say when the next CRL comes. */
  readonly nextUpdate: Date;
  /** RFC 5280 §5.2.3: monotonically increasing for this CA; the caller keeps the counter. */
  readonly crlNumber: number;
}

const REASON_CODES: Readonly<Record<RevocationReason, CRLReasons>> = {
  keyCompromise: CRLReasons.keyCompromise,
  affiliationChanged: CRLReasons.affiliationChanged,
  superseded: CRLReasons.superseded,
  cessationOfOperation: CRLReasons.cessationOfOperation,
};

/** RFC 5758 §3.2: ecdsa-with-SHA256 / -SHA384, parameters absent. */
const ECDSA_OIDS = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3' } as const;

/**
 * Signs an X.509 v2 CRL (RFC 5280 §5) with the issuing CA: the revoked serials
 * with their dates and reasons, and the cRLNumber and authorityKeyIdentifier
 * extensions. The CA must be valid at `thisUpdate`.
 *
 * Throws ERR_CA_PARAMETERS_INVALID (dates, CRL number, serials, reasons) and
 * ERR_CA_INVALID (unusable CA).
 *
 * @example
 * const crl = await createCrl(issuing, { revoked, thisUpdate: now, nextUpdate: inADay, crlNumber: 42 });
 * reply.type('application/pkix-crl').send(Buffer.from(crl.der));
 */
export async function createCrl(
  issuing: CaMaterial,
  input: CrlInput,
): Promise<{ der: Uint8Array; pem: string }> {
  const invalid = (why: string): VigilError => new VigilError('ERR_CA_PARAMETERS_INVALID', why);
  assertDate(input.thisUpdate, 'thisUpdate');
  assertDate(input.nextUpdate, 'nextUpdate');
  if (input.nextUpdate <= input.thisUpdate) throw invalid('nextUpdate must be after thisUpdate.');
  // RFC 5280 §5.2.3: 0..MAX within 20 octets; a JavaScript safe integer is well inside.
  if (!Number.isSafeInteger(input.crlNumber) || input.crlNumber < 0) {
    throw invalid('crlNumber must be a non-negative safe integer.');
  }

  const seen = new Set<string>();
  const revoked = input.revoked.map((entry) => {
    const serialNumber = parseSerialNumberText(entry.serialNumber);
    if (seen.has(serialNumber)) throw invalid(`Serial ${serialNumber} is listed twice.`);
    seen.add(serialNumber);
    assertDate(entry.revokedAt, 'revokedAt');
    const reason = entry.reason === undefined ? undefined : REASON_CODES[entry.reason];
    if (entry.reason !== undefined && reason === undefined) {
      throw invalid(`Unknown revocation reason "${String(entry.reason)}".`);
    }
    return new AsnRevokedCertificate({
      userCertificate: positiveInteger(serialNumber),
      revocationDate: new Time(entry.revokedAt),
      // RFC 5280 §5.3.1: reasonCode is non-critical, and absent rather than unspecified.
      crlEntryExtensions:
        reason === undefined
          ? undefined
          : [extension(id_ce_cRLReasons, AsnConvert.serialize(new CRLReason(reason)))],
    });
  });

  const ca = await loadCa(issuing, input.thisUpdate);
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_OIDS[ca.signingAlgorithm.hash] });
  const tbsCertList = new TBSCertList({
    version: Version.v2, // RFC 5280 §5.1.2.1: v2, because there are extensions
    signature: algorithm,
    issuer: AsnConvert.parse(ca.cert.subjectName.toArrayBuffer(), Name),
    // RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime after (the Time class does this).
    thisUpdate: new Time(input.thisUpdate),
    nextUpdate: new Time(input.nextUpdate),
    // RFC 5280 §5.1.2.6: with nothing revoked the list is absent, not empty.
    revokedCertificates: revoked.length === 0 ? undefined : revoked,
    crlExtensions: [
      // RFC 5280 §5.2.1: conforming CAs MUST include the authorityKeyIdentifier.
      extension(
        id_ce_authorityKeyIdentifier,
        AsnConvert.serialize(
          new AuthorityKeyIdentifier({
            keyIdentifier: new KeyIdentifier(Buffer.from(ca.keyIdentifier, 'hex')),
          }),
        ),
      ),
      // RFC 5280 §5.2.3: and the cRLNumber.
      extension(id_ce_cRLNumber, AsnConvert.serialize(new CRLNumber(input.crlNumber))),
    ],
  });
  const signedBytes = Buffer.from(AsnConvert.serialize(tbsCertList));
  const hash = ca.signingAlgorithm.hash === 'SHA-384' ? 'sha384' : 'sha256';
  const crl = new CertificateList({
    tbsCertList,
    signatureAlgorithm: algorithm,
    // node signs ECDSA as the DER Ecdsa-Sig-Value that RFC 5758 §3.2 puts in the BIT STRING.
    signature: new Uint8Array(sign(hash, signedBytes, ca.privateKey)).buffer,
  });
  const der = new Uint8Array(AsnConvert.serialize(crl));
  return { der, pem: `${x509.PemConverter.encode(der, 'X509 CRL')}\n` };
}

/** A non-critical extension (RFC 5280 §5.2, §5.3: every CRL extension Vigil writes). */
function extension(extnID: string, value: ArrayBuffer): Extension {
  return new Extension({ extnID, critical: false, extnValue: new OctetString(value) });
}

/** INTEGER content octets of a canonical serial: a 00 octet first when the top bit is set. */
function positiveInteger(serialNumber: string): ArrayBuffer {
  const magnitude = Buffer.from(serialNumber, 'hex');
  const octets = (magnitude[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.of(0), magnitude]) : magnitude;
  return new Uint8Array(octets).buffer;
}

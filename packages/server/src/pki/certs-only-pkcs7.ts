import {
  CMSVersion,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  SignedData,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { VigilError } from '@vigil/core';
import { readCertificate } from './certificate-facts.js';

/**
 * The EST answer formats: a "certs-only" CMS message (RFC 7030 §4.1.3 for
 * /cacerts, §4.2.3 for /simpleenroll; the Simple PKI Response of RFC 5272 §4.1)
 * and its base64 transfer encoding.
 *
 * @peculiar/x509's `X509Certificates.export()` is not used: it writes an empty
 * eContent, where RFC 5272 §4.1 requires eContent to be absent.
 */

/**
 * A degenerate CMS SignedData (RFC 5652 §5) holding `certsDer` and no signers,
 * DER-encoded. The certificates come out in DER SET OF order (X.690 §11.6),
 * not necessarily the order given; EST clients do not rely on order.
 * Throws ERR_CA_CERTIFICATE_INVALID for an entry that is not a DER certificate,
 * ERR_CA_PARAMETERS_INVALID for an empty list.
 *
 * @example
 * const body = toEstBase64(certsOnlyPkcs7([issuing.certDer, root.certDer]));
 * // Content-Type: application/pkcs7-mime; smime-type=certs-only
 * // Content-Transfer-Encoding: base64
 */
export function certsOnlyPkcs7(certsDer: readonly Uint8Array[]): Uint8Array {
  if (certsDer.length === 0) {
    throw new VigilError('ERR_CA_PARAMETERS_INVALID', 'A certs-only message needs a certificate.');
  }
  const certificates = certsDer.map((der) => {
    if (!(der instanceof Uint8Array)) {
      throw new VigilError('ERR_CA_CERTIFICATE_INVALID', 'Certificates must be DER bytes.');
    }
    const read = readCertificate(der);
    // The message embeds the re-encoded certificate; it must be byte-identical,
    // or its signature would no longer verify.
    if (!Buffer.from(AsnConvert.serialize(read.asn)).equals(read.der)) {
      throw new VigilError('ERR_CA_CERTIFICATE_INVALID', 'A certificate is not in DER.');
    }
    return read;
  });
  certificates.sort((a, b) => compareSetOfElements(a.der, b.der));

  const signedData = new SignedData({
    // RFC 5652 §5.1: v1 — no attribute certificates, no "other" formats,
    // eContentType id-data, and no SignerInfos at all.
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers(),
    // RFC 5272 §4.1: eContentType id-data, eContent omitted.
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(
      certificates.map(({ asn }) => new CertificateChoices({ certificate: asn })),
    ),
    signerInfos: new SignerInfos(),
  });
  const contentInfo = new ContentInfo({
    contentType: id_signedData,
    content: AsnConvert.serialize(signedData),
  });
  return new Uint8Array(AsnConvert.serialize(contentInfo));
}

/**
 * X.690 §11.6: SET OF elements in ascending order of their encodings, compared
 * as octet strings with the shorter one padded with trailing zero octets.
 */
function compareSetOfElements(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Base64 with a CRLF after every 76 characters and none at the end: the
 * Content-Transfer-Encoding RFC 7030 §4.1.3 and §4.2.3 name, as RFC 2045
 * §6.8 lays it out.
 *
 * @example
 * toEstBase64(new Uint8Array(100)); // 'AAAA…\r\nAAAA…'
 */
export function toEstBase64(der: Uint8Array): string {
  const text = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
  return lines.join('\r\n');
}

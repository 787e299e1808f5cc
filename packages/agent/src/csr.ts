import { webcrypto } from 'node:crypto';
import { AgentError } from './errors.js';
import { x509 } from './x509-provider.js';

/**
 * Who the certificate request is for. At enrolment the hardware serial number
 * and model; at re-enrolment the current certificate's subject, unchanged,
 * because RFC 7030 §4.2.2 requires the re-enrolment CSR's subject to equal it.
 */
export type CsrSubject =
  | { readonly serialNumber: string; readonly commonName?: string }
  | { readonly subjectDer: Uint8Array };

/** A fresh key pair and the PKCS#10 request that proves we hold it. */
export interface CertificateRequest {
  /** The new private key, PKCS#8 PEM, for the storage adapter only. */
  readonly keyPkcs8Pem: string;
  /** The public key, SubjectPublicKeyInfo DER (what the issued certificate must carry). */
  readonly spkiDer: Uint8Array;
  /** The signed PKCS#10 request, DER (RFC 2986). */
  readonly csrDer: Uint8Array;
}

/** Used when the gateway app names no model. */
export const DEFAULT_COMMON_NAME = 'vigil-gateway';

// ECDSA P-256 with SHA-256 (RFC 5480, RFC 5758): accepted by the server
// (docs/devices.md, step 5) and by every TLS 1.2/1.3 stack a gateway runs.
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** X.520 serialNumber attribute (id-at-serialNumber). */
const SERIAL_NUMBER_OID = '2.5.4.5';

/**
 * Generates a key pair on this gateway and a CSR for it. The private key is
 * created here and never sent anywhere: the CSR carries only the public key and
 * a signature (proof of possession, RFC 2986 §3), so the device needs no shared
 * secret (FDA premarket guidance App. 1). The WebCrypto key is extractable only
 * so its PKCS#8 form can be handed to the storage adapter (and to node's TLS,
 * which takes keys as PEM).
 *
 * @example
 * const request = await createCertificateRequest({ serialNumber: 'SN-0001', commonName: 'hub-2' });
 * await est.simpleEnroll({ csrDer: request.csrDer, token });
 */
export async function createCertificateRequest(subject: CsrSubject): Promise<CertificateRequest> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subjectName(subject),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    keyPkcs8Pem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    spkiDer: new Uint8Array(spki),
    csrDer: new Uint8Array(csr.rawData),
  };
}

function subjectName(subject: CsrSubject): x509.Name {
  if ('subjectDer' in subject) return new x509.Name(subject.subjectDer);
  const serialNumber = subject.serialNumber.trim();
  const commonName = (subject.commonName ?? DEFAULT_COMMON_NAME).trim();
  // X.520 gives serialNumber the PrintableString type: letters, digits and a few
  // punctuation marks only, at most 64 characters (RFC 5280 Appendix A.1 ub-serial-number).
  if (!/^[A-Za-z0-9 '()+,./:=?-]{1,64}$/.test(serialNumber)) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      'serialNumber must be 1–64 printable characters (letters, digits, - . : / and similar).',
    );
  }
  // RFC 5280 Appendix A.1: ub-common-name 64.
  if (commonName.length === 0 || commonName.length > 64) {
    throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'The model name must be 1–64 characters.');
  }
  return new x509.Name([{ [SERIAL_NUMBER_OID]: [serialNumber] }, { CN: [commonName] }]);
}

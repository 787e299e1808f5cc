import { AgentError } from './errors.js';
import { x509 } from './x509-provider.js';

/** Bodies larger than this are not an EST certificate answer (a chain is a few KiB). */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * Reads an EST certificate answer — `application/pkcs7-mime; smime-type=certs-only`,
 * a degenerate PKCS#7 SignedData with certificates and no signers (RFC 7030
 * §4.1.3 and §4.2.3, RFC 5751 §3.2.2) — and returns the certificates as PEM, in
 * the order the server sent them.
 *
 * RFC 7030 sends the DER base64-encoded; RFC 8951 §3 settles that the encoding is
 * always base64 whatever Content-Transfer-Encoding says, and that line breaks are
 * allowed. A body that already is DER (a SEQUENCE, 0x30) is accepted too, as some
 * EST servers send that.
 *
 * @example
 * const pems = parseCertsOnly(response.body); // ['-----BEGIN CERTIFICATE-----\n…']
 */
export function parseCertsOnly(body: Uint8Array): string[] {
  if (body.length === 0 || body.length > MAX_BODY_BYTES) {
    throw protocolError(`The certificate answer has ${body.length} bytes.`);
  }
  const der = body[0] === 0x30 ? body : decodeBase64(body);
  let certificates: x509.X509Certificates;
  try {
    certificates = new x509.X509Certificates(der);
  } catch (cause) {
    throw protocolError('The certificate answer is not a PKCS#7 certs-only structure.', cause);
  }
  if (certificates.length === 0)
    throw protocolError('The certificate answer holds no certificate.');
  // Array.from, not map: map would build another X509Certificates (Symbol.species).
  return Array.from(certificates, (certificate) => `${certificate.toString('pem')}\n`);
}

/** RFC 4648 §4 base64, whitespace ignored (RFC 8951 §3.1 allows line breaks). */
function decodeBase64(body: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(body).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw protocolError('The certificate answer is neither base64 nor DER.');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function protocolError(message: string, cause?: unknown): AgentError {
  return new AgentError('ERR_AGENT_PROTOCOL', message, { cause });
}

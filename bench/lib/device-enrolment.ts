import { webcrypto } from 'node:crypto';
// The server's provider, not @peculiar/x509 itself: it loads reflect-metadata and sets
// node's WebCrypto before the library is used.
import { x509 } from '../../packages/server/src/tls/x509-provider.js';
import { httpsRequest } from './https-request.js';

/** A device's key pair and its PKCS#10 request, made before anything is timed. */
export interface DeviceRequest {
  /** The CSR as EST sends it: base64 of the DER (RFC 7030 §4.2.1). */
  readonly csrBase64: string;
  /** The private key, PKCS#8 PEM, for the device's mutual-TLS connections. */
  readonly keyPem: string;
}

/** An enrolled device: what it needs to call the device listener. */
export interface EnrolledDevice {
  readonly deviceId: string;
  readonly certPem: string;
  readonly keyPem: string;
}

// What a gateway sends (docs/devices.md, step 2; the agent's csr.ts): ECDSA P-256 with SHA-256.
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** X.520 serialNumber attribute, where the hardware serial number goes. */
const SERIAL_NUMBER_OID = '2.5.4.5';

/**
 * `count` fresh key pairs and CSRs with subjects `/serialNumber=<prefix>-<n>/CN=bench-gateway`.
 * Key generation and signing are the device's work, not the server's: the benchmark does
 * them all before timing.
 */
export async function createDeviceRequests(
  count: number,
  prefix: string,
): Promise<DeviceRequest[]> {
  const requests: DeviceRequest[] = [];
  for (let n = 1; n <= count; n++) {
    const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: new x509.Name([
        { [SERIAL_NUMBER_OID]: [`${prefix}-${String(n).padStart(4, '0')}`] },
        { CN: ['bench-gateway'] },
      ]),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    requests.push({
      csrBase64: Buffer.from(csr.rawData).toString('base64'),
      keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
    });
  }
  return requests;
}

/** The request headers of EST simpleenroll with an enrolment token (RFC 7030 §3.2.3, §4.2.1). */
export function simpleEnrollHeaders(token: string): Record<string, string> {
  return { 'content-type': 'application/pkcs10', authorization: `Bearer ${token}` };
}

/** Enrols one device over EST simpleenroll and reads its certificate from the PKCS#7 answer. */
export async function enrolDevice(
  baseUrl: string,
  options: { readonly ca: string; readonly token: string; readonly request: DeviceRequest },
): Promise<EnrolledDevice> {
  const answer = await httpsRequest(`${baseUrl}/.well-known/est/simpleenroll`, {
    method: 'POST',
    headers: simpleEnrollHeaders(options.token),
    body: options.request.csrBase64,
    ca: options.ca,
  });
  const deviceId = answer.headers['x-vigil-device-id'];
  if (answer.status !== 200 || typeof deviceId !== 'string') {
    throw new Error(`Enrolment answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  // RFC 7030 §4.2.3: a certs-only PKCS#7, base64; the device certificate is its only one.
  const certificate = new x509.X509Certificates(Buffer.from(answer.body, 'base64'))[0];
  if (!certificate) throw new Error('The enrolment answer held no certificate.');
  return { deviceId, certPem: certificate.toString('pem'), keyPem: options.request.keyPem };
}

import { parseNonceAnswer } from './attestation.js';
import { errorFromResponse } from './error-from-response.js';
import { AgentError } from './errors.js';
import { parseCertsOnly } from './parse-certs-only.js';
import {
  isSuccess,
  mediaType,
  type AgentTransport,
  type ClientCertificate,
  type TransportResponse,
} from './transport.js';

/** What `simpleenroll` and `simplereenroll` return. */
export interface EnrolmentAnswer {
  /** The certificates of the PKCS#7 answer, PEM (the device certificate among them). */
  readonly certificates: string[];
  /** `X-Vigil-Device-Id`, when the server sent it. */
  readonly deviceId: string | undefined;
}

/**
 * The EST client (RFC 7030) for the operations a Vigil gateway uses. Enrolment
 * goes to the main listener with server-authenticated TLS and the enrolment
 * token; re-enrolment goes to the device listener over mutual TLS with the
 * current certificate (RFC 7030 §3.3.2: the certificate authenticates the client).
 *
 * @example
 * const est = new EstClient(transport, 'https://vigil.example:8443');
 * const chain = await est.cacerts();
 * const { certificates } = await est.simpleEnroll({ csrDer, token });
 */
export class EstClient {
  readonly #transport: AgentTransport;
  readonly #enrolUrl: string;

  /** @param enrolUrl the main listener's origin, e.g. `https://vigil.example:8443`. */
  constructor(transport: AgentTransport, enrolUrl: string) {
    this.#transport = transport;
    this.#enrolUrl = enrolUrl;
  }

  /**
   * RFC 7030 §4.1: the CA certificates, PEM. `label` selects one manufacturer
   * on a server hosting several (RFC 7030 §3.2.2 optional label).
   */
  async cacerts(label?: string): Promise<string[]> {
    const response = await this.#transport.request({
      url: this.#url(label === undefined ? 'cacerts' : `${encodeURIComponent(label)}/cacerts`),
      method: 'GET',
      headers: { accept: 'application/pkcs7-mime' },
    });
    return readCertificates(response);
  }

  /** A fresh attestation nonce for this enrolment (Vigil extension, docs/devices.md step 3). */
  async attestationNonce(token: string): Promise<string> {
    const response = await this.#transport.request({
      url: this.#url('vigil/attestation-nonce'),
      method: 'POST',
      headers: { authorization: basicAuthorization(token), accept: 'application/json' },
    });
    if (!isSuccess(response)) throw errorFromResponse(response);
    try {
      return parseNonceAnswer(JSON.parse(new TextDecoder().decode(response.body)));
    } catch (cause) {
      if (cause instanceof AgentError) throw cause;
      throw new AgentError('ERR_AGENT_PROTOCOL', 'The nonce answer is not JSON.', { cause });
    }
  }

  /**
   * RFC 7030 §4.2.1: enrolment. HTTP Basic with the enrolment token as the
   * password (RFC 7030 §3.2.3 lets the server require HTTP authentication;
   * every EST client supports Basic).
   */
  async simpleEnroll(request: {
    csrDer: Uint8Array;
    token: string;
    headers?: Record<string, string>;
  }): Promise<EnrolmentAnswer> {
    const response = await this.#transport.request({
      url: this.#url('simpleenroll'),
      method: 'POST',
      headers: {
        ...request.headers,
        ...PKCS10_HEADERS,
        authorization: basicAuthorization(request.token),
      },
      body: base64Lines(request.csrDer),
    });
    return {
      certificates: readCertificates(response),
      deviceId: response.headers['x-vigil-device-id'],
    };
  }

  /**
   * RFC 7030 §4.2.2: re-enrolment on the device listener, authenticated by the
   * current certificate in the TLS handshake; no token.
   *
   * @param deviceUrl the device listener's origin, e.g. `https://vigil.example:8444`.
   */
  async simpleReenroll(request: {
    csrDer: Uint8Array;
    deviceUrl: string;
    clientCert: ClientCertificate;
  }): Promise<EnrolmentAnswer> {
    const response = await this.#transport.request({
      url: new URL('/.well-known/est/simplereenroll', request.deviceUrl).href,
      method: 'POST',
      headers: { ...PKCS10_HEADERS },
      body: base64Lines(request.csrDer),
      clientCert: request.clientCert,
    });
    return {
      certificates: readCertificates(response),
      deviceId: response.headers['x-vigil-device-id'],
    };
  }

  #url(operation: string): string {
    return new URL(`/.well-known/est/${operation}`, this.#enrolUrl).href;
  }
}

// RFC 7030 §4.2.1: the body is the base64 of the DER PKCS#10 (RFC 8951 §3:
// always base64, so no Content-Transfer-Encoding header is needed).
const PKCS10_HEADERS = {
  'content-type': 'application/pkcs10',
  accept: 'application/pkcs7-mime',
} as const;

/** RFC 7617 Basic credentials; the user name is informative only. */
export function basicAuthorization(token: string): string {
  return `Basic ${Buffer.from(`vigil-agent:${token}`, 'utf8').toString('base64')}`;
}

/** Base64 in 64-character lines (RFC 8951 §3.1 allows line breaks; PEM uses 64). */
export function base64Lines(der: Uint8Array): string {
  const text = Buffer.from(der).toString('base64');
  return `${text.match(/.{1,64}/g)?.join('\r\n') ?? ''}\r\n`;
}

function readCertificates(response: TransportResponse): string[] {
  // RFC 7030 §4.2.3: success is 200 with the certificate; anything else is an error
  // (this server never answers 202 "pending manual approval").
  if (response.status !== 200) throw errorFromResponse(response);
  if (mediaType(response) !== 'application/pkcs7-mime') {
    throw new AgentError(
      'ERR_AGENT_PROTOCOL',
      `Expected application/pkcs7-mime, got ${response.headers['content-type'] ?? 'none'}.`,
    );
  }
  return parseCertsOnly(response.body);
}

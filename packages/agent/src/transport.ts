/**
 * The agent's one seam to the network. Everything above it (EST, check-in,
 * renewal) builds requests and reads answers; only an implementation of this
 * interface opens sockets, so tests pass a fake and the gateway app may pass its
 * own (a proxy-aware client, a platform HTTP stack on React Native).
 */

/** A client identity for mutual TLS: the device certificate and its private key. */
export interface ClientCertificate {
  /** The device certificate, PEM. */
  readonly certPem: string;
  /** Its PKCS#8 private key, PEM. Stays in this process; only TLS uses it to sign. */
  readonly keyPem: string;
}

export interface TransportRequest {
  /** Absolute `https:` URL. */
  readonly url: string;
  readonly method: string;
  /** Request headers; names are case-insensitive as in HTTP. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Present for the device listener (mutual TLS); absent for enrolment (server-authenticated TLS). */
  readonly clientCert?: ClientCertificate;
}

export interface TransportResponse {
  readonly status: number;
  /** Response headers with lower-case names; repeated headers joined by `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/**
 * Sends one HTTPS request. Implementations must authenticate the server (a
 * pinned trust anchor, TLS 1.2 or later), present `clientCert` when given, not
 * follow redirects, and bound time and response size. Failures to get any answer
 * reject with an `AgentError` (`ERR_AGENT_NETWORK`, `ERR_AGENT_TIMEOUT`,
 * `ERR_AGENT_SERVER_UNTRUSTED` …); an HTTP error status is an answer, not a rejection.
 *
 * @example
 * const fake: AgentTransport = {
 *   async request(req) {
 *     return { status: 200, headers: { 'content-type': 'application/json' }, body: encode('{}') };
 *   },
 * };
 */
export interface AgentTransport {
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Releases pooled connections. Optional: the agent calls it only on transports it created. */
  close?(): void;
}

/** The media type of a response without parameters, lower-case (`application/json`). */
export function mediaType(response: TransportResponse): string {
  const value = response.headers['content-type'] ?? '';
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** True for 2xx. */
export function isSuccess(response: TransportResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

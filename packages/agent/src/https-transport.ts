import { createHash } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { AgentError } from './errors.js';
import type {
  AgentTransport,
  ClientCertificate,
  TransportRequest,
  TransportResponse,
} from './transport.js';

export interface HttpsTransportOptions {
  /**
   * The trust anchor(s) for the server's TLS certificate, PEM. Pinned: the
   * operating system's store is not consulted, so a certificate from any other CA
   * is refused. For the development server, `<dataDir>/tls/ca.pem`.
   */
  readonly trustPem: string;
  /** Socket inactivity limit per request, ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** Largest response body accepted, bytes. Default 1 MiB (EST answers are a few KiB). */
  readonly maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Identities kept pooled: the current one and the one being renewed, plus slack. */
const MAX_POOLED_IDENTITIES = 3;

/**
 * `AgentTransport` over node:https: a keep-alive connection pool per client
 * identity, the server pinned to `trustPem`, TLS 1.2 or later (RFC 8996 retires
 * 1.0/1.1; RFC 7030 §3.3.1 requires TLS for EST), SNI from the URL, no redirects,
 * bounded time and size.
 *
 * @example
 * const transport = new HttpsTransport({ trustPem: readFileSync('var/tls/ca.pem', 'utf8') });
 * const agent = await VigilAgent.load({ storage, transport });
 */
export class HttpsTransport implements AgentTransport {
  readonly #trustPem: string;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #agents = new Map<string, Agent>();

  constructor(options: HttpsTransportOptions) {
    if (!options.trustPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'trustPem must hold a PEM certificate.');
    }
    this.#trustPem = options.trustPem;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    const url = new URL(req.url);
    if (url.protocol !== 'https:') {
      return Promise.reject(new AgentError('ERR_AGENT_INVALID_OPTIONS', 'Only https: URLs.'));
    }
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(
        {
          agent: this.#agentFor(req.clientCert),
          hostname,
          port: url.port === '' ? 443 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers: { ...req.headers, 'content-length': String(body?.length ?? 0) },
          // RFC 6066 §3: SNI carries host names only, never literal addresses.
          servername: isIP(hostname) === 0 ? hostname : '',
          timeout: this.#timeoutMs,
        },
        (incoming) => this.#collect(incoming, resolve, reject),
      );
      outgoing.on('timeout', () =>
        outgoing.destroy(new AgentError('ERR_AGENT_TIMEOUT', `No answer from ${url.host}.`)),
      );
      outgoing.on('error', (error) => reject(toAgentError(error, url.host)));
      // RFC 9110 §15.2.2: a 101 answers only a request that asked to upgrade, and ours never
      // do. Without an 'upgrade' listener Node closes the socket and settles nothing: no
      // response, no error, no timeout, so the request (and an upload pass) would hang.
      outgoing.on('upgrade', (_response, socket) => {
        socket.destroy();
        reject(new AgentError('ERR_AGENT_PROTOCOL', `${url.host} switched protocols unasked.`));
      });
      outgoing.end(body);
    });
  }

  /** Closes every pooled connection. */
  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #agentFor(clientCert: ClientCertificate | undefined): Agent {
    const id =
      clientCert === undefined
        ? 'server-auth-only'
        : createHash('sha256').update(clientCert.certPem).digest('hex');
    let agent = this.#agents.get(id);
    if (agent === undefined) {
      agent = new Agent({
        keepAlive: true,
        maxSockets: 4,
        ca: this.#trustPem,
        minVersion: 'TLSv1.2',
        // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment cannot turn it off.
        rejectUnauthorized: true,
        ...(clientCert === undefined ? {} : { cert: clientCert.certPem, key: clientCert.keyPem }),
      });
    } else {
      this.#agents.delete(id);
    }
    this.#agents.set(id, agent);
    // Least recently used first: a superseded identity's sockets are closed, not kept.
    for (const [oldId, old] of this.#agents) {
      if (this.#agents.size <= MAX_POOLED_IDENTITIES) break;
      old.destroy();
      this.#agents.delete(oldId);
    }
    return agent;
  }

  #collect(
    incoming: IncomingMessage,
    resolve: (response: TransportResponse) => void,
    reject: (error: AgentError) => void,
  ): void {
    const limit = this.#maxResponseBytes;
    const declared = Number(incoming.headers['content-length'] ?? '0');
    const tooLarge = () =>
      new AgentError('ERR_AGENT_RESPONSE_TOO_LARGE', `The answer exceeds ${limit} bytes.`);
    if (declared > limit) {
      incoming.destroy();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) incoming.destroy(tooLarge());
      else chunks.push(chunk);
    });
    incoming.on('error', (error) => reject(toAgentError(error, '')));
    incoming.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      resolve({ status: incoming.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
    });
  }
}

/** OpenSSL verification results meaning "this is not the server we pinned". */
const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** TLS alerts a server sends when it does not accept our client certificate. */
const CLIENT_CERT_ALERT =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_\w+|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

function toAgentError(error: Error, host: string): AgentError {
  if (error instanceof AgentError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED_SERVER.has(code)) {
    return new AgentError('ERR_AGENT_SERVER_UNTRUSTED', `${host}: ${error.message}`, {
      cause: error,
    });
  }
  if (CLIENT_CERT_ALERT.test(code)) {
    return new AgentError('ERR_AGENT_CLIENT_CERTIFICATE_REJECTED', error.message, {
      cause: error,
    });
  }
  return new AgentError('ERR_AGENT_NETWORK', `${host}: ${error.message}`, { cause: error });
}

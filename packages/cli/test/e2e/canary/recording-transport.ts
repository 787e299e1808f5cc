import type { AgentTransport, TransportRequest, TransportResponse } from '@vigil/agent';
import type { Corpus, Part } from './byte-search.js';

interface Exchange {
  readonly request: Omit<TransportRequest, 'clientCert'>;
  response?: TransportResponse;
}

/**
 * The agent's transport with a recorder in front: every request the gateway
 * makes and every answer, in plaintext, as they are above TLS. This is where a
 * patient identifier or a value would show if the gateway ever sent one.
 */
export class RecordingTransport implements AgentTransport {
  readonly exchanges: Exchange[] = [];
  readonly #inner: AgentTransport;

  constructor(inner: AgentTransport) {
    this.#inner = inner;
  }

  async request(request: TransportRequest): Promise<TransportResponse> {
    // The client key stays in the process (only TLS uses it): it is not part of what is sent.
    const { clientCert: _key, ...sent } = request;
    const exchange: Exchange = { request: sent };
    this.exchanges.push(exchange);
    exchange.response = await this.#inner.request(request);
    return exchange.response;
  }

  close(): void {
    this.#inner.close?.();
  }

  /** Requests (method, URL, headers, body) and answers (status, headers, body), one part each. */
  corpus(name: string): Corpus {
    const parts: Part[] = [];
    this.exchanges.forEach(({ request, response }, i) => {
      const line = `${request.method} ${request.url}`;
      parts.push({
        label: `${name} #${i + 1} ${line} request`,
        bytes: Buffer.concat([
          Buffer.from(`${line}\n${JSON.stringify(request.headers)}\n\n`),
          Buffer.from(request.body ?? ''),
        ]),
      });
      if (response !== undefined) {
        parts.push({
          label: `${name} #${i + 1} ${line} answer`,
          bytes: Buffer.concat([
            Buffer.from(`${response.status}\n${JSON.stringify(response.headers)}\n\n`),
            Buffer.from(response.body),
          ]),
        });
      }
    });
    return { name, parts };
  }
}

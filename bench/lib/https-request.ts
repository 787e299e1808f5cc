import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpsRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** A keep-alive agent; without one Node's global agent is used. */
  readonly agent?: https.Agent;
  /** PEM of the CA that signed the server certificate (Vigil's development CA). */
  readonly ca?: string;
  /** Client certificate and its private key (PEM), for a listener that requires mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
  /** Source address to bind, e.g. `127.0.0.7` (any 127.0.0.0/8 address works on Linux). */
  readonly localAddress?: string;
  /** Milliseconds before the request is abandoned. Default 10 000. */
  readonly timeoutMs?: number;
}

export interface HttpsResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Addresses the benchmarks may send to: the load generator is a tool to
 * measure Vigil on this machine, never to load someone else's server.
 */
export function assertLoopback(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return;
  throw new RangeError(`Benchmarks only send to loopback addresses, not ${url.hostname}.`);
}

/** One HTTPS request to a loopback address; resolves with the status and the whole body. */
export function httpsRequest(
  target: string | URL,
  options: HttpsRequestOptions = {},
): Promise<HttpsResponse> {
  const url = typeof target === 'string' ? new URL(target) : target;
  assertLoopback(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const request = https.request(
      url,
      {
        method: options.method ?? 'GET',
        headers,
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.cert !== undefined && options.key !== undefined
          ? { cert: options.cert, key: options.key }
          : {}),
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.setTimeout(options.timeoutMs ?? 10_000, () =>
      request.destroy(new Error(`No answer from ${url.origin} within the timeout.`)),
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { createTestCa, issueServerCertificate } from '../fakes/test-pki.js';

/** What the server sends back, byte for byte, and what it does with the connection then. */
export interface RawHttpAnswer {
  /** The status line, CRLF included (or anything else in its place). */
  readonly statusLine: string;
  /** Header lines, without CRLF. */
  readonly headers: readonly string[];
  readonly body: string;
  /** Close cleanly, reset the connection, or keep it open (the client's timeout has to end it). */
  readonly then: 'end' | 'destroy' | 'hold';
}

/**
 * A TLS server on 127.0.0.1 that answers every request with the bytes of
 * `answer`, however malformed: no HTTP library on this side tidies them up.
 * The client side is the agent's real `HttpsTransport`, pinned to `trustPem`.
 */
export class RawTlsServer {
  answer: RawHttpAnswer = {
    statusLine: 'HTTP/1.1 204 No Content\r\n',
    headers: [],
    body: '',
    then: 'end',
  };
  readonly #server: Server;
  readonly #sockets = new Set<TLSSocket>();
  readonly trustPem: string;
  readonly origin: string;

  private constructor(server: Server, trustPem: string) {
    this.#server = server;
    this.trustPem = trustPem;
    this.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(now: number): Promise<RawTlsServer> {
    const ca = await createTestCa('Raw answer CA', now);
    const { certPem, keyPem } = await issueServerCertificate(ca, now);
    const holder: { raw?: RawTlsServer } = {};
    const server = createServer({ cert: certPem, key: keyPem }, (socket) => {
      if (holder.raw !== undefined) holder.raw.#answer(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.raw = new RawTlsServer(server, ca.certPem);
    return holder.raw;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #answer(socket: TLSSocket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined); // the client may reset first
    const { statusLine, headers, body, then } = this.answer;
    // Answer once the request has started to arrive, as a server would.
    socket.once('data', () => {
      socket.write(`${statusLine}${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`);
      if (then === 'end') socket.end();
      else if (then === 'destroy') socket.destroy();
    });
  }
}

import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Corpus } from './byte-search.js';

interface Target {
  readonly host: string;
  readonly port: number;
}

/** The bytes of one proxied connection, in each direction, as they passed. */
export interface RecordedConnection {
  /** Client to server. */
  readonly up: Buffer[];
  /** Server to client. */
  readonly down: Buffer[];
}

/**
 * A TCP proxy on 127.0.0.1 that forwards every connection to `target` and keeps
 * every byte both ways: what a network tap between the two would see (TLS
 * records for HTTPS, the frontend/backend protocol for PostgreSQL).
 */
export class TcpRecorder {
  readonly connections: RecordedConnection[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(target: Target) {
    this.#server = createServer((client) => this.#forward(client, target));
  }

  static async start(target: Target): Promise<TcpRecorder> {
    const recorder = new TcpRecorder(target);
    recorder.#server.listen(0, '127.0.0.1');
    await once(recorder.#server, 'listening');
    return recorder;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Both directions of every connection, as a search corpus. */
  corpus(name: string): Corpus {
    return {
      name,
      parts: this.connections.flatMap((c, i) => [
        { label: `${name} connection ${i + 1} client→server`, bytes: Buffer.concat(c.up) },
        { label: `${name} connection ${i + 1} server→client`, bytes: Buffer.concat(c.down) },
      ]),
    };
  }

  /** Stops listening and cuts the connections still open. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #forward(client: Socket, target: Target): void {
    const recorded: RecordedConnection = { up: [], down: [] };
    this.connections.push(recorded);
    const server = connect(target.port, target.host);
    for (const socket of [client, server]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => recorded.up.push(chunk));
    server.on('data', (chunk: Buffer) => recorded.down.push(chunk));
    client.pipe(server);
    server.pipe(client);
    // A failure cuts both sides; a close ends the other side once its buffered bytes are out.
    const cut = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', cut);
    server.on('error', cut);
    client.on('close', () => server.end());
    server.on('close', () => client.end());
  }
}

import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { PemKeyPair } from '../../src/tls/dev-certificates.js';
import { x509 } from '../../src/tls/x509-provider.js';

/**
 * Helpers for the TLS tests: a throw-away HTTPS server answering 200, a bare
 * handshake probe that reports the alert a server sent, and a self-signed RSA
 * certificate for the RSA-only cipher suites. Nothing here is ever written to the repo.
 */

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `https.createServer(options)` on 127.0.0.1 and an OS-chosen port. */
export async function startServer(options: https.ServerOptions): Promise<RunningServer> {
  const server = https.createServer(options, (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  server.on('tlsClientError', () => {}); // refused handshakes are the point of these tests
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export type Handshake =
  | { readonly ok: true; readonly protocol: string | null; readonly cipher: string }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Connects, completes (or fails) the TLS handshake, and hangs up. */
export function handshake(port: number, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
    } catch (error) {
      // The client could not even build a ClientHello (e.g. a cipher this OpenSSL lacks).
      resolve(failure(error));
      return;
    }
    socket.once('secureConnect', () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.destroy();
    });
    socket.once('error', (error) => resolve(failure(error)));
  });
}

function failure(error: unknown): Handshake {
  const { code, message } = error as NodeJS.ErrnoException;
  return { ok: false, code: code ?? 'UNKNOWN', message };
}

export interface HttpsAnswer {
  readonly status: number | undefined;
  readonly protocol: string | null;
  readonly cipher: string;
  readonly ephemeralKey: string | undefined;
}

/** A GET / over a fresh connection (no agent), verifying the server certificate. */
export function httpsGet(port: number, options: https.RequestOptions): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: '127.0.0.1', port, path: '/', agent: false, ...options },
      (response) => {
        const socket = response.socket as tls.TLSSocket;
        const key = socket.getEphemeralKeyInfo();
        const answer: HttpsAnswer = {
          status: response.statusCode,
          protocol: socket.getProtocol(),
          cipher: socket.getCipher().name,
          ephemeralKey: key !== null && 'name' in key ? String(key.name) : undefined,
        };
        response.resume();
        response.on('end', () => resolve(answer));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** A self-signed RSA-2048 server certificate, for suites that need an RSA key. */
export async function selfSignedRsa(): Promise<PemKeyPair> {
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=localhost',
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }])],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}

/** A fresh temporary directory and a function that removes it. */
export function temporaryDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

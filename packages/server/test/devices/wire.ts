import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

/** Test helpers that speak to a running Vigil over real TLS, and drive openssl. */

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export interface ClientIdentity {
  readonly certPem: string;
  readonly keyPem: string;
}

export function httpsCall(
  baseUrl: string,
  caPem: string,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    identity?: ClientIdentity;
  },
): Promise<Answer> {
  const url = new URL(options.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname + url.search,
        method: options.method,
        servername: 'localhost',
        ca: caPem,
        headers: options.headers ?? {},
        agent: false,
        ...(options.identity
          ? { cert: options.identity.certPem, key: options.identity.keyPem }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body.toString('utf8')) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(options.body);
  });
}

/** `openssl req`: a fresh P-256 key and a CSR; returns the key PEM and the CSR as RFC 7030 base64 DER. */
export function opensslCsr(
  dir: string,
  name: string,
  subject: string,
): { keyPem: string; csrDer: Buffer; csrBase64: string } {
  const keyPath = join(dir, `${name}.key`);
  const csrDer = execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyPath,
      '-subj',
      subject,
      '-outform',
      'DER',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return {
    keyPem: readFileSync(keyPath, 'utf8'),
    csrDer,
    csrBase64: csrDer.toString('base64').replace(/.{64}/g, '$&\n'),
  };
}

/** `openssl pkcs7 -print_certs` on an EST answer (base64 certs-only PKCS#7): the PEM certificates. */
export function opensslPrintCerts(estBase64: string): string {
  const der = Buffer.from(estBase64.replace(/\s+/g, ''), 'base64');
  const result = spawnSync('openssl', ['pkcs7', '-inform', 'DER', '-print_certs'], { input: der });
  if (result.status !== 0) throw new Error(`openssl pkcs7 failed: ${result.stderr.toString()}`);
  return (
    result.stdout
      .toString('utf8')
      .replace(/^(subject|issuer)=.*\n/gm, '')
      .trim() + '\n'
  );
}

export function opensslText(certPem: string, ...args: string[]): string {
  const result = spawnSync('openssl', ['x509', '-noout', ...args], { input: certPem });
  return result.stdout.toString('utf8');
}

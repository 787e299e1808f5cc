import { createHash, randomUUID, webcrypto } from 'node:crypto';
import type { Clock } from '@vigil/core';
import type { AgentTransport, TransportRequest, TransportResponse } from '@vigil/agent';
import { x509 } from '../../src/x509-provider.js';
import { FakeTelemetryRoutes } from './fake-telemetry-routes.js';
import { certsOnlyBase64, createTestCa, issueCertificate, type TestCa } from './test-pki.js';

const DAY_MS = 86_400_000;
const ATTESTATION_PREFIX = 'vigil-attestation-v1\n';

interface Device {
  readonly id: string;
  currentCertPem: string;
  status: 'active' | 'quarantined' | 'revoked';
}

/**
 * An in-process stand-in for the EST routes and the device API of
 * docs/devices.md, as an `AgentTransport`: it issues real certificates from a
 * test CA, so the agent's checks (key, CA, device id) run for real, while time
 * comes from the test's clock. The real server is exercised by
 * agent-against-server.test.ts.
 */
export class FakeVigilServer implements AgentTransport {
  readonly requests: TransportRequest[] = [];
  /** Answer the next n requests with 503. */
  failNext = 0;
  /** Misbehave: issue re-enrolment certificates for this key instead of the CSR's. */
  substituteKey: webcrypto.CryptoKey | undefined;
  /** Attestation public key the fake expects signatures from, when set. */
  attestationKey: webcrypto.CryptoKey | undefined;
  readonly devices = new Map<string, Device>();
  /** The telemetry routes (docs/telemetry.md), for the caller's device. */
  readonly telemetry = new FakeTelemetryRoutes();
  readonly #tokens = new Map<string, number>();
  readonly #nonces = new Set<string>();

  private constructor(
    readonly ca: TestCa,
    readonly clock: Clock,
    readonly lifetimeMs: number,
  ) {}

  static async start(clock: Clock, lifetimeDays = 90): Promise<FakeVigilServer> {
    return new FakeVigilServer(
      await createTestCa('Fake device CA', clock.now()),
      clock,
      lifetimeDays * DAY_MS,
    );
  }

  createToken(count = 1): string {
    const token = `vgl_enrol_${randomUUID()}`;
    this.#tokens.set(token, count);
    return token;
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    this.requests.push(req);
    if (this.failNext > 0) {
      this.failNext -= 1;
      return problem(503, 'ERR_UNAVAILABLE');
    }
    const path = new URL(req.url).pathname;
    switch (`${req.method} ${path}`) {
      case 'GET /.well-known/est/cacerts':
        return pkcs7([this.ca.certPem]);
      case 'POST /.well-known/est/vigil/attestation-nonce':
        return this.#nonce(req);
      case 'POST /.well-known/est/simpleenroll':
        return this.#enrol(req);
      case 'POST /.well-known/est/simplereenroll':
        return this.#reenrol(req);
      case 'POST /device/v1/check-in':
        return this.#checkIn(req);
      default:
        return path.startsWith('/device/v1/')
          ? this.#telemetry(req, path)
          : problem(404, 'ERR_NOT_FOUND');
    }
  }

  #nonce(req: TransportRequest): TransportResponse {
    if (!this.#tokens.has(tokenOf(req) ?? '')) return problem(401, 'ERR_ENROLMENT_TOKEN_INVALID');
    const nonce = Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    this.#nonces.add(nonce);
    return json(200, { nonce });
  }

  async #enrol(req: TransportRequest): Promise<TransportResponse> {
    const token = tokenOf(req) ?? '';
    const uses = this.#tokens.get(token) ?? 0;
    if (uses <= 0) return problem(401, 'ERR_ENROLMENT_TOKEN_INVALID');
    const csr = await readCsr(req);
    if (csr === null) return problem(400, 'ERR_REQUEST_INVALID');
    if (this.attestationKey !== undefined && !(await this.#attested(req, csr))) {
      return problem(403, 'ERR_ATTESTATION_SIGNATURE');
    }
    this.#tokens.set(token, uses - 1);
    const device: Device = { id: randomUUID(), currentCertPem: '', status: 'active' };
    device.currentCertPem = await this.#issue(device.id, csr.subjectName, csr.publicKey);
    this.devices.set(device.id, device);
    return pkcs7([device.currentCertPem], { 'x-vigil-device-id': device.id });
  }

  async #reenrol(req: TransportRequest): Promise<TransportResponse> {
    const device = this.#caller(req);
    if (device === undefined || device.status === 'revoked')
      return problem(403, 'ERR_DEVICE_REVOKED');
    const csr = await readCsr(req);
    if (csr === null) return problem(400, 'ERR_REQUEST_INVALID');
    const current = new x509.X509Certificate(device.currentCertPem);
    if (
      !Buffer.from(current.subjectName.toArrayBuffer()).equals(
        Buffer.from(csr.subjectName.toArrayBuffer()),
      )
    ) {
      return problem(400, 'ERR_EST_SUBJECT_MISMATCH');
    }
    const key = this.substituteKey ?? csr.publicKey;
    device.currentCertPem = await this.#issue(device.id, csr.subjectName, key);
    return pkcs7([device.currentCertPem]);
  }

  #checkIn(req: TransportRequest): TransportResponse {
    const device = this.#caller(req);
    if (device === undefined) return problem(401, 'ERR_DEVICE_UNKNOWN');
    if (device.status === 'revoked') return problem(403, 'ERR_DEVICE_REVOKED');
    const cert = new x509.X509Certificate(device.currentCertPem);
    const notBefore = cert.notBefore.getTime();
    const lifetime = cert.notAfter.getTime() - notBefore;
    return json(200, {
      deviceId: device.id,
      status: device.status,
      certificateExpiresAt: cert.notAfter.toISOString(),
      renewAfter: new Date(notBefore + (lifetime * 2) / 3).toISOString(),
    });
  }

  #telemetry(req: TransportRequest, path: string): TransportResponse {
    const device = this.#caller(req);
    if (device === undefined) return problem(401, 'ERR_DEVICE_UNKNOWN');
    if (device.status === 'revoked') return problem(403, 'ERR_DEVICE_REVOKED');
    return this.telemetry.handle(req, path, device.id);
  }

  /** The device whose current certificate the request presents (mutual TLS stand-in). */
  #caller(req: TransportRequest): Device | undefined {
    const pem = req.clientCert?.certPem;
    return [...this.devices.values()].find((d) => d.currentCertPem === pem);
  }

  async #attested(req: TransportRequest, csr: x509.Pkcs10CertificateRequest): Promise<boolean> {
    const nonce = req.headers['x-vigil-attestation-nonce'] ?? '';
    const signature = req.headers['x-vigil-attestation-signature'] ?? '';
    if (!this.#nonces.delete(nonce) || req.headers['x-vigil-attestation-chain'] === undefined)
      return false;
    const spki = Buffer.from(csr.publicKey.rawData);
    const message = Buffer.concat([
      Buffer.from(ATTESTATION_PREFIX),
      Buffer.from(nonce, 'base64url'),
      createHash('sha256').update(spki).digest(),
    ]);
    return webcrypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      this.attestationKey as webcrypto.CryptoKey,
      Buffer.from(signature, 'base64url'),
      message,
    );
  }

  #issue(
    deviceId: string,
    subject: x509.Name,
    publicKey: x509.PublicKey | webcrypto.CryptoKey,
  ): Promise<string> {
    const now = this.clock.now();
    return issueCertificate(this.ca, {
      subject,
      publicKey,
      notBefore: now,
      notAfter: now + this.lifetimeMs,
      sans: [{ type: 'url', value: `urn:uuid:${deviceId}` }],
      usage: 'clientAuth',
    });
  }
}

function tokenOf(req: TransportRequest): string | undefined {
  const header = req.headers['authorization'] ?? '';
  if (!header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

async function readCsr(req: TransportRequest): Promise<x509.Pkcs10CertificateRequest | null> {
  if (req.headers['content-type'] !== 'application/pkcs10' || req.body === undefined) return null;
  const text = typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
  const csr = new x509.Pkcs10CertificateRequest(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
  return (await csr.verify()) ? csr : null;
}

function pkcs7(pems: string[], extra: Record<string, string> = {}): TransportResponse {
  const headers = { 'content-type': 'application/pkcs7-mime; smime-type=certs-only', ...extra };
  return { status: 200, headers, body: Buffer.from(certsOnlyBase64(pems)) };
}

function json(status: number, value: unknown): TransportResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(value)),
  };
}

function problem(status: number, code: string): TransportResponse {
  const body = { type: `urn:vigil:problem:${code}`, title: code, status, code };
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: Buffer.from(JSON.stringify(body)),
  };
}

import { webcrypto, type webcrypto as WebCrypto } from 'node:crypto';
import { Agent, request } from 'node:https';
import { systemContext } from '@vigil/server';
import {
  derivePseudonymKey,
  generateKeyPair,
  generateSigningKeyPair,
  newDataKey,
  newEpoch,
  protectBatch,
  pseudonymFor,
  sealPseudonymSecretForStaff,
  sealTableForStaff,
  PseudonymTable,
  signManifest,
  vitalSignObservation,
  type EcKeyPair,
  type KeyManifestPayload,
  type NewDataKey,
  type P256PrivateJwk,
  type SigningKeyPair,
  type TeamEpoch,
} from '@vigil/protect';
import type { TestApp, TestDeviceListener } from '@vigil/testkit';
import { x509 } from '../../src/tls/x509-provider.js';

/**
 * Test helpers for protected telemetry: a care organisation's keys made with
 * @vigil/protect exactly as its admin and gateways make them, and gateways
 * enrolled in-process (no child process next to the in-process server) that
 * speak to a `TestApp`'s device listener over real mutual TLS.
 */

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
  /** The problem code of an error answer. */
  readonly code: string | undefined;
}

/** An enrolled gateway: its mTLS identity, its signing key, and a client on the device listener. */
export interface TestGateway {
  readonly deviceId: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The device key as a CryptoKey: it signs every batch (the JWS inside the JWE). */
  readonly signingKey: WebCrypto.CryptoKey;
  call(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    body?: string | Buffer | object,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  /** Posts a compact JWE as `application/jose`. */
  postBatch(jwe: string): Promise<Answer>;
  close(): void;
}

let serial = 0;

/** Enrols a gateway with `token` through the enrolment service (EST simpleenroll without HTTP). */
export async function enrolGateway(
  t: TestApp,
  listener: TestDeviceListener,
  token: string,
): Promise<TestGateway> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name([{ '2.5.4.5': [`SN-T${++serial}`] }, { CN: ['gateway'] }]),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const { device, certificate } = await t.services.enrolment.enrol(
    { token, csr: new Uint8Array(csr.rawData) },
    systemContext('test'),
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`;
  const agent = new Agent({
    keepAlive: true,
    ca: listener.caCertPem,
    cert: certificate.certPem,
    key: keyPem,
    servername: 'localhost',
  });
  const call: TestGateway['call'] = (method, path, body, headers = {}) => {
    const payload =
      body === undefined || typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : JSON.stringify(body);
    const allHeaders =
      body !== undefined && typeof body === 'object' && !Buffer.isBuffer(body)
        ? { 'content-type': 'application/json', ...headers }
        : headers;
    return httpsCall(agent, listener.url, method, path, payload, allHeaders);
  };
  return {
    deviceId: device.id,
    certPem: certificate.certPem,
    keyPem,
    signingKey: keys.privateKey,
    call,
    postBatch: (jwe) =>
      call('POST', '/device/v1/batches', jwe, { 'content-type': 'application/jose' }),
    close: () => agent.destroy(),
  };
}

function httpsCall(
  agent: Agent,
  baseUrl: string,
  method: string,
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string>,
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname + url.search,
        method,
        agent,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parse = () => JSON.parse(text) as Record<string, unknown>;
          let code: string | undefined;
          if ((res.statusCode ?? 0) >= 400) {
            try {
              const c = parse()['code'];
              code = typeof c === 'string' ? c : undefined;
            } catch {
              code = undefined;
            }
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            code,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** What a care organisation's admin holds after the key ceremony (ADR 0008, 0011). */
export interface CareKeys {
  readonly organisationId: string;
  readonly signing: SigningKeyPair;
  readonly recovery: EcKeyPair;
  readonly member: EcKeyPair;
  readonly epoch: TeamEpoch;
  readonly pseudonymSecret: Uint8Array;
  /** The version the next `manifest()` call signs. */
  version: number;
  /** A signed manifest of the next version (issued at `issuedAt`), by the admin's key unless told. */
  manifest(
    issuedAt: Date,
    overrides?: Partial<KeyManifestPayload>,
    signWith?: P256PrivateJwk,
  ): Promise<string>;
  pseudonym(patientId: string): Promise<string>;
}

export async function careKeys(organisationId: string): Promise<CareKeys> {
  const [signing, recovery, member] = await Promise.all([
    generateSigningKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ]);
  const epoch = await newEpoch({
    organisationId,
    previousEpoch: 0,
    memberPublicJwks: [member.publicJwk],
    recoveryPublicJwk: recovery.publicJwk,
  });
  const pseudonymSecret = webcrypto.getRandomValues(new Uint8Array(32));
  const pseudonymKey = await derivePseudonymKey(pseudonymSecret, 'telemetry', 1);
  const keys: CareKeys = {
    organisationId,
    signing,
    recovery,
    member,
    epoch,
    pseudonymSecret,
    version: 1,
    manifest: async (issuedAt, overrides = {}, signWith = signing.privateJwk) =>
      signManifest(
        {
          typ: 'vigil-key-manifest',
          organisationId,
          version: keys.version++,
          issuedAt: issuedAt.toISOString(),
          epoch: epoch.epoch,
          teamPublicJwk: epoch.teamKey.publicJwk,
          recoveryPublicJwk: recovery.publicJwk,
          members: [{ kid: member.kid, publicJwk: member.publicJwk }],
          ...overrides,
        },
        signWith,
      ),
    pseudonym: (patientId) => pseudonymFor(pseudonymKey, 1, patientId),
  };
  return keys;
}

/** A gateway's data key for the care organisation's current epoch. */
export function dataKeyFor(keys: CareKeys): Promise<NewDataKey> {
  return newDataKey({
    organisationId: keys.organisationId,
    epoch: keys.epoch.epoch,
    teamPublicJwk: keys.epoch.teamKey.publicJwk,
    recoveryPublicJwk: keys.recovery.publicJwk,
  });
}

/** The staff copy of the pseudonym secret, wrapped to the epoch and the recovery key. */
export function wrappedPseudonymSecret(keys: CareKeys) {
  return sealPseudonymSecretForStaff(keys.pseudonymSecret, {
    organisationId: keys.organisationId,
    epoch: keys.epoch.epoch,
    teamPublicJwk: keys.epoch.teamKey.publicJwk,
    recoveryPublicJwk: keys.recovery.publicJwk,
  });
}

/** A device's pseudonym table with one patient, sealed for staff. */
export async function sealedTable(keys: CareKeys, patientId: string) {
  const table = new PseudonymTable();
  table.record(await keys.pseudonym(patientId), patientId);
  return sealTableForStaff(table, {
    organisationId: keys.organisationId,
    teamPublicJwk: keys.epoch.teamKey.publicJwk,
    recoveryPublicJwk: keys.recovery.publicJwk,
  });
}

/** A protected batch of `readings` heart-rate readings a minute apart from `start`. */
export async function batchOf(options: {
  gateway: Pick<TestGateway, 'deviceId' | 'signingKey'>;
  dataKey: NewDataKey;
  organisationId?: string;
  deviceId?: string;
  sequence: number;
  pseudonym: string;
  start: Date;
  readings?: number;
  firstValue?: number;
}): Promise<string> {
  const deviceId = options.deviceId ?? options.gateway.deviceId;
  const observations = Array.from({ length: options.readings ?? 3 }, (_, i) =>
    vitalSignObservation({
      kind: 'heart-rate',
      value: (options.firstValue ?? 60) + i,
      effective: new Date(options.start.getTime() + i * 60_000),
      pseudonym: options.pseudonym,
      deviceId,
    }),
  );
  return protectBatch({
    dataKey: options.dataKey,
    signingKey: options.gateway.signingKey,
    organisationId: options.organisationId ?? options.dataKey.organisationId,
    deviceId,
    sequence: options.sequence,
    createdAt: new Date(options.start.getTime() + 3_600_000),
    pseudonym: options.pseudonym,
    observations,
  });
}

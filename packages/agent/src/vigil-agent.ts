import { createPrivateKey, webcrypto } from 'node:crypto';
import { systemClock, type Clock } from '@vigil/core';
import { parseCheckInResult, type CheckInResult } from './check-in-result.js';
import { enrolDevice, type EnrolmentRequest } from './enrol-device.js';
import { errorFromResponse } from './error-from-response.js';
import { CertificateRenewer, type RenewalOutcome } from './certificate-renewer.js';
import { DeviceCertificate } from './device-certificate.js';
import { AgentError } from './errors.js';
import { HttpsTransport } from './https-transport.js';
import type { AgentStorage, StoredIdentity } from './storage/agent-storage.js';
import type { WebCryptoKey } from './telemetry/table-storage-key.js';
import type { TelemetryOptions } from './telemetry/telemetry-options.js';
import { Telemetry } from './telemetry/telemetry.js';
import { isSuccess, type AgentTransport, type TransportResponse } from './transport.js';

/** Collaborators, all injectable so tests are deterministic. */
export interface AgentContext {
  readonly storage: AgentStorage;
  /** Decides renewal; default the system clock. The server still uses real time for validity. */
  readonly clock?: Clock;
  /** Default: `HttpsTransport` pinned to the stored `serverTrustPem`. */
  readonly transport?: AgentTransport;
  /** [0, 1) for back-off jitter; default `Math.random`. */
  readonly random?: () => number;
}

export interface EnrolOptions extends EnrolmentRequest, AgentContext {
  /** Enrol even though storage already holds an identity (e.g. after revocation). Default false. */
  readonly replaceExisting?: boolean;
}

/** A request on the device listener; `path` is absolute (`/device/v1/…`). */
export interface DeviceRequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

/**
 * The gateway's Vigil identity and its authenticated client. Enrol once with a
 * token, then on every start `load()`, `checkIn()` and call `renewIfDue()`
 * periodically; later features call `request()`/`requestJson()`, which always
 * use the current certificate over mutual TLS.
 *
 * @example
 * const storage = new FileStorage({ directory: '/var/lib/gateway/vigil' });
 * const agent = await VigilAgent.enrol({
 *   enrolUrl: 'https://vigil.example:8443', deviceUrl: 'https://vigil.example:8444',
 *   token, serverTrustPem, serialNumber: 'SN-0001', model: 'bedside-hub', storage,
 * });
 * await agent.checkIn('1.0.0');
 * setInterval(() => void agent.renewIfDue(), 3_600_000);
 */
export class VigilAgent {
  readonly #storage: AgentStorage;
  readonly #transport: AgentTransport;
  readonly #ownsTransport: boolean;
  readonly #renewer: CertificateRenewer;
  readonly #clock: Clock;
  #identity: StoredIdentity;
  #certificate: DeviceCertificate;
  /** The device key as a WebCrypto key for signing batches, for the certificate it belongs to. */
  #signing: { certificatePem: string; key: Promise<WebCryptoKey> } | undefined;

  private constructor(identity: StoredIdentity, context: AgentContext, ownsTransport: boolean) {
    const certificate = DeviceCertificate.fromPem(identity.certificatePem);
    if (
      certificate.deviceId !== identity.deviceId ||
      !certificate.matchesKey(identity.keyPkcs8Pem)
    ) {
      throw new AgentError(
        'ERR_AGENT_STORAGE_CORRUPT',
        'The stored key, certificate and device id do not belong together.',
      );
    }
    this.#identity = identity;
    this.#certificate = certificate;
    this.#storage = context.storage;
    this.#clock = context.clock ?? systemClock;
    this.#ownsTransport = ownsTransport;
    this.#transport = context.transport ?? defaultTransport(identity.serverTrustPem);
    this.#renewer = new CertificateRenewer({
      clock: this.#clock,
      random: context.random ?? Math.random,
      transport: this.#transport,
      storage: this.#storage,
    });
  }

  /**
   * Enrols this gateway (EST `simpleenroll` with the token), stores the new
   * identity, and returns the agent. Refuses to replace a stored identity unless
   * `replaceExisting` (a stray call would burn a token and orphan the device).
   */
  static async enrol(options: EnrolOptions): Promise<VigilAgent> {
    if (options.replaceExisting !== true && (await options.storage.load()) !== null) {
      throw new AgentError('ERR_AGENT_ALREADY_ENROLLED', 'This gateway is already enrolled.');
    }
    const owned = options.transport === undefined;
    const transport = options.transport ?? defaultTransport(options.serverTrustPem);
    try {
      const identity = await enrolDevice(options, transport, options.clock ?? systemClock);
      await options.storage.save(identity);
      return new VigilAgent(identity, { ...options, transport }, owned);
    } catch (error) {
      if (owned) transport.close?.();
      throw error;
    }
  }

  /** The identity from storage; `ERR_AGENT_NOT_ENROLLED` when there is none. */
  static async load(context: AgentContext): Promise<VigilAgent> {
    const identity = await context.storage.load();
    if (identity === null) {
      throw new AgentError('ERR_AGENT_NOT_ENROLLED', 'No Vigil identity is stored; enrol first.');
    }
    return new VigilAgent(identity, context, context.transport === undefined);
  }

  get deviceId(): string {
    return this.#identity.deviceId;
  }

  get certificateExpiresAt(): Date {
    return new Date(this.#certificate.notAfter);
  }

  /** The current device certificate, PEM (for display or a support bundle; not secret). */
  get certificatePem(): string {
    return this.#identity.certificatePem;
  }

  /** Reports in: `{ softwareVersion }` → status and certificate dates (docs/devices.md, Device API). */
  async checkIn(softwareVersion: string): Promise<CheckInResult> {
    const answer = await this.requestJson('/device/v1/check-in', {
      method: 'POST',
      body: { softwareVersion },
    });
    return parseCheckInResult(answer, this.deviceId);
  }

  /**
   * Renews the certificate once two thirds of its lifetime have passed: a new
   * key and CSR, `simplereenroll` over mutual TLS with the current certificate,
   * then the new key and certificate saved together. On failure the current
   * identity stays and the next attempt backs off; nothing is thrown for
   * expected failures, they are in the outcome.
   */
  async renewIfDue(): Promise<RenewalOutcome> {
    const { outcome, identity } = await this.#renewer.attempt(this.#identity, this.#certificate);
    if (identity !== this.#identity) {
      this.#identity = identity;
      this.#certificate = DeviceCertificate.fromPem(identity.certificatePem);
    }
    return outcome;
  }

  /** A raw request on the device listener with the current certificate. Error statuses are returned. */
  async request(path: string, init: DeviceRequestInit = {}): Promise<TransportResponse> {
    if (!path.startsWith('/') || path.startsWith('//')) {
      // Only the device listener may see this certificate: no other origin.
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'The path must start with a single "/".');
    }
    return this.#transport.request({
      url: new URL(path, this.#identity.deviceUrl).href,
      method: init.method ?? 'GET',
      headers: { ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      clientCert: { certPem: this.#identity.certificatePem, keyPem: this.#identity.keyPkcs8Pem },
    });
  }

  /**
   * A JSON request on the device listener: the body is serialised, a 2xx answer
   * parsed (null for 204), and an error status thrown as `AgentError` with the
   * server's code (`ERR_DEVICE_REVOKED`, `ERR_DEVICE_QUARANTINED` …). The result
   * is `unknown`: the caller validates its shape.
   */
  async requestJson(
    path: string,
    init: { method?: string; body?: unknown; headers?: Readonly<Record<string, string>> } = {},
  ): Promise<unknown> {
    const hasBody = init.body !== undefined;
    const response = await this.request(path, {
      method: init.method ?? (hasBody ? 'POST' : 'GET'),
      headers: {
        accept: 'application/json',
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(hasBody ? { body: JSON.stringify(init.body) } : {}),
    });
    if (!isSuccess(response)) throw errorFromResponse(response);
    if (response.status === 204 || response.body.length === 0) return null;
    try {
      return JSON.parse(new TextDecoder().decode(response.body)) as unknown;
    } catch (cause) {
      throw new AgentError('ERR_AGENT_PROTOCOL', `${path} did not answer JSON.`, { cause });
    }
  }

  /**
   * Opens protected telemetry for this device (docs/telemetry.md): readings are
   * pseudonymised, signed with the device key, encrypted to the care
   * organisation's keys from its signed key manifest, queued durably and
   * uploaded. State (pinned manifest key, sealed pseudonym table) is kept in
   * this agent's storage. See `Telemetry`.
   *
   * @example
   * const telemetry = await agent.telemetry({
   *   outbox: { file: '/var/lib/hub/vigil/outbox.sqlite', cap: { bytes: 256 * 1024 * 1024 } },
   *   pseudonymSecret, expectedSigningKeyFingerprint, onAlarm: showAlarm,
   * });
   * telemetry.start();
   */
  telemetry(options: TelemetryOptions): Promise<Telemetry> {
    return Telemetry.open(
      {
        deviceId: this.deviceId,
        request: (path, init) => this.request(path, init),
        signingKey: () => this.#batchSigningKey(),
        storage: this.#storage,
      },
      { clock: this.#clock, ...options },
    );
  }

  /** The current device key, imported once per certificate (renewal brings a new key). */
  #batchSigningKey(): Promise<WebCryptoKey> {
    const { certificatePem, keyPkcs8Pem } = this.#identity;
    if (this.#signing?.certificatePem !== certificatePem) {
      const der = createPrivateKey(keyPkcs8Pem).export({ type: 'pkcs8', format: 'der' });
      const key = webcrypto.subtle.importKey(
        'pkcs8',
        der,
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign'],
      );
      this.#signing = { certificatePem, key };
    }
    return this.#signing.key;
  }

  /** Closes pooled connections of the transport the agent created (not of an injected one). */
  close(): void {
    if (this.#ownsTransport) this.#transport.close?.();
  }
}

function defaultTransport(serverTrustPem: string | undefined): HttpsTransport {
  if (serverTrustPem === undefined) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      'No serverTrustPem is stored; pass a transport that authenticates the server.',
    );
  }
  return new HttpsTransport({ trustPem: serverTrustPem });
}

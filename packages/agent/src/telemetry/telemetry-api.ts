import { errorFromResponse } from '../error-from-response.js';
import { AgentError } from '../errors.js';
import { isSuccess, mediaType, type TransportResponse } from '../transport.js';
import type { DeviceRequestInit } from '../vigil-agent.js';
import type { ManifestAnswer } from './manifest-trust.js';
import type { GeneralJwe } from './telemetry-state.js';

/** A request on the device listener over mutual TLS (`VigilAgent.request`). */
export type DeviceRequest = (path: string, init?: DeviceRequestInit) => Promise<TransportResponse>;

/** What `POST /device/v1/alarms` carries (docs/telemetry.md). */
export interface QueueAlarmReport {
  readonly kind: 'queue-warning' | 'queue-critical';
  readonly count: number;
  readonly bytes: number;
}

/**
 * The telemetry routes of the device listener (docs/telemetry.md, "Device
 * listener"), one method per route: requests out, answers checked and typed.
 * An error status becomes an `AgentError` with the server's code and status
 * (`errorFromResponse`); an answer of the wrong shape is `ERR_AGENT_PROTOCOL`.
 *
 * @example
 * const api = new TelemetryApi((path, init) => agent.request(path, init));
 * const { jws, signingPublicJwk } = await api.keyManifest();
 */
export class TelemetryApi {
  readonly #request: DeviceRequest;

  constructor(request: DeviceRequest) {
    this.#request = request;
  }

  /** `GET /device/v1/key-manifest`; `ERR_MANIFEST_NOT_FOUND` before the organisation published one. */
  async keyManifest(): Promise<ManifestAnswer> {
    const body = await this.#json('/device/v1/key-manifest', { method: 'GET' });
    const { jws, signingPublicJwk, signingKeyFingerprint } = body;
    if (
      typeof jws !== 'string' ||
      typeof signingPublicJwk !== 'object' ||
      signingPublicJwk === null
    ) {
      throw protocol('/device/v1/key-manifest', 'lacks jws or signingPublicJwk');
    }
    return {
      jws,
      signingPublicJwk,
      ...(typeof signingKeyFingerprint === 'string' ? { signingKeyFingerprint } : {}),
    };
  }

  /** `PUT /device/v1/data-keys/:kid` `{ jwe }`: 201 stored, 200 duplicate (same bytes). */
  async putDataKey(kid: string, jwe: GeneralJwe): Promise<'stored' | 'duplicate'> {
    const path = `/device/v1/data-keys/${encodeURIComponent(kid)}`;
    return storedOrDuplicate(path, await this.#json(path, { method: 'PUT', body: { jwe } }));
  }

  /** `PUT /device/v1/pseudonym-table` `{ jwe }`: the staff copy, sealed to the team and recovery keys. */
  async putPseudonymTable(jwe: GeneralJwe): Promise<void> {
    await this.#json('/device/v1/pseudonym-table', { method: 'PUT', body: { jwe } });
  }

  /**
   * `POST /device/v1/batches`, the compact JWE as `application/jose`: 201
   * stored, 200 duplicate. The answer must name the batch's own sequence.
   */
  async postBatch(jwe: string, sequence: number): Promise<'stored' | 'duplicate'> {
    const path = '/device/v1/batches';
    const body = await this.#json(path, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      raw: jwe,
      // Only 201 and 200 mean stored (docs/telemetry.md, Upload): the batch is deleted on
      // them, so a 202 Accepted or a 206 must not count, or the reading could be lost.
      statuses: [200, 201],
    });
    if (body['sequence'] !== sequence) throw protocol(path, `did not answer sequence ${sequence}`);
    return storedOrDuplicate(path, body);
  }

  /** `POST /device/v1/alarms` `{ kind, count, bytes }` → 202. */
  async postAlarm(alarm: QueueAlarmReport): Promise<void> {
    const { kind, count, bytes } = alarm;
    await this.#json('/device/v1/alarms', { method: 'POST', body: { kind, count, bytes } });
  }

  async #json(
    path: string,
    init: {
      method: string;
      body?: unknown;
      raw?: string;
      headers?: Readonly<Record<string, string>>;
      /** The 2xx statuses this route may answer; any 2xx when absent. */
      statuses?: readonly number[];
    },
  ): Promise<Record<string, unknown>> {
    const response = await this.#request(path, {
      method: init.method,
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.raw !== undefined ? { body: init.raw } : {}),
    });
    if (!isSuccess(response)) throw errorFromResponse(response);
    if (init.statuses !== undefined && !init.statuses.includes(response.status)) {
      throw protocol(path, `answered ${response.status}`);
    }
    if (response.body.length === 0) return {};
    if (mediaType(response) !== 'application/json') throw protocol(path, 'did not answer JSON');
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(response.body));
    } catch (cause) {
      throw protocol(path, 'did not answer JSON', cause);
    }
    if (value === null) return {}; // e.g. 202 with a JSON null body
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw protocol(path, 'did not answer a JSON object');
    }
    return value as Record<string, unknown>;
  }
}

function storedOrDuplicate(path: string, body: Record<string, unknown>): 'stored' | 'duplicate' {
  const status = body['status'];
  if (status !== 'stored' && status !== 'duplicate') {
    throw protocol(path, "answered neither 'stored' nor 'duplicate'");
  }
  return status;
}

function protocol(path: string, what: string, cause?: unknown): AgentError {
  return new AgentError(
    'ERR_AGENT_PROTOCOL',
    `${path} ${what}.`,
    cause === undefined ? {} : { cause },
  );
}

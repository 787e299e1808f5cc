import { structureOfBatch } from '@vigil/protect';
import type { TransportRequest, TransportResponse } from '@vigil/agent';

/** What `GET /device/v1/key-manifest` answers (a test may put anything here, e.g. a forgery). */
export interface ManifestResponse {
  jws: string;
  signingPublicJwk: unknown;
  signingKeyFingerprint: string;
}

export interface StoredBatch {
  readonly deviceId: string;
  readonly sequence: number;
  readonly jwe: string;
}

/**
 * The telemetry routes of the device listener as docs/telemetry.md specifies
 * them, in memory: the server only stores and relays (no key of its own), checks
 * a batch's header against the caller and its care organisation, wants the data
 * key first, and is idempotent on (device, sequence). `log` records the order
 * of requests so tests can assert "data key before batch".
 */
export class FakeTelemetryRoutes {
  /** Served by GET /device/v1/key-manifest; 404 ERR_MANIFEST_NOT_FOUND while undefined. */
  manifest: ManifestResponse | undefined;
  /** The care organisation every device reports to (ADR 0010 §1). */
  careOrganisationId: string | undefined;
  readonly dataKeys = new Map<string, string>();
  /** Each device's latest staff copy of its pseudonym table. */
  readonly tables = new Map<string, unknown>();
  readonly batches: StoredBatch[] = [];
  readonly alarms: { deviceId: string; kind: string; count: number; bytes: number }[] = [];
  /** `PUT data-key dk_…`, `POST batch 3 stored` …, in order. */
  readonly log: string[] = [];
  /** Answer the next n batch posts with 503. */
  failNextBatches = 0;
  /** Answer every batch post with this refusal instead (status, code). */
  refuseBatches: { status: number; code: string } | undefined;
  /** Answer the pseudonym-table and alarm routes with 503. */
  failSideRoutes = false;
  #tableVersion = 0;

  handle(req: TransportRequest, path: string, deviceId: string): TransportResponse {
    const route = `${req.method} ${path}`;
    if (route === 'GET /device/v1/key-manifest') {
      return this.manifest === undefined
        ? problem(404, 'ERR_MANIFEST_NOT_FOUND')
        : json(200, this.manifest);
    }
    if (req.method === 'PUT' && path.startsWith('/device/v1/data-keys/')) {
      return this.#putDataKey(req, decodeURIComponent(path.slice('/device/v1/data-keys/'.length)));
    }
    if (route === 'PUT /device/v1/pseudonym-table') {
      if (this.failSideRoutes) return problem(503, 'ERR_UNAVAILABLE');
      const { jwe } = body(req);
      if (typeof jwe !== 'object' || jwe === null) return problem(400, 'ERR_REQUEST_INVALID');
      this.tables.set(deviceId, jwe);
      this.log.push('PUT pseudonym-table');
      return json(200, { version: ++this.#tableVersion });
    }
    if (route === 'POST /device/v1/batches') return this.#postBatch(req, deviceId);
    if (route === 'POST /device/v1/alarms') {
      if (this.failSideRoutes) return problem(503, 'ERR_UNAVAILABLE');
      const { kind, count, bytes } = body(req) as { kind: string; count: number; bytes: number };
      this.alarms.push({ deviceId, kind, count, bytes });
      return { status: 202, headers: {}, body: new Uint8Array() };
    }
    return problem(404, 'ERR_NOT_FOUND');
  }

  /** The batches of one device, by sequence. */
  batchesOf(deviceId: string): StoredBatch[] {
    return this.batches.filter((b) => b.deviceId === deviceId);
  }

  #putDataKey(req: TransportRequest, kid: string): TransportResponse {
    const { jwe } = body(req);
    if (typeof jwe !== 'object' || jwe === null) return problem(400, 'ERR_REQUEST_INVALID');
    const text = JSON.stringify(jwe);
    const known = this.dataKeys.get(kid);
    this.log.push(`PUT data-key ${kid}`);
    if (known === undefined) {
      this.dataKeys.set(kid, text);
      return json(201, { kid, status: 'stored' });
    }
    return known === text
      ? json(200, { kid, status: 'duplicate' })
      : problem(409, 'ERR_DATA_KEY_CONFLICT');
  }

  #postBatch(req: TransportRequest, deviceId: string): TransportResponse {
    if (this.failNextBatches > 0) {
      this.failNextBatches -= 1;
      return problem(503, 'ERR_UNAVAILABLE');
    }
    if (this.refuseBatches !== undefined) {
      return problem(this.refuseBatches.status, this.refuseBatches.code);
    }
    if ((req.headers['content-type'] ?? '') !== 'application/jose') {
      return problem(415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    }
    const jwe = typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body);
    let header;
    try {
      header = structureOfBatch(jwe);
    } catch {
      return problem(400, 'ERR_BATCH_MALFORMED');
    }
    if (header.deviceId !== deviceId || header.organisationId !== this.careOrganisationId) {
      return problem(422, 'ERR_BATCH_BINDING');
    }
    if (!this.dataKeys.has(header.kid)) return problem(422, 'ERR_DATA_KEY_UNKNOWN');
    const { sequence } = header;
    const known = this.batches.find((b) => b.deviceId === deviceId && b.sequence === sequence);
    if (known !== undefined) {
      this.log.push(`POST batch ${sequence} duplicate`);
      return known.jwe === jwe
        ? json(200, { status: 'duplicate', sequence })
        : problem(409, 'ERR_BATCH_CONFLICT');
    }
    this.batches.push({ deviceId, sequence, jwe });
    this.log.push(`POST batch ${sequence} stored`);
    return json(201, { status: 'stored', sequence });
  }
}

function body(req: TransportRequest): Record<string, unknown> {
  const text = typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body);
  return JSON.parse(text) as Record<string, unknown>;
}

function json(status: number, value: unknown): TransportResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(value)),
  };
}

function problem(status: number, code: string): TransportResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: Buffer.from(JSON.stringify({ title: code, status, code })),
  };
}

import { structureOfBatch } from '@vigil/protect';
import {
  AgentError,
  type AgentErrorCode,
  type TransportRequest,
  type TransportResponse,
} from '@vigil/agent';
import { FakeTelemetryRoutes } from '../fakes/fake-telemetry-routes.js';
import type {
  FINGERPRINT_VARIANTS,
  ManifestVariants,
  SIGNING_KEY_VARIANTS,
} from './manifest-variants.js';

/** A response body as a fuzz run describes it; large ones are built only when answered. */
export type BodySpec =
  | { readonly text: string }
  | { readonly bytes: Uint8Array }
  /** `n` characters: a bare run of `x`, or a JSON object with one huge string member. */
  | { readonly huge: number; readonly json: boolean }
  /** `[[[…]]]` nested `depth` deep. */
  | { readonly nested: number };

/**
 * What the server answers to the next telemetry request, whatever the route:
 *
 * - `proper`: what docs/telemetry.md specifies (FakeTelemetryRoutes decides);
 * - `ack`: a 2xx-looking acknowledgement `{ status: word, sequence: <the batch's> + shift, kid }`;
 * - `manifest`: a key-manifest answer (`jws` a variant name, key and fingerprint claims by name);
 * - `problem`: an error document (RFC 9457 or not) under some content type;
 * - `raw`: any status, content type and body;
 * - `throw`: the transport fails without an answer (network, timeout, size), as
 *   the `AgentTransport` contract says it does: with an `AgentError`.
 */
export type AnswerSpec =
  | { readonly kind: 'proper' }
  | {
      readonly kind: 'ack';
      readonly status: number;
      readonly word: unknown;
      readonly shift: number;
    }
  | {
      readonly kind: 'manifest';
      readonly status: number;
      readonly jws: string;
      readonly key: (typeof SIGNING_KEY_VARIANTS)[number];
      readonly fingerprint: (typeof FINGERPRINT_VARIANTS)[number];
    }
  | {
      readonly kind: 'problem';
      readonly status: number;
      readonly contentType: string | null;
      readonly problem: unknown;
    }
  | {
      readonly kind: 'raw';
      readonly status: number;
      readonly contentType: string | null;
      readonly body: BodySpec;
    }
  | { readonly kind: 'throw'; readonly code: AgentErrorCode };

export interface ManifestClaims {
  readonly variants: ManifestVariants;
  readonly keyOf: (variant: string, name: (typeof SIGNING_KEY_VARIANTS)[number]) => unknown;
  readonly fingerprintOf: (variant: string, name: (typeof FINGERPRINT_VARIANTS)[number]) => unknown;
}

/** The telemetry routes of the device listener (docs/telemetry.md), as scripts name them. */
export const ROUTES = [
  'key-manifest',
  'data-keys',
  'pseudonym-table',
  'batches',
  'alarms',
] as const;
export type Route = (typeof ROUTES)[number];

/** A run's answers, per route: each request takes its route's next one. */
export type Script = Readonly<Record<Route, readonly AnswerSpec[]>>;

/**
 * The device listener's telemetry routes answering from a script: each request
 * takes its route's next `AnswerSpec`, and `proper` once that is used up. It
 * records which batch sequences it acknowledged the way docs/telemetry.md
 * says a server acknowledges a stored batch — 201 or 200, JSON,
 * `{ status: 'stored' | 'duplicate', sequence }` naming that batch — so a test
 * can tell a delivered batch from a lost one.
 */
export class ScriptedTelemetryServer {
  readonly #deviceId: string;
  readonly #manifests: ManifestClaims;
  #script: Partial<Script> = {};
  readonly #next = new Map<string, number>();
  /** The well-behaved routes behind `proper` (fresh for every run). */
  routes = new FakeTelemetryRoutes();
  /** Batch sequences this server acknowledged as stored (201/200, valid body). */
  acknowledged = new Set<number>();
  /** `GET key-manifest → manifest v1-other-bytes` …, for a failing run's report. */
  log: string[] = [];

  constructor(deviceId: string, manifests: ManifestClaims) {
    this.#deviceId = deviceId;
    this.#manifests = manifests;
  }

  /** A new run: fresh routes serving `published` (404 while undefined), and this script. */
  reset(script: Partial<Script>, published: string | undefined, organisationId: string): void {
    this.#script = script;
    this.#next.clear();
    this.routes = new FakeTelemetryRoutes();
    this.routes.careOrganisationId = organisationId;
    this.publish(published);
    this.acknowledged = new Set();
    this.log = [];
  }

  /** What `proper` answers to GET key-manifest from now on. */
  publish(variant: string | undefined): void {
    this.routes.manifest =
      variant === undefined ? undefined : this.#manifests.variants.get(variant);
  }

  /** Whether this request is one of the telemetry routes (the rest goes to the EST fake). */
  static handles(req: TransportRequest): boolean {
    const path = new URL(req.url).pathname;
    return path.startsWith('/device/v1/') && path !== '/device/v1/check-in';
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const path = new URL(req.url).pathname;
    const route = ROUTES.find((r) => path.startsWith(`/device/v1/${r}`)) ?? path;
    const next = this.#next.get(route) ?? 0;
    this.#next.set(route, next + 1);
    const spec = this.#script[route as Route]?.[next] ?? { kind: 'proper' };
    this.log.push(`${req.method} ${path} → ${spec.kind}`);
    if (spec.kind === 'throw') throw new AgentError(spec.code, 'No answer (fuzz).');
    const response = this.#answer(spec, req, path);
    if (req.method === 'POST' && path === '/device/v1/batches')
      this.#noteBatchAnswer(req, response);
    return response;
  }

  #answer(
    spec: Exclude<AnswerSpec, { kind: 'throw' }>,
    req: TransportRequest,
    path: string,
  ): TransportResponse {
    switch (spec.kind) {
      case 'proper':
        return this.routes.handle(req, path, this.#deviceId);
      case 'ack': {
        const kid = decodeURIComponent(path.split('/').at(-1) ?? '');
        return json(spec.status, {
          status: spec.word,
          sequence: (sequenceOf(req) ?? 0) + spec.shift,
          kid,
        });
      }
      case 'manifest':
        return json(spec.status, {
          jws: this.#manifests.variants.get(spec.jws)?.jws,
          signingPublicJwk: this.#manifests.keyOf(spec.jws, spec.key),
          signingKeyFingerprint: this.#manifests.fingerprintOf(spec.jws, spec.fingerprint),
        });
      case 'problem':
        return answer(
          spec.status,
          spec.contentType,
          Buffer.from(JSON.stringify(spec.problem) ?? ''),
        );
      case 'raw':
        return answer(spec.status, spec.contentType, bodyOf(spec.body));
    }
  }

  #noteBatchAnswer(req: TransportRequest, response: TransportResponse): void {
    const sequence = sequenceOf(req);
    if (sequence === undefined || (response.status !== 200 && response.status !== 201)) return;
    if ((response.headers['content-type'] ?? '').split(';')[0]?.trim() !== 'application/json')
      return;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(response.body).toString('utf8'));
    } catch {
      return;
    }
    const { status, sequence: answered } = (body ?? {}) as Record<string, unknown>;
    if ((status === 'stored' || status === 'duplicate') && answered === sequence) {
      this.acknowledged.add(sequence);
    }
  }
}

/** The sequence in a posted batch's header, when the request is one. */
function sequenceOf(req: TransportRequest): number | undefined {
  if (req.method !== 'POST' || !req.url.endsWith('/device/v1/batches')) return undefined;
  try {
    const body = typeof req.body === 'string' ? req.body : Buffer.from(req.body ?? []).toString();
    return structureOfBatch(body).sequence;
  } catch {
    return undefined;
  }
}

function bodyOf(spec: BodySpec): Uint8Array {
  if ('text' in spec) return Buffer.from(spec.text);
  if ('bytes' in spec) return spec.bytes;
  if ('nested' in spec) return Buffer.from(`${'['.repeat(spec.nested)}${']'.repeat(spec.nested)}`);
  const run = 'x'.repeat(spec.huge);
  return Buffer.from(spec.json ? `{"jws":"${run}","status":"${run}"}` : run);
}

function json(status: number, value: unknown): TransportResponse {
  return answer(status, 'application/json', Buffer.from(JSON.stringify(value)));
}

function answer(status: number, contentType: string | null, body: Uint8Array): TransportResponse {
  return { status, headers: contentType === null ? {} : { 'content-type': contentType }, body };
}

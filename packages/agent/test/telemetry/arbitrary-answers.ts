import fc from 'fast-check';
import type { AgentErrorCode } from '@vigil/agent';
import { FINGERPRINT_VARIANTS, SIGNING_KEY_VARIANTS } from './manifest-variants.js';
import type { AnswerSpec, BodySpec, Route } from './scripted-telemetry-server.js';

// fast-check arbitraries for telemetry-fuzz.test.ts: what the server answers on the
// telemetry routes (see ScriptedTelemetryServer, which plays them).

/** Statuses a server or proxy commonly sends, then any 100–599. */
const status = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      200,
      201,
      202,
      204,
      400,
      401,
      403,
      404,
      409,
      413,
      415,
      422,
      429,
      500,
      502,
      503,
    ),
    weight: 3,
  },
  { arbitrary: fc.integer({ min: 100, max: 599 }), weight: 2 },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/problem+json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json, text/html',
  'text/html',
  'text/plain',
  'application/jose',
  '',
  ';;',
  null,
);

/** Codes the server documents, agent codes it should never send, and made-up ones. */
const problemCode = fc.oneof(
  fc.constantFrom(
    'ERR_BATCH_CONFLICT',
    'ERR_BATCH_BINDING',
    'ERR_BATCH_MALFORMED',
    'ERR_BATCH_TOO_LARGE',
    'ERR_DATA_KEY_UNKNOWN',
    'ERR_DATA_KEY_CONFLICT',
    'ERR_MANIFEST_NOT_FOUND',
    'ERR_DEVICE_NOT_ASSIGNED',
    'ERR_DEVICE_QUARANTINED',
    'ERR_DEVICE_REVOKED',
    'ERR_UNAVAILABLE',
    'ERR_AGENT_CLOSED',
    'ERR_AGENT_QUEUE_FULL',
  ),
  fc.stringMatching(/^ERR_[A-Z0-9_]{1,70}$/),
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 1 }),
);

const problem = fc.oneof(
  {
    arbitrary: fc.record(
      {
        type: fc.string({ maxLength: 20 }),
        title: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })),
        status: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
        detail: fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })),
        code: problemCode,
      },
      { requiredKeys: ['code'] },
    ),
    weight: 4,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

/** Bodies: empty, binary, wrong-shape JSON, truncated JSON, text, huge, deeply nested. */
const body: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.constant({ text: '' }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ text: JSON.stringify(value) })),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([value, at]) => {
    const text = JSON.stringify(value);
    return { text: text.slice(0, at % Math.max(1, text.length)) };
  }),
  fc.string({ unit: 'binary', maxLength: 60 }).map((text) => ({ text })),
  fc.record({ huge: fc.integer({ min: 100_000, max: 1_200_000 }), json: fc.boolean() }),
  fc.integer({ min: 1_000, max: 100_000 }).map((nested) => ({ nested })),
);

/** How the transport fails without an answer (the AgentTransport contract's codes). */
const transportFailure = fc.constantFrom<AgentErrorCode>(
  'ERR_AGENT_NETWORK',
  'ERR_AGENT_TIMEOUT',
  'ERR_AGENT_RESPONSE_TOO_LARGE',
  'ERR_AGENT_SERVER_UNTRUSTED',
  'ERR_AGENT_CLIENT_CERTIFICATE_REJECTED',
);

/**
 * One answer for `route`; `proper` is the most likely, so runs also get past the
 * first request. Acknowledgements are likelier where the agent acts on them (a
 * batch is deleted, a data key marked uploaded), manifests on the manifest route.
 */
export function answer(manifestNames: readonly string[], route: Route): fc.Arbitrary<AnswerSpec> {
  const acts = route === 'batches' || route === 'data-keys';
  return fc.oneof(
    { arbitrary: fc.constant({ kind: 'proper' as const }), weight: 8 },
    {
      arbitrary: fc.record({
        kind: fc.constant('ack' as const),
        status: fc.oneof(
          { arbitrary: fc.constantFrom(200, 201), weight: 2 },
          // 2xx that do not mean stored, and error statuses whose body looks like an ack.
          fc.constantFrom(202, 203, 204, 206, 226, 299, 302, 409, 500, 503),
        ),
        word: fc.oneof(
          { arbitrary: fc.constantFrom('stored', 'duplicate'), weight: 3 },
          fc.constantFrom('STORED', 'held', '', null, 1),
        ),
        shift: fc.oneof(
          { arbitrary: fc.constant(0), weight: 4 },
          fc.integer({ min: -2, max: 2 }),
          fc.constantFrom(0.5, 2 ** 53),
        ),
      }),
      weight: acts ? 6 : 1,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('manifest' as const),
        status: fc.oneof({ arbitrary: fc.constant(200), weight: 4 }, status),
        jws: fc.constantFrom(...manifestNames),
        key: fc.oneof(
          { arbitrary: fc.constant('matching' as const), weight: 4 },
          fc.constantFrom(...SIGNING_KEY_VARIANTS),
        ),
        fingerprint: fc.constantFrom(...FINGERPRINT_VARIANTS),
      }),
      weight: route === 'key-manifest' ? 4 : 1,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('problem' as const),
        status,
        contentType,
        problem,
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('raw' as const), status, contentType, body }),
      weight: 2,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('throw' as const), code: transportFailure }),
      weight: 1,
    },
  );
}

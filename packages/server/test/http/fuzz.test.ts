import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TestApp, type TestAgent, type TestPerson } from '@vigil/testkit';

/**
 * Property: whatever arrives — random bodies, path parameters, query
 * strings and headers, signed in or not — every route answers 2xx/3xx/4xx,
 * never 5xx, and every 4xx is problem+json with a code.
 */
interface Operation {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  readonly path: string;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const segment = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('..', '%00', '%2e%2e%2f', 'null', '0', '-1', 'a'.repeat(300)),
);
const bodyArb = fc.oneof(
  jsonValue.map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })),
  fc
    .dictionary(
      fc.string({ maxLength: 20 }),
      fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.boolean(), fc.constant(null)),
    )
    .map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((s) => ({ payload: s, type: 'application/json' })),
  fc
    .uint8Array({ maxLength: 200 })
    .map((b) => ({ payload: Buffer.from(b), type: 'application/octet-stream' })),
  fc.string({ maxLength: 100 }).map((s) => ({ payload: s, type: 'text/plain' })),
  fc.constant(undefined),
);
const headerArb = fc.record(
  {
    authorization: fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
    ),
    cookie: fc
      .string({ maxLength: 80 })
      .map((s) => `__Host-vigil_session=${encodeURIComponent(s)}`),
    'x-csrf-token': fc.string({ maxLength: 80 }),
    accept: fc.constantFrom('*/*', 'text/html', 'application/xml', ''),
  },
  { requiredKeys: [] },
);
const queryArb = fc.dictionary(
  fc.constantFrom('after', 'limit', 'x', 'constructor', '__proto__'),
  fc.string({ maxLength: 30 }),
);

describe('fuzzing every route (property-based)', () => {
  let t: TestApp;
  let operations: Operation[];
  let signedIn: TestAgent;
  let organisationId: string;
  let admin: TestPerson;
  let resignIns = 0;

  before(async () => {
    t = await TestApp.create();
    const setup = await t.setup();
    organisationId = setup.organisationId;
    admin = setup.admin;
    signedIn = await t.signIn(admin);
    const spec = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase() as Operation['method'], path })),
    );
    operations.push(
      { method: 'GET', path: '/healthz' },
      { method: 'GET', path: '/readyz' },
      { method: 'GET', path: '/metrics' },
      { method: 'PUT', path: '/api/v1/me' },
    );
  });
  after(() => t.close());

  it('never answers 5xx, and every error is problem+json with a code', async () => {
    assert.ok(operations.length > 20);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000 }),
        fc.array(segment, { minLength: 2, maxLength: 2 }),
        fc.boolean(),
        queryArb,
        headerArb,
        bodyArb,
        async (index, [a, b], authenticated, query, headers, body) => {
          const op = operations[index % operations.length]!;
          // Half the time use the real organisation so the handler (not only the auth check) runs.
          const orgSegment =
            authenticated && index % 2 === 0 ? organisationId : encodeURIComponent(a!);
          const path = op.path
            .replace('{orgId}', orgSegment)
            .replace(/\{[A-Za-z]+\}/g, encodeURIComponent(b!));
          const url =
            path + (Object.keys(query).length ? '?' + new URLSearchParams(query).toString() : '');
          const allHeaders: Record<string, string> = { ...headers };
          if (authenticated) {
            allHeaders['cookie'] = `__Host-vigil_session=${signedIn.cookie ?? ''}`;
            allHeaders['x-csrf-token'] = signedIn.csrfToken ?? '';
            delete allHeaders['authorization'];
          }
          if (body) allHeaders['content-type'] = body.type;
          const answer = await t.app.inject({
            method: op.method,
            url,
            headers: allHeaders,
            ...(body ? { payload: body.payload } : {}),
          });
          assert.ok(
            answer.statusCode < 500,
            `${op.method} ${url} → ${answer.statusCode}: ${answer.body.slice(0, 300)}`,
          );
          if (answer.statusCode >= 400) {
            assert.match(
              String(answer.headers['content-type']),
              /^application\/problem\+json/,
              `${op.method} ${url}`,
            );
            const problem = answer.json<{ code?: string; status?: number }>();
            assert.match(problem.code ?? '', /^ERR_[A-Z_]+$/);
            assert.equal(problem.status, answer.statusCode);
          }
          // Keep a signed-in session for the next run if this one signed out.
          if (
            authenticated &&
            op.method === 'DELETE' &&
            answer.statusCode === 204 &&
            /session/.test(op.path)
          ) {
            // From a fresh address: the fuzzing itself uses up the sign-in rate limit of 127.0.0.1.
            signedIn = await t.signIn(admin, t.agent(`10.0.${index % 250}.${++resignIns % 250}`));
          }
          t.clock.advance(1_000);
        },
      ),
      { numRuns: 600, seed: Number(process.env['VIGIL_FUZZ_SEED'] ?? Date.now() % 2 ** 31) },
    );
  });
});

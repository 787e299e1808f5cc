import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import type { NewDataKey } from '@vigil/protect';
import {
  TestApp,
  forEachEngine,
  type StoreTarget,
  type TestCareOrganisation,
} from '@vigil/testkit';
import {
  batchOf,
  careKeys,
  dataKeyFor,
  enrolGateway,
  wrappedPseudonymSecret,
  type CareKeys,
  type TestGateway,
} from './telemetry-kit.js';

/**
 * Property: whatever a device or a signed-in member sends to the telemetry
 * routes — arbitrary bodies, content types, headers, query strings, and
 * valid JWEs with arbitrary edits — the answer is never 5xx, and every 4xx is
 * problem+json with a code and the status it claims.
 */
forEachEngine('protected telemetry: fuzzing the device and operator routes', (engine) => {
  let target: StoreTarget;
  let t: TestApp;
  let care: TestCareOrganisation;
  let keys: CareKeys;
  let gateway: TestGateway;
  let dataKey: NewDataKey;
  let validBatch: string;
  let pseudonym: string;
  let sealedSecret: unknown;

  before(async () => {
    target = await engine.createTarget({ shared: true });
    t = await TestApp.create({
      databaseUrl: target.databaseUrl,
      ...(target.postgresSchema ? { postgresSchema: target.postgresSchema } : {}),
    });
    t.clock.set(Date.now());
    const manufacturerId = (await t.setup()).organisationId;
    care = await t.careOrganisation(manufacturerId);
    keys = await careKeys(care.organisationId);
    const listener = await t.deviceListener();
    gateway = await enrolGateway(
      t,
      listener,
      await t.createEnrolmentToken(manufacturerId, { careOrganisationId: care.organisationId }),
    );
    dataKey = await dataKeyFor(keys);
    await gateway.call('PUT', `/device/v1/data-keys/${dataKey.kid}`, { jwe: dataKey.wrapped });
    pseudonym = await keys.pseudonym('MRN 1');
    validBatch = await batchOf({ gateway, dataKey, sequence: 1, pseudonym, start: new Date() });
    sealedSecret = await wrappedPseudonymSecret(keys);
  });
  after(async () => {
    gateway.close();
    await t.close();
    await target.dispose();
  });

  function assertCoded(status: number, contentType: unknown, text: string, where: string): void {
    assert.ok(status < 500, `${where} → ${status}: ${text.slice(0, 300)}`);
    if (status >= 400) {
      assert.match(String(contentType), /^application\/problem\+json/, where);
      const problem = JSON.parse(text) as { code?: string; status?: number };
      assert.match(problem.code ?? '', /^ERR_[A-Z_]+$/, where);
      assert.equal(problem.status, status, where);
    }
  }

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const mutate = (text: string) =>
    fc
      .tuple(fc.nat({ max: Math.max(text.length - 1, 0) }), fc.string({ maxLength: 3 }))
      .map(([at, insert]) => text.slice(0, at) + insert + text.slice(at + 1));
  const anyValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 2 }),
  );
  /** A batch header mixing right values, wrong ones and junk, around a real ciphertext. */
  const craftedBatch = () =>
    fc
      .record(
        {
          alg: fc.constantFrom('dir', 'none', 'A256KW'),
          enc: fc.constantFrom('A256GCM', 'A128GCM'),
          typ: fc.constantFrom('vigil-batch+jwe', 'JWT'),
          organisationId: fc.oneof(fc.constant(care.organisationId), anyValue),
          deviceId: fc.oneof(fc.constant(gateway.deviceId), anyValue),
          sequence: fc.oneof(fc.integer({ min: -2, max: 1e6 }), anyValue),
          createdAt: fc.oneof(fc.constant(new Date().toISOString()), anyValue),
          pseudonym: fc.oneof(fc.constant(pseudonym), anyValue),
          from: fc.oneof(fc.constant('2026-11-01T00:00:00.000Z'), anyValue),
          to: fc.oneof(fc.constant('2026-11-01T00:02:00.000Z'), anyValue),
          epoch: fc.oneof(fc.constant(1), anyValue),
          kid: fc.oneof(fc.constant(dataKey.kid), anyValue),
          zip: anyValue,
        },
        { requiredKeys: [] },
      )
      .map((header) => [b64(header), ...validBatch.split('.').slice(1)].join('.'));

  it('the device routes never answer 5xx to an enrolled device', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      craftedBatch(),
      mutate(validBatch),
      fc.constant(validBatch),
      fc
        .record({ jwe: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(dataKey.wrapped)) })
        .map((v) => JSON.stringify(v)),
      mutate(JSON.stringify({ jwe: dataKey.wrapped })),
      fc
        .record({ kind: anyValue, count: anyValue, bytes: anyValue }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
    );
    const route = fc.oneof(
      fc.constant(['GET', '/device/v1/key-manifest'] as const),
      fc.constant(['POST', '/device/v1/batches'] as const),
      fc.constant(['POST', '/device/v1/alarms'] as const),
      fc.constant(['PUT', '/device/v1/pseudonym-table'] as const),
      fc
        .oneof(fc.constant(dataKey.kid), fc.string({ maxLength: 40 }))
        .map((kid) => ['PUT', `/device/v1/data-keys/${encodeURIComponent(kid)}`] as const),
    );
    const contentType = fc.option(
      fc.constantFrom(
        'application/jose',
        'application/json',
        'text/plain',
        'application/octet-stream',
        'application/jose; charset=utf-8',
      ),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(route, contentType, body, async ([method, path], type, payload) => {
        const answer = await gateway.call(
          method,
          path,
          method === 'GET' ? undefined : payload,
          type === undefined ? {} : { 'content-type': type },
        );
        assertCoded(
          answer.status,
          answer.headers['content-type'],
          answer.text,
          `${method} ${path} (${type})`,
        );
      }),
      { numRuns: 200, seed: Number(process.env['VIGIL_FUZZ_SEED'] ?? Date.now() % 2 ** 31) },
    );
  });

  it('the operator routes never answer 5xx to a signed-in member', async () => {
    const base = `/api/v1/organisations/${care.organisationId}`;
    const routes = [
      ['PUT', `${base}/member-keys/me`],
      ['GET', `${base}/member-keys`],
      ['PUT', `${base}/key-manifest`],
      ['GET', `${base}/key-manifest`],
      ['PUT', `${base}/team-keys/1`],
      ['PUT', `${base}/team-keys/0`],
      ['GET', `${base}/team-keys`],
      ['PUT', `${base}/pseudonym-secret`],
      ['GET', `${base}/pseudonym-secret`],
      ['GET', `${base}/data-keys`],
      ['GET', `${base}/pseudonym-tables`],
      ['GET', `${base}/pseudonyms`],
      ['GET', `${base}/batches`],
      ['GET', `${base}/retention`],
      ['PUT', `${base}/retention`],
    ] as const;
    const manifest = await keys.manifest(new Date(t.clock.now()));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ jwe: fc.jsonValue({ maxDepth: 3 }) }),
      fc.constant({ jwe: keys.epoch.wrapped }),
      fc.constant({ jwe: sealedSecret }),
      mutate(JSON.stringify({ jwe: keys.epoch.wrapped })).map((text) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }),
      fc.record({
        jws: fc.oneof(fc.constant(manifest), mutate(manifest)),
        signingPublicJwk: fc.oneof(
          fc.constant(keys.signing.publicJwk),
          fc.jsonValue({ maxDepth: 2 }),
        ),
      }),
      fc.record({
        publicJwk: fc.oneof(fc.constant(keys.member.publicJwk), fc.jsonValue({ maxDepth: 2 })),
      }),
      fc.record({ days: anyValue }),
    );
    const query = fc.dictionary(
      fc.constantFrom('pseudonym', 'from', 'to', 'after', 'limit', 'kid', 'x', '__proto__'),
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constant(pseudonym),
        fc.constant(dataKey.kid),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.integer().map(String),
      ),
      { maxKeys: 4 },
    );
    const token = fc.constantFrom(care.adminToken, care.clinicianToken);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: routes.length - 1 }),
        body,
        query,
        token,
        async (index, payload, parameters, bearer) => {
          const [method, path] = routes[index]!;
          const url =
            path +
            (Object.keys(parameters).length
              ? `?${new URLSearchParams(parameters).toString()}`
              : '');
          const answer = await t.app.inject({
            method,
            url,
            headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
            ...(method === 'GET'
              ? {}
              : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
          });
          assertCoded(
            answer.statusCode,
            answer.headers['content-type'],
            answer.body,
            `${method} ${url}`,
          );
          t.clock.advance(1_000);
        },
      ),
      { numRuns: 300, seed: Number(process.env['VIGIL_FUZZ_SEED'] ?? Date.now() % 2 ** 31) },
    );
  });
});

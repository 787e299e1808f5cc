import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApp, TestAgent, type TestPerson } from '@vigil/testkit';

describe('HTTP surface', () => {
  let t: TestApp;
  let admin: TestPerson;
  let organisationId: string;
  before(async () => {
    t = await TestApp.create();
    ({ admin, organisationId } = await t.setup());
  });
  after(() => t.close());

  describe('security headers', () => {
    it('sends a strict CSP, HSTS, no-sniff, no framing and no referrer', async () => {
      const answer = await t.app.inject({ method: 'GET', url: '/api/v1/setup' });
      const csp = String(answer.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.match(String(answer.headers['strict-transport-security']), /max-age=31536000/);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
      assert.equal(answer.headers['x-powered-by'], undefined);
    });
  });

  describe('errors', () => {
    it('answers unknown API paths with problem+json ERR_NOT_FOUND', async () => {
      const answer = await t.app.inject({ method: 'GET', url: '/api/v1/nope' });
      assert.equal(answer.statusCode, 404);
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
      assert.equal(answer.json<{ code: string }>().code, 'ERR_NOT_FOUND');
    });

    it('refuses unknown body fields (additionalProperties: false)', async () => {
      const answer = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email: 'a@b.c', password: 'x', isAdmin: true },
      });
      assert.equal(answer.json<{ code: string }>().code, 'ERR_REQUEST_INVALID');
    });

    it('refuses malformed JSON and oversized bodies with coded errors', async () => {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: '{"email":',
      });
      assert.equal(bad.json<{ code: string }>().code, 'ERR_REQUEST_INVALID');
      const big = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'x'.repeat(70_000), password: 'y' }),
      });
      assert.equal(big.statusCode, 413);
      assert.equal(big.json<{ code: string }>().code, 'ERR_REQUEST_TOO_LARGE');
      const xml = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/xml' },
        payload: '<a/>',
      });
      assert.equal(xml.json<{ code: string }>().code, 'ERR_REQUEST_UNSUPPORTED_MEDIA_TYPE');
    });

    it('gives a request id on every error and never a stack trace', async () => {
      const answer = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { email: 'nobody@example.org', password: 'whatever it is' },
      });
      const body = answer.json<{ requestId: string }>();
      assert.match(body.requestId, /^[0-9a-f-]{36}$/);
      assert.doesNotMatch(answer.body, /at .*\.ts:\d+/);
    });
  });

  describe('API description', () => {
    it('serves OpenAPI 3 at /api/openapi.json with every route documented', async () => {
      const spec = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
        openapi: string;
        paths: Record<string, unknown>;
      }>();
      assert.match(spec.openapi, /^3\./);
      assert.ok(spec.paths['/api/v1/organisations/{orgId}/users']);
    });

    it('serves interactive docs at /api/docs', async () => {
      const answer = await t.app.inject({ method: 'GET', url: '/api/docs/' });
      assert.ok(answer.statusCode === 200 || answer.statusCode === 302, String(answer.statusCode));
    });
  });

  describe('operations endpoints', () => {
    it('answers /healthz and /readyz without credentials', async () => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json<{ status: string }>().status, 'ready');
    });

    it('keeps /metrics private by default', async () => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      const agent = await t.signIn(admin);
      const created = await agent.post('/api/v1/tokens', {
        name: 'prometheus',
        organisationId,
        scopes: ['audit:read'],
        expiresInDays: 30,
      });
      const scraper = TestAgent.withToken(t.app, created.json<{ token: string }>().token);
      const metrics = await scraper.get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(String(metrics.body), /vigil_http_request_duration_seconds/);
      const narrow = await agent.post('/api/v1/tokens', {
        name: 'narrow',
        organisationId,
        scopes: ['org:read'],
        expiresInDays: 30,
      });
      assert.equal(
        (await TestAgent.withToken(t.app, narrow.json<{ token: string }>().token).get('/metrics'))
          .status,
        403,
      );
    });
  });
});

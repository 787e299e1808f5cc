import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestApp, TestAgent, type TestPerson } from '@vigil/testkit';

describe('API tokens', () => {
  let t: TestApp;
  let organisationId: string;
  let admin: TestPerson;
  let adminAgent: TestAgent;

  before(async () => {
    t = await TestApp.create();
    ({ organisationId, admin } = await t.setup());
    adminAgent = await t.signIn(admin);
  });
  after(() => t.close());

  async function createToken(agent: TestAgent, scopes: string[], expiresInDays = 30) {
    const answer = await agent.post('/api/v1/tokens', {
      name: 'ci',
      organisationId,
      scopes,
      expiresInDays,
    });
    return answer;
  }

  describe('when created', () => {
    it('is shown once, and stored only as a digest', async () => {
      const answer = await createToken(adminAgent, ['users:read']);
      assert.equal(answer.status, 201);
      const { token, id } = answer.json<{ token: string; id: string }>();
      assert.match(token, /^vgl_pat_[A-Za-z0-9_-]{43}$/);
      const list = await adminAgent.get('/api/v1/tokens');
      assert.ok(!JSON.stringify(list.body).includes(token));
      const row = await t.store.getApiToken(id);
      assert.ok(row && row.tokenHash !== token && !row.tokenHash.includes(token));
    });

    it('cannot carry scopes beyond the creator’s role', async () => {
      const auditor = await t.addPerson(organisationId, 'auditor', 'aud@maker.example');
      const agent = await t.signIn(auditor);
      const answer = await createToken(agent, ['users:manage']);
      assert.equal(answer.code, 'ERR_AUTH_FORBIDDEN');
      assert.equal((await createToken(agent, ['audit:read'])).status, 201);
    });

    it('cannot be created in an organisation the person is not in', async () => {
      const answer = await adminAgent.post('/api/v1/tokens', {
        name: 'x',
        organisationId: crypto.randomUUID(),
        scopes: ['org:read'],
        expiresInDays: 1,
      });
      assert.equal(answer.code, 'ERR_NOT_FOUND');
    });
  });

  describe('when used', () => {
    it('allows what its scopes allow and refuses the rest with ERR_AUTH_TOKEN_SCOPE', async () => {
      const { token } = (await createToken(adminAgent, ['users:read'])).json<{ token: string }>();
      const bot = TestAgent.withToken(t.app, token);
      assert.equal((await bot.get(`/api/v1/organisations/${organisationId}/users`)).status, 200);
      const add = await bot.post(`/api/v1/organisations/${organisationId}/users`, {
        email: 'x@maker.example',
        name: 'X',
        role: 'clinician',
      });
      assert.equal(add.code, 'ERR_AUTH_TOKEN_SCOPE');
      assert.equal(
        (await bot.get(`/api/v1/organisations/${organisationId}/audit-events`)).code,
        'ERR_AUTH_TOKEN_SCOPE',
      );
    });

    it('needs no CSRF token (it is not a cookie)', async () => {
      const { token } = (await createToken(adminAgent, ['users:manage'])).json<{ token: string }>();
      const bot = TestAgent.withToken(t.app, token);
      const add = await bot.post(`/api/v1/organisations/${organisationId}/users`, {
        email: 'bot-added@maker.example',
        name: 'Bot Added',
        role: 'clinician',
      });
      assert.equal(add.status, 201);
    });

    it('cannot manage tokens, sessions or passwords', async () => {
      const { token } = (await createToken(adminAgent, ['users:manage', 'org:read'])).json<{
        token: string;
      }>();
      const bot = TestAgent.withToken(t.app, token);
      for (const [method, url] of [
        ['GET', '/api/v1/tokens'],
        ['POST', '/api/v1/me/password'],
        ['DELETE', '/api/v1/me/sessions'],
        ['GET', '/api/v1/me'],
      ] as const) {
        const answer = await bot.request(method, url, method === 'GET' ? undefined : {});
        assert.ok(
          answer.status === 403 || answer.status === 400,
          `${method} ${url}: ${answer.status}`,
        );
        if (answer.status === 403) assert.equal(answer.code, 'ERR_AUTH_TOKEN_SCOPE');
      }
    });

    it('stops working when it expires', async () => {
      const { token } = (await createToken(adminAgent, ['org:read'], 1)).json<{ token: string }>();
      const bot = TestAgent.withToken(t.app, token);
      assert.equal((await bot.get('/api/v1/organisations')).status, 200);
      t.clock.advance(86_400_000);
      assert.equal((await bot.get('/api/v1/organisations')).code, 'ERR_AUTH_TOKEN_INVALID');
    });

    it('stops working when revoked', async () => {
      const adminNow = await t.signIn(admin);
      const { token, id } = (await createToken(adminNow, ['org:read'])).json<{
        token: string;
        id: string;
      }>();
      const bot = TestAgent.withToken(t.app, token);
      assert.equal((await bot.get('/api/v1/organisations')).status, 200);
      assert.equal((await adminNow.delete(`/api/v1/tokens/${id}`)).status, 204);
      assert.equal((await bot.get('/api/v1/organisations')).code, 'ERR_AUTH_TOKEN_INVALID');
    });

    it('loses rights its owner loses (demotion)', async () => {
      const engineer = await t.addPerson(organisationId, 'auditor', 'eng@maker.example');
      const agent = await t.signIn(engineer);
      const { token } = (await createToken(agent, ['users:read'])).json<{ token: string }>();
      const bot = TestAgent.withToken(t.app, token);
      assert.equal((await bot.get(`/api/v1/organisations/${organisationId}/users`)).status, 200);
      const adminNow = await t.signIn(admin);
      assert.equal(
        (
          await adminNow.patch(`/api/v1/organisations/${organisationId}/users/${engineer.id}`, {
            role: 'clinician',
          })
        ).status,
        200,
      );
      assert.equal(
        (await bot.get(`/api/v1/organisations/${organisationId}/users`)).code,
        'ERR_AUTH_FORBIDDEN',
      );
    });

    it('refuses garbage and unknown tokens with ERR_AUTH_TOKEN_INVALID', async () => {
      for (const header of [
        'Bearer vgl_pat_' + 'x'.repeat(43),
        'Bearer nonsense',
        'Basic YWRtaW46YWRtaW4=',
        'Bearer ',
      ]) {
        const answer = await t.app.inject({
          method: 'GET',
          url: '/api/v1/organisations',
          headers: { authorization: header },
        });
        assert.equal(answer.statusCode, 401, header);
        assert.equal(answer.json<{ code: string }>().code, 'ERR_AUTH_TOKEN_INVALID');
      }
      const types = (await t.store.listAllAuditEvents(0, 1000)).map((e) => e.type);
      assert.ok(
        types.includes('token.created') &&
          types.includes('token.revoked') &&
          types.includes('token.rejected'),
      );
    });
  });
});

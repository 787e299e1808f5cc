import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TestAgent, TestApp, forEachEngine } from '@vigil/testkit';

/**
 * The account flows end to end through HTTP on each store engine, so
 * engine differences (types, transactions, conditional updates) surface at
 * the level people use, not only in the store's own tests.
 */
forEachEngine('accounts from setup to API token', (engine) => {
  it('sets up, enrols MFA, adds a person, signs them in, issues a token, locks out and audits', async () => {
    const target = await engine.createTarget();
    const t = await TestApp.create({
      databaseUrl: target.databaseUrl,
      ...(target.postgresSchema ? { postgresSchema: target.postgresSchema } : {}),
    });
    try {
      assert.equal(t.store.engine, engine.name);
      const { organisationId, admin } = await t.setup();
      const adminAgent = await t.signIn(admin);
      assert.ok(admin.totpSecret, 'the admin enrolled TOTP');

      const added = await adminAgent.post(`/api/v1/organisations/${organisationId}/users`, {
        email: 'Cleo@Hospital.Example',
        name: 'Cleo Carer',
        role: 'clinician',
      });
      assert.equal(added.status, 201);
      const { user, activationToken } = added.json<{
        user: { id: string; email: string };
        activationToken: string;
      }>();
      assert.equal(user.email, 'cleo@hospital.example');
      assert.equal(
        (
          await t.agent().post('/api/v1/activate', {
            token: activationToken,
            password: 'a clinician passphrase',
          })
        ).status,
        204,
      );
      const clinician = await t.signIn({
        id: user.id,
        email: 'cleo@hospital.example',
        password: 'a clinician passphrase',
      });
      assert.equal(
        (await clinician.get('/api/v1/me')).json<{ user: { id: string } }>().user.id,
        user.id,
      );

      const created = await adminAgent.post('/api/v1/tokens', {
        name: 'ci',
        organisationId,
        scopes: ['users:read', 'audit:read'],
        expiresInDays: 7,
      });
      const bot = TestAgent.withToken(t.app, created.json<{ token: string }>().token);
      const people = (await bot.get(`/api/v1/organisations/${organisationId}/users`)).json<{
        users: Array<{ email: string; mfaEnabled: boolean }>;
      }>().users;
      assert.deepEqual(people.map((p) => [p.email, p.mfaEnabled]).sort(), [
        ['ada@maker.example', true],
        ['cleo@hospital.example', false],
      ]);

      for (let i = 0; i < 5; i++)
        await t.agent('192.0.2.77').post('/api/v1/session', {
          email: 'cleo@hospital.example',
          password: `wrong guess ${i}`,
        });
      assert.equal(
        (
          await t.agent().post('/api/v1/session', {
            email: 'cleo@hospital.example',
            password: 'a clinician passphrase',
          })
        ).code,
        'ERR_AUTH_LOCKED',
      );

      const events = (
        await bot.get(`/api/v1/organisations/${organisationId}/audit-events?limit=500`)
      ).json<{ events: Array<{ type: string; sequence: number }> }>().events;
      const types = new Set(events.map((e) => e.type));
      for (const type of [
        'setup.completed',
        'auth.mfa.enrolled',
        'user.created',
        'auth.password.reset-completed',
        'token.created',
        'auth.sign-in.failed',
        'auth.lockout',
      ]) {
        assert.ok(types.has(type), type);
      }
      const sequences = events.map((e) => e.sequence);
      assert.ok(
        sequences.every((s, i) => i === 0 || s > sequences[i - 1]!),
        'strictly increasing',
      );
    } finally {
      await t.close();
      await target.dispose();
    }
  });
});
